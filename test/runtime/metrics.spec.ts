import { createServer } from 'node:net';
import { expect } from 'chai';
import { Counter } from 'prom-client';
import { ConfigError } from '../../runtime/errors.ts';
import { createMetricsRegistry, serveMetrics } from '../../runtime/metrics.ts';

describe('runtime/metrics', () => {
  it('serves the registry in the Prometheus text format at /metrics', async () => {
    const registry = createMetricsRegistry({ labels: { stage: 'test' } });
    const c = new Counter({ name: 'pma_things_total', help: 'things', labelNames: ['kind'], registers: [registry] });
    c.inc({ kind: 'a' }, 3);
    const server = await serveMetrics(registry, { port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(server.url);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.contain('text/plain');
      const text = await res.text();
      expect(text).to.contain('# TYPE pma_things_total counter');
      expect(text).to.contain('pma_things_total{kind="a",stage="test"} 3');
      expect(text).to.match(/pma_process_cpu_user_seconds_total/);
      expect((await fetch(server.url.replace('/metrics', '/nope'))).status).to.equal(404);
    } finally {
      await server.close();
    }
  });

  it('names the flag when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await serveMetrics(createMetricsRegistry({ processMetrics: false }), { port, host: '127.0.0.1' }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).context.flag).to.equal('--metrics-port');
    } finally {
      blocker.close();
    }
  });
});

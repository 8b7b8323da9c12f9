/** `pma bench serde` end to end on a few records: it runs, measures every phase, and reports. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { formatSerdeBench, runSerdeBench } from '../../bench/serde.ts';
import { BENCH_TRADE_SCHEMA, type BenchTrade } from '../../bench/transport.ts';
import { EmbeddedRegistry } from '../../registry/embedded.ts';
import { Serde } from '../../registry/serde.ts';

describe('bench/serde', () => {
  it('measures encode, decodeSync and decode beside raw avsc, and prints the table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-bench-serde-test-'));
    const registry = new EmbeddedRegistry({ path: join(dir, 'log.sqlite') });
    try {
      const codec = await new Serde(registry).codec<BenchTrade>('bench-serde-test', BENCH_TRADE_SCHEMA as unknown as Record<string, unknown>);
      const result = await runSerdeBench(codec, 2_000, 1);
      expect(result.rows.map((r) => r.phase)).to.deep.equal(['TopicCodec.encode', 'TopicCodec.decodeSync', 'TopicCodec.decode (await each)']);
      for (const row of result.rows) {
        expect(row.measured.records).to.equal(2_000);
        expect(row.measured.seconds).to.be.greaterThan(0);
        expect(row.ceiling.seconds).to.be.greaterThan(0);
      }
      expect(result.recordBytes).to.be.within(250, 450);
      expect(formatSerdeBench(result)).to.contain('TopicCodec.encode').and.contain('of ceiling');
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

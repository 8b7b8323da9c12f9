/** `--check-config` and a refused setting print how Kafka and the registry are reached, never a password. */
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runChild } from '../run-child.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));
const SECRET = 'hunter2-secret';

function pma(args: string[], env: NodeJS.ProcessEnv) {
  return runChild(process.execPath, [PMA, ...args], { env: { ...process.env, PMA_CONFIG: '', ...env }, limitMs: 30_000 });
}

describe('pma --check-config with secrets', function () {
  this.timeout(60_000);

  it('reports SASL over TLS and the registry with its password as ***', async () => {
    const r = await pma(['registry', 'list', '--check-config'], {
      PMA_TRANSPORT: 'kafka',
      PMA_BROKERS: 'kafka.example:9094',
      PMA_REGISTRY: `https://reg:${SECRET}@registry.example:8081`,
      PMA_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      PMA_KAFKA_SASL_USERNAME: 'pma',
      PMA_KAFKA_SASL_PASSWORD: SECRET,
      PMA_KAFKA_TLS: 'true',
    });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('kafka kafka.example:9094 over TLS as pma (SCRAM-SHA-512), registry https://reg:***@registry.example:8081');
    expect(r.stdout + r.stderr).not.to.contain(SECRET);
  });

  it('refuses a bad registry URL without printing its password', async () => {
    const r = await pma(['registry', 'list', '--check-config'], { PMA_TRANSPORT: 'kafka', PMA_REGISTRY: `http://reg:${SECRET}@registry example` });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('PMA_REGISTRY').and.to.contain('reg:***@');
    expect(r.stdout + r.stderr).not.to.contain(SECRET);
  });
});

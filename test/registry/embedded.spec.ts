import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { EmbeddedRegistry } from '../../registry/embedded.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { createEmbeddedTransport } from '../../transport/embedded/index.ts';
import { runChild } from '../run-child.ts';
import { registryConformance } from './conformance.ts';

describe('registry/embedded', () => {
  let dir: string;
  const opened: EmbeddedRegistry[] = [];
  const open = (file = 'log.sqlite') => {
    const r = new EmbeddedRegistry({ path: join(dir, file) });
    opened.push(r);
    return r;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-registry-'));
  });
  after(async () => {
    for (const r of opened) await r.close();
    rmSync(dir, { recursive: true, force: true });
  });

  registryConformance('embedded (SQLite)', () => open());

  it('keeps everything across a reopen of the file', async () => {
    const first = open('reopen.sqlite');
    const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] });
    const id = await first.register('reopen-value', schema);
    await first.setSubjectCompatibility('reopen-value', 'FULL');
    await first.close();
    const second = open('reopen.sqlite');
    expect(await second.getSchemaById(id)).to.equal(schema);
    expect(await second.getSubjectCompatibility('reopen-value')).to.equal('FULL');
    expect(await second.register('reopen-value', schema)).to.equal(id);
  });

  it('shares the embedded log file: its own registry_ tables beside the log, both working', async () => {
    const path = join(dir, 'shared.sqlite');
    const transport = await createEmbeddedTransport({ path, logger: silentLogger });
    try {
      const registry = new EmbeddedRegistry({ path });
      opened.push(registry);
      await transport.admin().createTopics([{ name: 't', partitions: 1 }]);
      const id = await registry.register('t-value', '"string"');
      const producer = transport.producer();
      await producer.send('t', [{ key: null, value: Buffer.from([0, 0, 0, 0, id]) }]);
      expect(await registry.getSchemaById(id)).to.equal('"string"');
      const db = new DatabaseSync(path, { readOnly: true });
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
      db.close();
      expect(tables).to.include.members(['registry_schemas', 'registry_versions', 'registry_config']);
      expect(tables.filter((t) => t.startsWith('registry')).every((t) => t.startsWith('registry_'))).to.equal(true);
      expect(tables.some((t) => !t.startsWith('registry_') && t !== 'sqlite_sequence')).to.equal(true);
    } finally {
      await transport.close();
    }
  });

  it('is safe with several processes registering at once: one id per schema, unique versions', async function () {
    this.timeout(60_000);
    const path = join(dir, 'concurrent.sqlite');
    const script = `
      import { EmbeddedRegistry } from ${JSON.stringify(new URL('../../registry/embedded.ts', import.meta.url).href)};
      const r = new EmbeddedRegistry({ path: process.argv[1] });
      const me = Number(process.argv[2]);
      const out = [];
      for (let i = 0; i < 12; i++) {
        const fields = [{ name: 'a', type: 'string' }];
        for (let k = 0; k < i; k++) fields.push({ name: 'f' + k, type: 'long', default: 0 });
        // Every process registers the same 12 evolving schemas, and one schema of its own.
        out.push(await r.register('shared-value', JSON.stringify({ type: 'record', name: 'S', fields })));
        out.push(await r.register('own-' + me + '-value', JSON.stringify({ type: 'record', name: 'O' + me, fields })));
      }
      await r.close();
      process.stdout.write(JSON.stringify(out));
    `;
    const run = async (n: number): Promise<number[]> => {
      const { code, stdout, stderr } = await runChild(process.execPath, ['--input-type=module', '-e', script, path, String(n)]);
      if (code !== 0) throw new Error(`child ${n} exited ${code}: ${stderr}`);
      return JSON.parse(stdout);
    };
    const results = await Promise.all([0, 1, 2, 3].map(run));
    const sharedIds = results.map((ids) => ids.filter((_, i) => i % 2 === 0));
    for (const ids of sharedIds) expect(ids).to.deep.equal(sharedIds[0]);
    const registry = open('concurrent.sqlite');
    expect(await registry.listVersions('shared-value')).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (let n = 0; n < 4; n++) expect(await registry.listVersions(`own-${n}-value`)).to.have.length(12);
    const all = results.flat();
    expect(new Set(all).size).to.equal(12 + 4 * 12);
  });

  it('refuses bad subject names and versions with Confluent codes', async () => {
    const registry = open();
    for (const bad of ['', 'a\u0000b', 'x'.repeat(256)]) {
      try {
        await registry.register(bad, '"string"');
        expect.fail(`accepted subject ${JSON.stringify(bad)}`);
      } catch (err) {
        expect((err as { errorCode: number }).errorCode).to.equal(42208);
      }
    }
    try {
      await registry.getVersion('x-value', 0);
      expect.fail('accepted version 0');
    } catch (err) {
      expect((err as { errorCode: number }).errorCode).to.equal(42202);
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { EmbeddedRegistry } from '../../registry/embedded.ts';
import { openRegistry } from '../../registry/index.ts';
import { PrefixedRegistry } from '../../registry/prefixed.ts';
import type { SchemaRegistry } from '../../registry/types.ts';
import { registryConformance } from './conformance.ts';

const SCHEMA = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] });
const kafka = (topicPrefix: string) => ({ topicPrefix, groupPrefix: topicPrefix, defaults: {}, topics: {} });

describe('registry/prefixed', () => {
  let dir: string;
  let inner: EmbeddedRegistry;
  const opened: SchemaRegistry[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-registry-prefixed-'));
    inner = new EmbeddedRegistry({ path: join(dir, 'log.sqlite') });
  });
  after(async () => {
    for (const r of opened) await r.close();
    await inner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  registryConformance('prefixed over embedded', () => new PrefixedRegistry(inner, 'conf.'));

  it('keeps two prefixes apart in one registry: subjects, versions, ids and compatibility', async () => {
    const a = new PrefixedRegistry(inner, 'a.');
    const b = new PrefixedRegistry(inner, 'b.');
    const id = await a.register('pma.trades-value', SCHEMA);
    expect(await inner.listSubjects()).to.include('a.pma.trades-value');
    expect(await a.listSubjects()).to.include('pma.trades-value');
    expect(await b.listSubjects()).to.not.include('pma.trades-value');
    expect(await a.getLatest('pma.trades-value')).to.include({ subject: 'pma.trades-value', version: 1, id });
    expect(await a.lookup('pma.trades-value', SCHEMA)).to.include({ subject: 'pma.trades-value' });
    await b.register('pma.trades-value', SCHEMA);
    expect(await a.getVersionsById(id)).to.deep.equal([{ subject: 'pma.trades-value', version: 1 }]);
    await b.setSubjectCompatibility('pma.trades-value', 'NONE');
    expect(await a.getSubjectCompatibility('pma.trades-value')).to.equal(undefined);
  });

  it('is what openRegistry opens on Kafka with a topic prefix, and only then', async () => {
    const base = { registry: 'embedded', dataDir: dir };
    const prefixed = await openRegistry({ ...base, transport: 'kafka', kafka: kafka('x.') });
    const plainKafka = await openRegistry({ ...base, transport: 'kafka', kafka: kafka('') });
    const embedded = await openRegistry({ ...base, transport: 'embedded', kafka: kafka('x.') });
    opened.push(prefixed, plainKafka, embedded);
    expect(prefixed).to.be.instanceOf(PrefixedRegistry);
    expect(plainKafka).to.not.be.instanceOf(PrefixedRegistry);
    expect(embedded).to.not.be.instanceOf(PrefixedRegistry);
  });
});

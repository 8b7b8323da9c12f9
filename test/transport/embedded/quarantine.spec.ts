import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { expect } from 'chai';
import { PmaError } from '../../../runtime/errors.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { createEmbeddedTransport, type EmbeddedTransport } from '../../../transport/embedded/index.ts';
import { quarantineBatches } from '../../../transport/embedded/quarantine.ts';

describe('transport/embedded/quarantine: consumers step over what verify quarantined, and only that', function () {
  this.timeout(60_000);
  let dir: string;
  let t: EmbeddedTransport;
  let groups = 0;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pma-quarantine-'));
    t = await createEmbeddedTransport({ path: join(dir, 'log.sqlite'), logger: silentLogger });
  });
  afterEach(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Every record a fresh consumer reads from the topic, or the error that stopped it. */
  async function readAll(topic: string): Promise<number[] | PmaError> {
    const c = t.consumer({ groupId: `g-${++groups}` });
    await c.subscribe([topic]);
    const offsets: number[] = [];
    try {
      for (;;) {
        const batches = await c.poll({ waitMs: 0 });
        if (batches.length === 0) return offsets;
        for (const b of batches) offsets.push(...b.records.map((r) => r.offset));
      }
    } catch (err) {
      if (err instanceof PmaError) return err;
      throw err;
    } finally {
      await c.close();
    }
  }

  it('a quarantined middle batch of a never-compacted topic is stepped over; a hole nobody quarantined is still refused', async () => {
    await t.admin().createTopics([{ name: 'q', partitions: 1 }]);
    const producer = t.producer();
    for (let i = 0; i < 4; i++)
      await producer.send('q', [
        { key: null, value: Buffer.from(`a${i}`), partition: 0 },
        { key: null, value: Buffer.from(`b${i}`), partition: 0 },
      ]);
    await producer.close();
    const raw = new DatabaseSync(t.path);
    const { id } = raw.prepare('SELECT id FROM log_batches WHERE base_offset = 2').get() as { id: number };
    raw.close();

    const lost = await quarantineBatches(t.path, t, [{ id, topic: 'q', partition: 0, from: 2, to: 3, reason: 'crc mismatch' }]);
    expect([...lost]).to.deep.equal([[id, 2]]);
    expect(await readAll('q')).to.deep.equal([0, 1, 4, 5, 6, 7]);

    const edit = new DatabaseSync(t.path);
    edit.exec('DELETE FROM log_batches WHERE base_offset = 6');
    edit.close();
    const refused = await readAll('q');
    expect(refused).to.be.instanceOf(PmaError);
    expect((refused as PmaError).context).to.include({ topic: 'q', partition: 0, offset: 6, lastOffset: 7 });
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { FetchBuffer } from '../../../transport/kafka/fetch-buffer.ts';
import type { ConsumedRecord } from '../../../transport/types.ts';

const rec = (partition: number, offset: number, size: number): ConsumedRecord => ({
  topic: 't',
  partition,
  offset,
  timestamp: 0,
  key: null,
  value: Buffer.alloc(size),
  headers: {},
});

describe('kafka FetchBuffer', () => {
  it('hands out every record once, in order per partition, within the record and byte limits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ partition: fc.integer({ min: 0, max: 3 }), n: fc.integer({ min: 1, max: 20 }), size: fc.integer({ min: 0, max: 50 }) }), {
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 400 }),
        (chunks, maxRecords, maxBytes) => {
          const buffer = new FetchBuffer({ maxRecords: 1_000, maxBytes: 1_000_000 });
          const next = new Map<number, number>();
          let total = 0;
          for (const c of chunks) {
            const start = next.get(c.partition) ?? 0;
            buffer.push({ topic: 't', partition: c.partition, highWatermark: start + c.n, records: Array.from({ length: c.n }, (_, i) => rec(c.partition, start + i, c.size)) });
            next.set(c.partition, start + c.n);
            total += c.n;
          }
          const seen = new Map<number, number>();
          let got = 0;
          while (buffer.size.records > 0) {
            const batches = buffer.take(maxRecords, maxBytes);
            const records = batches.flatMap((b) => b.records);
            expect(records.length).to.be.within(1, maxRecords);
            const bytes = records.reduce((s, r) => s + (r.value?.length ?? 0), 0);
            if (records.length > 1) expect(bytes).to.be.at.most(maxBytes);
            for (const b of batches) {
              expect(new Set(b.records.map((r) => r.partition))).to.deep.equal(new Set([b.partition]));
              for (const r of b.records) {
                expect(r.offset).to.equal(seen.get(r.partition) ?? 0);
                seen.set(r.partition, r.offset + 1);
              }
            }
            got += records.length;
          }
          expect(got).to.equal(total);
          expect(buffer.size).to.deep.equal({ records: 0, bytes: 0 });
        },
      ),
    );
  });

  it('reports full at its limit and room below half of it', () => {
    const buffer = new FetchBuffer({ maxRecords: 8, maxBytes: 1_000 });
    buffer.push({ topic: 't', partition: 0, highWatermark: 8, records: Array.from({ length: 8 }, (_, i) => rec(0, i, 1)) });
    expect(buffer.full).to.equal(true);
    expect(buffer.hasRoom).to.equal(false);
    buffer.take(5, 1_000);
    expect(buffer.full).to.equal(false);
    expect(buffer.hasRoom).to.equal(true);
  });

  it('drops the records of the partitions asked for and keeps its counts right', () => {
    const buffer = new FetchBuffer({ maxRecords: 100, maxBytes: 10_000 });
    buffer.push({ topic: 't', partition: 0, highWatermark: 3, records: [rec(0, 0, 10), rec(0, 1, 10), rec(0, 2, 10)] });
    buffer.push({ topic: 't', partition: 1, highWatermark: 1, records: [rec(1, 0, 5)] });
    buffer.drop((_t, p) => p === 0);
    expect(buffer.size).to.deep.equal({ records: 1, bytes: 5 });
    expect(buffer.take(10, 1_000).map((b) => b.partition)).to.deep.equal([1]);
  });

  it('wakes a waiting poll when records arrive, and rejects it on abort', async () => {
    const buffer = new FetchBuffer({ maxRecords: 100, maxBytes: 10_000 });
    const started = Date.now();
    const waiting = buffer.wait(5_000);
    setTimeout(() => buffer.push({ topic: 't', partition: 0, highWatermark: 1, records: [rec(0, 0, 1)] }), 20);
    await waiting;
    expect(Date.now() - started).to.be.below(1_000);
    const controller = new AbortController();
    const aborted = buffer.wait(5_000, controller.signal);
    controller.abort();
    let error: unknown;
    await aborted.catch((e: unknown) => {
      error = e;
    });
    expect(error).to.have.property('code', 'PMA_ERR_ABORTED');
  });
});

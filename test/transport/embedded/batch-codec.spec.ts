import { expect } from 'chai';
import fc from 'fast-check';
import { decodeBatch, encodeProduced, encodeStored } from '../../../transport/embedded/batch-codec.ts';
import type { ConsumedRecord, ProduceRecord } from '../../../transport/types.ts';

const bytes = fc.option(
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  { nil: null },
);
const record: fc.Arbitrary<ProduceRecord> = fc.record(
  {
    key: bytes,
    value: bytes,
    headers: fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 48 }),
  },
  { requiredKeys: ['key', 'value'] },
);

const where = { topic: 't', partition: 3, baseOffset: 100 };
const unlimited = () => ({ records: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY, taken: 0 });
const plain = (r: ConsumedRecord) => ({
  offset: r.offset,
  timestamp: r.timestamp,
  key: r.key && Buffer.from(r.key),
  value: r.value && Buffer.from(r.value),
  headers: { ...r.headers },
});

describe('transport/embedded/batch-codec', () => {
  it('decodes what it encodes: keys, values, nulls, headers, timestamps, offsets', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 2 ** 40 }), (records, now) => {
        const e = encodeProduced(records, 0, records.length, now);
        expect(e.count).to.equal(records.length);
        expect(e.lastDelta).to.equal(records.length - 1);
        const out: ConsumedRecord[] = [];
        const last = decodeBatch(e.payload, where, 0, out, unlimited());
        expect(last).to.equal(100 + records.length - 1);
        expect(out.map(plain)).to.deep.equal(
          records.map((r, i) => ({
            offset: 100 + i,
            timestamp: r.timestamp ?? now,
            key: r.key,
            value: r.value,
            headers: r.headers ?? {},
          })),
        );
        const stamps = records.map((r) => r.timestamp ?? now);
        expect(e.firstTimestamp).to.equal(stamps[0]);
        expect(e.maxTimestamp).to.equal(Math.max(...stamps));
      }),
    );
  });

  it('starts at the requested offset and stops within the budget, taking at least one record per poll', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 30 }), fc.nat(40), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 300 }), (records, from, maxRecords, maxBytes) => {
        const e = encodeProduced(records, 0, records.length, 1);
        const out: ConsumedRecord[] = [];
        const budget = { records: maxRecords, bytes: maxBytes, taken: 0 };
        decodeBatch(e.payload, where, 100 + from, out, budget);
        const eligible = Math.max(0, records.length - from);
        expect(out.length).to.be.at.most(Math.max(1, maxRecords));
        if (eligible > 0) expect(out.length).to.be.at.least(1);
        for (const [i, r] of out.entries()) expect(r.offset).to.equal(100 + from + i);
        const used = out.slice(1).reduce((n, r) => n + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0);
        if (out.length > 1) expect(used).to.be.at.most(maxBytes);
      }),
    );
  });

  it('keeps offset gaps when stored records are encoded again', () => {
    const stored = [5, 9, 12].map((offset) => ({
      topic: 't',
      partition: 0,
      offset,
      timestamp: offset * 10,
      key: Buffer.from(`k${offset}`),
      value: Buffer.from(`v${offset}`),
      headers: { n: String(offset) },
    }));
    const e = encodeStored(stored, 5);
    expect(e.lastDelta).to.equal(7);
    const out: ConsumedRecord[] = [];
    decodeBatch(e.payload, { topic: 't', partition: 0, baseOffset: 5 }, 6, out, unlimited());
    expect(out.map(plain)).to.deep.equal(stored.slice(1).map(plain));
  });

  it('refuses a damaged batch, and keeps "__proto__" a plain header', () => {
    const e = encodeProduced([{ key: null, value: Buffer.from('abc'), headers: { ['__proto__']: 'x' } }], 0, 1, 1);
    const out: ConsumedRecord[] = [];
    decodeBatch(e.payload, where, 0, out, unlimited());
    expect(Object.keys(out[0]!.headers)).to.deep.equal(['__proto__']);
    expect(Object.getPrototypeOf(out[0]!.headers)).to.equal(Object.prototype);
    const damaged = Buffer.from(e.payload);
    damaged[damaged.length - 1]! ^= 1;
    expect(() => decodeBatch(damaged, where, 0, [], unlimited())).to.throw(/checksum/);
    expect(() => decodeBatch(damaged.subarray(0, 4), where, 0, [], unlimited())).to.throw(/corrupt/);
  });
});

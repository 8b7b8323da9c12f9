import { expect } from 'chai';
import { PartitionPositions } from '../../../sinks/silver/positions.ts';
import type { RecordBatch } from '../../../transport/types.ts';

const batch = (offsets: number[], topic = 't', partition = 0): RecordBatch => ({
  topic,
  partition,
  highWatermark: (offsets[offsets.length - 1] ?? 0) + 1,
  records: offsets.map((offset) => ({ topic, partition, offset, timestamp: 0, key: null, value: Buffer.from('x'), headers: {} })),
});

describe('silver partition positions', () => {
  it('takes everything in a partition Silver never applied', () => {
    const p = new PartitionPositions();
    const a = p.admit(batch([5, 6, 7]));
    expect(a.kind).to.equal('take');
    expect(a.kind === 'take' && a.records.map((r) => r.offset)).to.deep.equal([5, 6, 7]);
  });

  it('drops records Silver already applied (the group was behind Silver)', () => {
    const p = new PartitionPositions([{ topic: 't', partition: 0, offset: 6 }]);
    const a = p.admit(batch([4, 5, 6, 7]));
    expect(a.kind === 'take' && a.records.map((r) => r.offset)).to.deep.equal([6, 7]);
    const none = p.admit(batch([2, 3]));
    expect(none.kind === 'take' && none.records).to.deep.equal([]);
  });

  it('seeks back once when a batch starts past the stored offset, then accepts a real gap (retention)', () => {
    const p = new PartitionPositions([{ topic: 't', partition: 0, offset: 10 }]);
    expect(p.admit(batch([20, 21]))).to.deep.equal({ kind: 'seek', offset: 10 });
    const after = p.admit(batch([15, 16]));
    expect(after.kind).to.equal('take');
    expect(after.kind === 'take' && after.skippedTo).to.equal(15);
    p.advance('t', 0, 17);
    expect(p.admit(batch([30]))).to.deep.equal({ kind: 'seek', offset: 17 });
  });

  it('keeps partitions and topics apart and reports all positions', () => {
    const p = new PartitionPositions([{ topic: 'a', partition: 1, offset: 3 }]);
    p.advance('b', 0, 9);
    p.advance('a', 1, 4);
    expect(p.next('a', 0)).to.equal(undefined);
    expect(p.all()).to.deep.equal([
      { topic: 'a', partition: 1, offset: 4 },
      { topic: 'b', partition: 0, offset: 9 },
    ]);
  });
});

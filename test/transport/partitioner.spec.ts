import { expect } from 'chai';
import fc from 'fast-check';
import { murmur2, Partitioner, partitionForKey, toPositive } from '../../transport/partitioner.ts';

// Expected values computed by Kafka's Java client: UtilsTest.testMurmur2 in apache/kafka, plus
// the short keys checked against the same Java method by Akka's Murmur2Spec.
const JAVA_MURMUR2: Array<[string, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
  ['1', -1993445489],
  ['12', 126087238],
  ['123', -267702483],
  ['1234', -1614185708],
  ['12345', -1188365604],
];

describe('transport/partitioner', () => {
  for (const [key, expected] of JAVA_MURMUR2) {
    it(`murmur2("${key}") equals the Java client's ${expected}`, () => {
      expect(murmur2(Buffer.from(key))).to.equal(expected);
    });
  }

  it('toPositive clears the sign bit like Java (not Math.abs)', () => {
    expect(toPositive(-1)).to.equal(0x7fffffff);
    expect(toPositive(-2147483648)).to.equal(0);
    expect(toPositive(5)).to.equal(5);
  });

  it('picks toPositive(murmur2(key)) % n', () => {
    // -973932308 & 0x7fffffff = 1173551340; % 4 = 0, % 7 = 6
    expect(partitionForKey(Buffer.from('21'), 4)).to.equal(1173551340 % 4);
    expect(partitionForKey(Buffer.from('21'), 7)).to.equal(1173551340 % 7);
  });

  it('always returns a signed 32-bit integer and a partition in range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 1000 }), (bytes, n) => {
        const h = murmur2(bytes);
        expect(h).to.equal(h | 0);
        const p = partitionForKey(bytes, n);
        expect(p).to.be.within(0, n - 1);
        expect(partitionForKey(Buffer.from(bytes), n)).to.equal(p);
      }),
    );
  });

  it('spreads null keys round-robin per topic', () => {
    const p = new Partitioner();
    const a = [0, 1, 2, 3, 4].map(() => p.partition('a', null, 3));
    const b = [0, 1].map(() => p.partition('b', null, 3));
    expect(a).to.deep.equal([0, 1, 2, 0, 1]);
    expect(b).to.deep.equal([0, 1]);
    expect(p.partition('a', Buffer.from('21'), 4)).to.equal(partitionForKey(Buffer.from('21'), 4));
  });
});

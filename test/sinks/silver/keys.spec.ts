import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import fc from 'fast-check';
import { dimKey, marketKey, tradeKey, traderKey } from '../../../sinks/silver/index.ts';
import { dimKeySql, tradeKeySql } from '../../../sinks/silver/keys.ts';

describe('silver keys', () => {
  let instance: DuckDBInstance;
  before(async () => {
    instance = await DuckDBInstance.create(':memory:');
  });
  after(() => instance.closeSync());

  it('match a reference MD5 computation (RFC 1321 test vector "abc")', () => {
    // md5("abc") = 900150983cd24fb0 d6963f7d28e17f72; bytes 8..15 little-endian, and all 16.
    expect(dimKey('abc')).to.equal(0x727fe1287d3f96d6n);
    expect(tradeKey('abc')).to.equal(0x727fe1287d3f96d6b04fd23c98500190n);
  });

  it('are what DuckDB computes in SQL, for any text', async () => {
    const conn = await instance.connect();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 80 }), async (s) => {
        const r = await conn.runAndReadAll(`SELECT ${dimKeySql('$s')}, ${tradeKeySql('$s')}`, { s });
        const [dim, trade] = r.getRows()[0]!;
        expect(dim).to.equal(dimKey(s));
        expect(trade).to.equal(tradeKey(s));
      }),
      { numRuns: 200 },
    );
    conn.closeSync();
  });

  it('normalise hex identifiers: condition ids and wallets are case-insensitive', () => {
    expect(marketKey('0xABCDEF')).to.equal(marketKey('0xabcdef'));
    expect(traderKey('0xAbC')).to.equal(dimKey('0xabc'));
  });
});

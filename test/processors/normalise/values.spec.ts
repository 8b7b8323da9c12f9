import { expect } from 'chai';
import fc from 'fast-check';
import { bool, decimal, decimalArray, field, int32, symbol, textArray, timestamp } from '../../../processors/normalise/values.ts';
import { NormaliseError } from '../../../runtime/errors.ts';
import { thrownBy } from '../../expect-error.ts';

const MIN = Date.UTC(1970, 0, 1);
const MAX = Date.UTC(2100, 0, 1);

function throwsNormalise(fn: () => unknown, field?: string): void {
  const err = thrownBy(fn, NormaliseError);
  if (field) expect(err.context.field).to.equal(field);
}

describe('processors/normalise/values', () => {
  describe('timestamp', () => {
    it('reads every dialect the APIs send', () => {
      const cases: Array<[unknown, number]> = [
        ['2020-10-02T16:10:01.467Z', Date.UTC(2020, 9, 2, 16, 10, 1, 467)],
        ['2025-09-22T21:37:46.914643Z', Date.UTC(2025, 8, 22, 21, 37, 46, 914)],
        ['2020-11-02 16:31:01+00', Date.UTC(2020, 10, 2, 16, 31, 1)],
        ['2022-07-27 14:41:12.085+00', Date.UTC(2022, 6, 27, 14, 41, 12, 85)],
        ['2020-11-04', Date.UTC(2020, 10, 4)],
        ['2024-03-01T12:00:00+00:00:00', Date.UTC(2024, 2, 1, 12)],
        ['2024-03-01T12:00:00-05:00', Date.UTC(2024, 2, 1, 17)],
        ['2024-03-01T12:00:00+0530', Date.UTC(2024, 2, 1, 6, 30)],
        ['2023-03-15T00:00:00', Date.UTC(2023, 2, 15)],
        [1765404888, 1765404888000],
        ['1785734468581', 1785734468581],
        [1785734468581, 1785734468581],
      ];
      for (const [input, ms] of cases) expect(timestamp(input, 'f'), String(input)).to.equal(ms);
    });

    it('takes the unit it is told, whatever the magnitude', () => {
      expect(timestamp(1700000000, 't', 's')).to.equal(1_700_000_000_000);
      expect(timestamp('1700000000', 't', 'ms')).to.equal(1_700_000_000);
    });

    it('gives null for absent values and throws, naming the field, for unreadable ones', () => {
      expect(timestamp(undefined, 'f')).to.equal(null);
      expect(timestamp(null, 'f')).to.equal(null);
      expect(timestamp('', 'f')).to.equal(null);
      for (const bad of ['yesterday', '2024-13-01', '2023-02-29', '2024-01-01T25:00:00Z', '2024-01-01T12:00:00+xx', true, {}]) {
        throwsNormalise(() => timestamp(bad, 'endDate'), 'endDate');
      }
    });

    it('property: any instant written as ISO (T or space, Z or +00 or +00:00, 0-9 fraction digits) reads back to the same millisecond', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: MIN, max: MAX }),
          fc.constantFrom('T', ' '),
          fc.constantFrom('Z', '+00', '+00:00', '+00:00:00', ''),
          fc.integer({ min: 0, max: 9 }),
          fc.integer({ min: 0, max: 999_999 }),
          (ms, sep, zone, digits, subMs) => {
            const iso = new Date(ms).toISOString();
            const fraction = digits === 0 ? '' : `.${(iso.slice(20, 23) + String(subMs).padStart(6, '0')).slice(0, digits)}`;
            const text = `${iso.slice(0, 10)}${sep}${iso.slice(11, 19)}${fraction}${zone}`;
            const expected = digits === 0 ? ms - (ms % 1000) : ms - (ms % 1000) + Number(fraction.slice(1, 4).padEnd(3, '0'));
            expect(timestamp(text, 'f')).to.equal(expected);
          },
        ),
      );
    });

    it('property: an offset moves the instant by exactly that offset', () => {
      fc.assert(
        fc.property(fc.integer({ min: MIN, max: MAX }), fc.integer({ min: -14 * 60, max: 14 * 60 }), (ms, offsetMin) => {
          const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
          const sign = offsetMin < 0 ? '-' : '+';
          const abs = Math.abs(offsetMin);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(timestamp(local + zone, 'f')).to.equal(ms);
        }),
      );
    });

    it('property: epoch seconds and milliseconds, as numbers or digit strings, agree (auto: seconds below 1e11, i.e. from 1973-03-03 on)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 100_000_000, max: MAX / 1000 }), (s) => {
          expect(timestamp(s, 'f')).to.equal(s * 1000);
          expect(timestamp(String(s), 'f')).to.equal(s * 1000);
          expect(timestamp(s * 1000, 'f')).to.equal(s * 1000);
          expect(timestamp(String(s * 1000), 'f', 'ms')).to.equal(s * 1000);
        }),
      );
    });
  });

  describe('decimal', () => {
    it('reads numbers, numeric strings and exponent forms; "" is absent', () => {
      expect(decimal(0.535, 'p')).to.equal(0.535);
      expect(decimal('0.535', 'p')).to.equal(0.535);
      expect(decimal('32257.445115', 'v')).to.equal(32257.445115);
      expect(decimal('9e-6', 'v')).to.equal(0.000009);
      expect(decimal(' 12 ', 'v')).to.equal(12);
      expect(decimal('', 'v')).to.equal(null);
      expect(decimal(null, 'v')).to.equal(null);
    });

    it('refuses text that is not a finite decimal, naming the field', () => {
      for (const bad of ['abc', '1,5', 'NaN', 'Infinity', '0x10', '1e999', '--1', true, [1]]) throwsNormalise(() => decimal(bad, 'price'), 'price');
    });

    it('property: any finite double survives the round trip through its shortest text, plain or exponent', () => {
      fc.assert(
        fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
          expect(Object.is(decimal(String(d), 'x'), d) || (d === 0 && decimal(String(d), 'x') === 0)).to.equal(true);
          expect(decimal(d.toExponential(), 'x')).to.equal(Number(d.toExponential()));
          expect(decimal(d, 'x')).to.equal(d);
        }),
      );
    });

    it('property: random text that Number() would reject, or that is not plain decimal syntax, is refused', () => {
      fc.assert(
        fc.property(fc.string(), (s) => {
          const t = s.trim();
          const plain = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t) && Number.isFinite(Number(t));
          if (t === '') expect(decimal(s, 'x')).to.equal(null);
          else if (plain) expect(decimal(s, 'x')).to.equal(Number(t));
          else throwsNormalise(() => decimal(s, 'x'), 'x');
        }),
      );
    });
  });

  describe('other values', () => {
    it('int32 takes integer strings and refuses fractions and overflow', () => {
      expect(int32('42', 'rank')).to.equal(42);
      throwsNormalise(() => int32('1.5', 'rank'), 'rank');
      throwsNormalise(() => int32(2 ** 31, 'rank'), 'rank');
    });

    it('bool takes booleans and their text', () => {
      expect(bool('TRUE', 'b')).to.equal(true);
      expect(bool(false, 'b')).to.equal(false);
      expect(bool('', 'b')).to.equal(null);
      throwsNormalise(() => bool('yes', 'b'), 'b');
    });

    it('symbol matches case-insensitively and names the allowed set', () => {
      expect(symbol('buy', ['BUY', 'SELL'], 'side')).to.equal('BUY');
      throwsNormalise(() => symbol('HOLD', ['BUY', 'SELL'], 'side'), 'side');
    });

    it('string-encoded JSON arrays parse; real arrays pass; bad text is refused', () => {
      expect(textArray('["Yes", "No"]', 'outcomes')).to.deep.equal(['Yes', 'No']);
      expect(textArray(['a'], 'outcomes')).to.deep.equal(['a']);
      expect(textArray('[]', 'outcomes')).to.deep.equal([]);
      expect(decimalArray('["0.535", "0.465"]', 'outcomePrices')).to.deep.equal([0.535, 0.465]);
      throwsNormalise(() => textArray('[Yes, No]', 'outcomes'), 'outcomes');
      throwsNormalise(() => decimalArray('["x"]', 'outcomePrices'), 'outcomePrices[0]');
      throwsNormalise(() => textArray('{"a":1}', 'outcomes'), 'outcomes');
    });

    it('field reads named fields first, then the JSON text kept in extra', () => {
      const raw = { a: 'named', b: null, extra: { b: '{"x":1}', c: '[1,2]', bad: '{' } };
      expect(field(raw, 'a')).to.equal('named');
      expect(field(raw, 'b')).to.deep.equal({ x: 1 });
      expect(field(raw, 'c')).to.deep.equal([1, 2]);
      expect(field(raw, 'missing')).to.equal(undefined);
      throwsNormalise(() => field(raw, 'bad'), 'bad');
    });
  });
});

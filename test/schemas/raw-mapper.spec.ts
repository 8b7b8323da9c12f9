import avro from 'avsc';
import { expect } from 'chai';
import fc from 'fast-check';
import { SchemaValidationError } from '../../runtime/errors.ts';
import { loadSchema } from '../../schemas/index.ts';
import { fromRawPricePoint, RAW_SCHEMAS, rawMapper, toRawClobMarket, toRawLeaderboardRow, toRawPricePoint, toRawTrade, toRawWsMarketEvent } from '../../schemas/raw/index.ts';
import * as types from '../../schemas/raw/types.ts';
import { thrownBy } from '../expect-error.ts';

const TRADE = {
  proxyWallet: '0x07e24e524ab1474b6e656bc322fab8f47f779474',
  side: 'SELL',
  price: 0.999,
  size: 300,
  conditionId: '0x6df2f2ca434b5bacaef33d6b24edf42845199f4f794e66580de2d2c880a25275',
  timestamp: 1765404888,
  transactionHash: '0x6c5e878948ba9096a10476eeb3cb12c63186cd53f7ce53ede2de4c78eaaaf265',
};

const thrown = (fn: () => unknown): SchemaValidationError => thrownBy(fn, SchemaValidationError);

describe('raw mapping', () => {
  it('the TypeScript field lists equal the fields of their .avsc', () => {
    const lists: Record<string, readonly string[]> = {
      'raw-gamma-market': types.rawGammaMarketFields,
      'raw-gamma-event': types.rawGammaEventFields,
      'raw-clob-market': types.rawClobMarketFields,
      'raw-trade': types.rawTradeFields,
      'raw-leaderboard-row': types.rawLeaderboardRowFields,
      'raw-holder': types.rawHolderFields,
      'raw-open-interest': types.rawOpenInterestFields,
      'raw-price-point': types.rawPricePointFields,
      'raw-ws-market-event': types.rawWsMarketEventFields,
    };
    for (const name of RAW_SCHEMAS) {
      const fields = (loadSchema(name).fields as Array<{ name: string }>).map((f) => f.name);
      expect(lists[name], name).to.deep.equal(fields);
      expect(fields.at(-1), `${name} ends with extra`).to.equal('extra');
    }
  });

  it('refuses a named field with the wrong JSON type, naming the field and the value', () => {
    const err = thrown(() => toRawTrade({ ...TRADE, price: '0.999' }));
    expect(err.message).to.contain('`price`').and.contain('"0.999"');
    expect(err.context).to.include({ field: 'price', value: '0.999' });
    expect(thrown(() => toRawTrade({ ...TRADE, timestamp: 1.5 })).context.field).to.equal('timestamp');
    expect(thrown(() => toRawTrade({ ...TRADE, side: null, outcomeIndex: '1' })).context.field).to.equal('outcomeIndex');
  });

  it('names the path inside nested records and arrays', () => {
    const err = thrown(() => toRawClobMarket({ condition_id: '0x1', tokens: [{ token_id: '1' }, { token_id: 2 }] }));
    expect(err.context.field).to.equal('tokens[1].token_id');
    const ws = thrown(() => toRawWsMarketEvent({ event_type: 'book', bids: [{ price: 0.5, size: '1' }] }));
    expect(ws.context.field).to.equal('bids[0].price');
  });

  it('refuses a missing required field and a non-object record', () => {
    expect(thrown(() => toRawClobMarket({ question: 'q' })).context.field).to.equal('condition_id');
    expect(thrown(() => toRawWsMarketEvent({ market: '0x1' })).context.field).to.equal('event_type');
    thrown(() => toRawTrade([TRADE]));
    thrown(() => toRawTrade('{}'));
  });

  it('checks the JSON type of JSON-text fields', () => {
    const gamma = rawMapper('raw-gamma-market');
    expect(gamma.toRaw({ id: '1', events: [{ id: '2' }] }).events).to.equal('[{"id":"2"}]');
    expect(thrown(() => gamma.toRaw({ id: '1', events: { id: '2' } })).context.field).to.equal('events');
    expect(thrown(() => gamma.toRaw({ id: '1', feeSchedule: [1] })).context.field).to.equal('feeSchedule');
  });

  it('fills context fields from the request, and keeps an API key of the same name in extra', () => {
    const raw = toRawPricePoint({ t: 1_700_000_000, p: 0.53, token: 'from-api' }, { token: '123', interval: '1d', fidelity: 60 });
    expect(raw).to.include({ t: 1_700_000_000, p: 0.53, token: '123', interval: '1d', fidelity: 60, startTs: null, endTs: null });
    expect(raw.extra).to.deep.equal({ token: '"from-api"' });
    expect(fromRawPricePoint(raw)).to.deep.equal({ t: 1_700_000_000, p: 0.53, token: 'from-api' });
    expect(thrown(() => toRawPricePoint({ t: 1, p: 0.5 }, { token: undefined as unknown as string })).context.field).to.equal('token');
    const row = toRawLeaderboardRow({ rank: '1', vol: 1.5 }, { category: 'OVERALL', timePeriod: 'WEEK' });
    expect(row).to.include({ rank: '1', category: 'OVERALL', timePeriod: 'WEEK', orderBy: null, fetchedAt: null });
  });

  it('keeps a "__proto__" key as data, not as a prototype', () => {
    const hostile = JSON.parse('{"proxyWallet":"0x1","__proto__":{"polluted":true}}');
    const raw = toRawTrade(hostile);
    expect(Object.getPrototypeOf(raw.extra)).to.equal(Object.prototype);
    expect(Object.keys(raw.extra)).to.deep.equal(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    const back = rawMapper('raw-trade').fromRaw(raw as unknown as Record<string, unknown>);
    expect(Object.hasOwn(back, '__proto__')).to.equal(true);
  });

  it('property: any keys the schema does not name survive toRaw → Avro → fromRaw exactly', () => {
    const type = avro.Type.forSchema(loadSchema('raw-trade') as avro.Schema);
    const named = new Set<string>(types.rawTradeFields);
    // "__proto__" is left out: avsc decodes map keys by plain assignment, which drops that one key
    // (harmlessly: a string cannot become a prototype). toRaw/fromRaw alone keep it, tested above.
    const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !named.has(k) && k !== 'extra' && k !== '__proto__');
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue(), { maxKeys: 8 }), (extraKeys) => {
        const api = { ...TRADE, ...extraKeys };
        const raw = toRawTrade(api);
        const decoded = structuredClone(type.fromBuffer(type.toBuffer(raw)));
        expect(decoded).to.deep.equal(raw);
        // JSON text keeps -0 as 0, as the API's own JSON would.
        expect(rawMapper('raw-trade').fromRaw(decoded)).to.deep.equal(JSON.parse(JSON.stringify(api)));
      }),
      { numRuns: 200 },
    );
  });

  it('property: a named field given any JSON value of another type is refused naming that field', () => {
    const stringFields = ['proxyWallet', 'side', 'asset', 'conditionId', 'title', 'transactionHash'];
    const notString = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.array(fc.string()), fc.dictionary(fc.string(), fc.string()));
    fc.assert(
      fc.property(fc.constantFrom(...stringFields), notString, (field, value) => {
        const err = thrown(() => toRawTrade({ ...TRADE, [field]: value }));
        expect(err.context.field).to.equal(field);
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * Every record of every Polymarket fixture maps into its raw schema and survives an Avro round
 * trip with every value intact, `extra` included; and back to the API's JSON.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { expect } from 'chai';
import { loadSchema } from '../../schemas/index.ts';
import { type RawSchemaName, rawMapper } from '../../schemas/raw/index.ts';
import { FIXTURE_DIR } from '../../simulator/world/fixtures.ts';

interface Case {
  schema: RawSchemaName;
  records: (body: unknown) => unknown[];
  context?: Record<string, unknown>;
  /** The CLOB listing sends explicit nulls; everything else omits empty keys. */
  keepNulls?: boolean;
}

const asArray = (body: unknown) => body as unknown[];
const one = (body: unknown) => [body];

/** Each fixture file, the raw schema its records belong to, and how to get the records out. */
const CASES: Record<string, Case | { notRecords: string }> = {
  'gamma-markets.json': { schema: 'raw-gamma-market', records: asArray },
  'gamma-events.json': { schema: 'raw-gamma-event', records: asArray },
  'clob-markets.json': { schema: 'raw-clob-market', records: (b) => (b as { data: unknown[] }).data, keepNulls: true },
  'data-trades.projected.json': { schema: 'raw-trade', records: (b) => Object.values(b as Record<string, unknown[]>).flat() },
  'data-leaderboard-week-vol.json': {
    schema: 'raw-leaderboard-row',
    records: asArray,
    context: { category: 'OVERALL', timePeriod: 'WEEK', orderBy: 'VOL', fetchedAt: 1_786_060_800_000 },
  },
  'data-leaderboard-day-pnl.truncated.json': {
    schema: 'raw-leaderboard-row',
    records: asArray,
    context: { category: 'OVERALL', timePeriod: 'DAY', orderBy: 'PNL', fetchedAt: 1_786_060_800_000 },
  },
  // A REST /book snapshot travels on the WebSocket raw topic as a book event.
  'clob-book.json': { schema: 'raw-ws-market-event', records: (b) => [{ ...(b as object), event_type: 'book' }] },
  'ws-market-book.json': { schema: 'raw-ws-market-event', records: one },
  'ws-market-book.2024.json': { schema: 'raw-ws-market-event', records: one },
  'ws-market-last-trade-price.json': { schema: 'raw-ws-market-event', records: one },
  'ws-market-price-change.docs-example.json': { schema: 'raw-ws-market-event', records: one },
  'ws-market-price-change.legacy-2024.json': { schema: 'raw-ws-market-event', records: one },
  'ws-market-tick-size-change.json': { schema: 'raw-ws-market-event', records: one },
  'ws-market-custom-events.docs-example.json': { schema: 'raw-ws-market-event', records: (b) => Object.values(b as object) },
  'data-leaderboard.error-invalid-category.json': { notRecords: 'an API error body' },
  'ws-market-subscribe.docs-example.json': { notRecords: 'client-to-server subscription messages' },
};

function dropTopLevelNulls(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null));
}

describe('raw schemas: every fixture record', () => {
  it('every fixture file is classified (a new fixture must be added to this table)', () => {
    const files = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).to.be.greaterThan(10);
    expect(files.filter((f) => !(f in CASES))).to.deep.equal([]);
  });

  for (const [file, c] of Object.entries(CASES)) {
    if ('notRecords' in c) continue;
    it(`${file} → ${c.schema}: maps, round-trips through Avro, and maps back to the API JSON`, () => {
      const body = JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8'));
      const records = c.records(body);
      expect(records.length).to.be.greaterThan(0);
      const type = avro.Type.forSchema(loadSchema(c.schema) as avro.Schema);
      const mapper = rawMapper(c.schema);
      for (const apiObject of records) {
        const raw = mapper.toRaw(apiObject, c.context);
        // avsc decodes records into class instances; structuredClone makes plain objects to compare.
        const decoded = structuredClone(type.fromBuffer(type.toBuffer(raw)));
        expect(decoded).to.deep.equal(raw);
        const back = mapper.fromRaw(decoded as Record<string, unknown>, { keepNulls: c.keepNulls });
        const expected = c.keepNulls ? (apiObject as Record<string, unknown>) : dropTopLevelNulls(apiObject as Record<string, unknown>);
        expect(back).to.deep.equal(expected);
      }
    });
  }

  it('gamma-markets: string-encoded arrays and numeric strings stay strings; nested events stay JSON text', () => {
    const [market] = JSON.parse(readFileSync(join(FIXTURE_DIR, 'gamma-markets.json'), 'utf8'));
    const raw = rawMapper('raw-gamma-market').toRaw(market);
    expect(raw.outcomes).to.equal('["Yes", "No"]');
    expect(raw.volume).to.equal('32257.445115');
    expect(raw.volumeNum).to.equal(32257.45);
    expect(raw.startDate).to.equal(null);
    expect(JSON.parse(raw.events as string)[0].id).to.equal('4690');
  });

  it('gamma-events: keys the schema does not name (version) land in extra as JSON text', () => {
    const [event] = JSON.parse(readFileSync(join(FIXTURE_DIR, 'gamma-events.json'), 'utf8'));
    const raw = rawMapper('raw-gamma-event').toRaw(event);
    expect(raw.extra).to.deep.equal({ version: '"v1"' });
    expect(raw.gameId).to.equal(10079774);
    expect(JSON.parse(raw.teams as string)).to.have.length(2);
  });

  it('clob-markets: tokens are typed records, and unknown token keys would go to the token extra', () => {
    const body = JSON.parse(readFileSync(join(FIXTURE_DIR, 'clob-markets.json'), 'utf8'));
    const raw = rawMapper('raw-clob-market').toRaw(body.data[0]) as { tokens: Array<Record<string, unknown>> };
    expect(raw.tokens[0]).to.include({ outcome: 'Arizona State', price: 1, winner: true });
    expect(raw.tokens[0]!.token_id).to.match(/^\d{70,78}$/);
  });
});

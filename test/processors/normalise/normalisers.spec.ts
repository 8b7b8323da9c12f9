import type avro from 'avsc';
import { expect } from 'chai';
import { NORMALISERS } from '../../../processors/normalise/index.ts';
import type { CleanOutput, RawInput } from '../../../processors/normalise/types.ts';
import { NormaliseError } from '../../../runtime/errors.ts';
import { CLEAN_FIELDS, type CleanTopicKey } from '../../../schemas/clean-records.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { avroType, fixture, schemaJson, toRaw } from '../fixtures.ts';

const FETCHED = Date.UTC(2025, 11, 14, 21, 2, 0);
const cleanTypes = new Map<CleanTopicKey, avro.Type>();
function cleanType(topic: CleanTopicKey): avro.Type {
  let t = cleanTypes.get(topic);
  if (!t) {
    t = avroType(TOPICS[topic].schema);
    cleanTypes.set(topic, t);
  }
  return t;
}

/** Normalises one fixture object through its raw schema and checks every output against its clean schema. */
function run(rawTopic: keyof typeof TOPICS, json: Record<string, unknown>, key = 'k-1', headers: Record<string, string> = {}): CleanOutput[] {
  const def = TOPICS[rawTopic];
  const input: RawInput = { key, value: toRaw(def.schema!, json), timestamp: FETCHED, headers };
  const out = NORMALISERS[def.name]!(input);
  for (const o of out) {
    const errors: string[] = [];
    const ok = cleanType(o.topic).isValid(o.value, { errorHook: (path, v) => errors.push(`${path.join('.')}=${JSON.stringify(v)}`) });
    expect(ok, `${o.topic} record invalid: ${errors.join(', ')}`).to.equal(true);
  }
  return out;
}

const byTopic = <K extends CleanTopicKey>(out: CleanOutput[], topic: K) => out.filter((o) => o.topic === topic).map((o) => o.value) as Array<Extract<CleanOutput, { topic: K }>['value']>;

describe('processors/normalise: fixtures through the raw schemas into clean records', () => {
  it('clean field lists match the .avsc files exactly', () => {
    for (const [topic, fields] of Object.entries(CLEAN_FIELDS)) {
      const schema = schemaJson(TOPICS[topic as CleanTopicKey].schema) as unknown as { fields: Array<{ name: string }> };
      expect(
        schema.fields.map((f) => f.name),
        topic,
      ).to.deep.equal([...fields]);
    }
  });

  it('Gamma market: string-encoded arrays, numeric strings, every date dialect, embedded event, tokens', () => {
    const json = fixture<Array<Record<string, unknown>>>('gamma-markets.json')[0]!;
    expect(run('rawGammaMarkets', json, '12', { 'pma-fetched-at': String(FETCHED + 5) })[0]!.value).to.include({ observed_ts: FETCHED + 5 });
    const out = run('rawGammaMarkets', json);
    const [market] = byTopic(out, 'markets');
    expect(market).to.include({
      condition_id: '0xe3b423dfad8c22ff75c9899c4e8176f628cf4ad4caa00481764d320e7415f7a9',
      source: 'GAMMA',
      observed_ts: FETCHED,
      gamma_id: '12',
      category: 'US-current-affairs',
      event_id: '4690',
      event_slug: 'will-joe-biden-get-coronavirus-before-the-election',
      volume: 32257.445115,
      liquidity: 0,
      active: true,
      closed: true,
      end_ts: Date.UTC(2020, 10, 4),
      created_ts: Date.UTC(2020, 9, 2, 16, 10, 1, 467),
      updated_ts: Date.UTC(2024, 3, 23, 0, 49, 51, 620),
      closed_ts: Date.UTC(2020, 10, 2, 16, 31, 1),
      start_ts: null,
      market_maker_address: '0x8BD6C3D7a57D650A1870dd338234f90051fe9918',
    });
    expect(market!.description).to.equal(json.description);
    expect(market!.outcomes).to.deep.equal(['Yes', 'No']);
    expect(market!.outcome_prices).to.deep.equal([0, 0]);
    const tokens = byTopic(out, 'tokens');
    expect(tokens.map((t) => [t.token_id, t.outcome, t.outcome_index, t.price, t.winner, t.event_id])).to.deep.equal([
      ['53135072462907880191400140706440867753044989936304433583131786753949599718775', 'Yes', 0, 0, null, '4690'],
      ['60869871469376321574904667328762911501870754872924453995477779862968218702336', 'No', 1, 0, null, '4690'],
    ]);
    expect(out.map((o) => o.key)).to.deep.equal([market!.condition_id, tokens[0]!.token_id, tokens[1]!.token_id]);
  });

  it('CLOB markets: every fixture market, tokens with winner flags, tags, ISO and null dates', () => {
    const page = fixture<{ data: Array<Record<string, unknown>> }>('clob-markets.json');
    for (const json of page.data) {
      const out = run('rawClobMarkets', json);
      const [market] = byTopic(out, 'markets');
      const tokens = byTopic(out, 'tokens');
      const rawTokens = json.tokens as Array<{ token_id: string; outcome: string; price: number; winner: boolean }>;
      expect(market!.condition_id).to.equal(json.condition_id);
      expect(market!.source).to.equal('CLOB');
      expect(market!.tags).to.deep.equal(json.tags);
      expect(market!.token_ids).to.deep.equal(rawTokens.map((t) => t.token_id));
      expect(market!.game_start_ts).to.equal(json.game_start_time === null ? null : Date.parse(json.game_start_time as string));
      expect(market!.end_ts).to.equal(Date.parse(json.end_date_iso as string));
      expect(tokens.map((t) => [t.token_id, t.outcome, t.price, t.winner])).to.deep.equal(rawTokens.map((t) => [t.token_id, t.outcome, t.price, t.winner]));
    }
  });

  it('Gamma event: numbers, dialects, nested markets and tags', () => {
    const json: Record<string, unknown> = { ...fixture<Array<Record<string, unknown>>>('gamma-events.json')[0]!, markets: [{ conditionId: '0xabc' }, { conditionId: '0xdef' }] };
    const [event] = byTopic(run('rawGammaEvents', json), 'events');
    expect(event).to.include({
      event_id: '1113725',
      slug: 'mlb-mil-sd-2026-10-07',
      volume: 1144235.9190239997,
      open_interest: 72165.91007399998,
      series_slug: 'mlb',
      created_ts: Date.UTC(2026, 9, 1, 13, 0, 18, 241),
      closed_ts: Date.UTC(2026, 9, 8, 5, 38, 16),
      comment_count: 0,
    });
    expect(event!.market_condition_ids).to.deep.equal(['0xabc', '0xdef']);
    expect(event!.tags.length).to.equal((json.tags as unknown[]).length);
  });

  it('trades: every one of the 2,500 projected fixture rows, seconds to ms, side enum, floats as sent', () => {
    const pages = fixture<Record<string, Array<Record<string, unknown>>>>('data-trades.projected.json');
    let n = 0;
    for (const rows of Object.values(pages)) {
      for (const row of rows) {
        const [trade] = byTopic(run('rawTrades', row, `t-${n++}`), 'trades');
        expect(trade).to.include({
          condition_id: row.conditionId,
          timestamp: (row.timestamp as number) * 1000,
          side: row.side,
          price: row.price,
          size: row.size,
          transaction_hash: row.transactionHash,
          proxy_wallet: row.proxyWallet,
          role: 'UNKNOWN',
          unresolved: false,
          token_id: null,
        });
      }
    }
    expect(n).to.equal(2500);
  });

  it('a full Data API trade row keeps its token, outcome and names; the recorded role is read', () => {
    const row = {
      proxyWallet: '0x07e24e524ab1474b6e656bc322fab8f47f779474',
      side: 'BUY',
      asset: '123',
      conditionId: '0xc0',
      size: 10,
      price: 0.999000000999,
      timestamp: 1765404888,
      title: 'T',
      slug: 's',
      icon: '',
      eventSlug: 'ev',
      outcome: 'Yes',
      outcomeIndex: 0,
      name: 'n',
      pseudonym: 'p',
      bio: '',
      profileImage: '',
      profileImageOptimized: '',
      transactionHash: '0xhash',
    };
    const [trade] = byTopic(run('rawTrades', row, 'key-9', { 'pma-fill-role': 'maker' }), 'trades');
    expect(trade).to.include({ trade_id: 'key-9', token_id: '123', outcome: 'Yes', outcome_index: 0, event_slug: 'ev', price: 0.999000000999, role: 'MAKER', market_slug: 's' });
  });

  it('leaderboard rows: string rank to int, board from the request context, snapshot from fetchedAt', () => {
    const rows = fixture<Array<Record<string, unknown>>>('data-leaderboard-week-vol.json');
    const out = run('rawLeaderboard', { ...rows[1]!, category: 'OVERALL', timePeriod: 'WEEK', orderBy: 'VOL', fetchedAt: 1_765_000_000_123 });
    const [row] = byTopic(out, 'leaderboard');
    expect(row).to.deep.equal({
      snapshot_ts: 1_765_000_000_123,
      category: 'OVERALL',
      time_period: 'WEEK',
      order_by: 'VOL',
      rank: 2,
      proxy_wallet: '0x2005d16a84ceefa912d4e380cd32e7ff827875ea',
      user_name: 'RN1',
      x_username: 'RN1polymarket',
      verified_badge: false,
      vol: 26644164.223832004,
      pnl: 303702.9884043636,
      profile_image: rows[1]!.profileImage,
    });
    const [dflt] = byTopic(run('rawLeaderboard', { ...rows[0]! }), 'leaderboard');
    expect(dflt).to.include({ snapshot_ts: FETCHED, category: 'OVERALL', time_period: 'DAY', order_by: 'PNL', rank: 1 });
  });

  it('top holders: market and snapshot from the request context, token from the row (else the element it was listed under)', () => {
    // The fields spec 4.5 lists for a /holders row, with a key the schema does not name.
    const holder = {
      proxyWallet: '0xAbC0000000000000000000000000000000000001',
      bio: '',
      asset: '7777',
      pseudonym: 'Calm-Otter',
      amount: 1234.5,
      displayUsernamePublic: true,
      outcomeIndex: 1,
      name: 'whale',
      profileImage: '',
      profileImageOptimized: '',
      verified: false,
      newKey: 3,
    };
    const context = { market: '0xCC01', token: '7777', fetchedAt: 1_765_000_000_123 };
    const [row] = byTopic(run('rawHolders', { ...holder, ...context }, 'key-h'), 'holders');
    expect(row).to.deep.equal({
      snapshot_ts: 1_765_000_000_123,
      condition_id: '0xCC01',
      token_id: '7777',
      outcome_index: 1,
      proxy_wallet: '0xAbC0000000000000000000000000000000000001',
      amount: 1234.5,
      name: 'whale',
      pseudonym: 'Calm-Otter',
    });
    const { asset: _, ...withoutAsset } = holder;
    const [listed] = byTopic(run('rawHolders', { ...withoutAsset, market: '0xCC01', token: '8888' }), 'holders');
    expect(listed).to.include({ token_id: '8888', snapshot_ts: FETCHED });
  });

  it('open interest: one row per market, snapshot from fetchedAt', () => {
    const [row] = byTopic(run('rawOpenInterest', { market: '0xCC01', value: 4521.25, fetchedAt: 1_765_000_000_123 }, 'key-o'), 'openInterest');
    expect(row).to.deep.equal({ snapshot_ts: 1_765_000_000_123, condition_id: '0xCC01', value: 4521.25 });
  });

  it('price points: seconds to ms; the appended "now" point past endTs is dropped', () => {
    const base = { t: 1_700_000_000, p: 0.535, token: '555', fidelity: 60, startTs: 1_699_990_000, endTs: 1_700_000_000 };
    const [point] = byTopic(run('rawPrices', base), 'prices');
    expect(point).to.deep.equal({ token_id: '555', timestamp: 1_700_000_000_000, price: 0.535, condition_id: null, outcome: null, outcome_index: null, fidelity_minutes: 60, unresolved: false });
    expect(run('rawPrices', { ...base, t: 1_700_000_001 })).to.deep.equal([]);
  });

  it('WebSocket book: levels as doubles in the order sent, empty last_trade_price is null', () => {
    for (const name of ['ws-market-book.json', 'clob-book.json']) {
      const json: Record<string, unknown> = { event_type: 'book', ...fixture<Record<string, unknown>>(name) };
      const [book] = byTopic(run('rawMarketWs', json, 'wk'), 'book');
      const bids = json.bids as Array<{ price: string; size: string }>;
      expect(book!.bids).to.deep.equal(bids.map((l) => ({ price: Number(l.price), size: Number(l.size) })));
      expect(book!.timestamp).to.equal(Number(json.timestamp));
      expect(book!.token_id).to.equal(json.asset_id);
      expect(book!.condition_id).to.equal(json.market);
      if (json.last_trade_price === '') expect(book!.last_trade_price).to.equal(null);
    }
  });

  it('WebSocket price_change: current, legacy "changes" and flat 2024 shapes, one record per entry', () => {
    const current = byTopic(run('rawMarketWs', fixture('ws-market-price-change.docs-example.json'), 'pc'), 'book');
    expect(current.map((e) => [e.event_id, e.side, e.price, e.size, e.best_bid, e.best_ask])).to.deep.equal([
      ['pc#0', 'BUY', 0.5, 200, 0.5, 1],
      ['pc#1', 'SELL', 0.5, 200, 0, 0.5],
    ]);
    expect(current[1]!.token_id).to.equal('52114319501245915516055106046884209969926127482827954674443846427813813222426');
    const legacy = byTopic(
      run('rawMarketWs', { event_type: 'price_change', asset_id: '77', market: '0xm', hash: 'h', timestamp: '1723967931411', changes: [{ price: '0.4', side: 'SELL', size: '3' }] }, 'lg'),
      'book',
    );
    expect(legacy.map((e) => [e.event_id, e.token_id, e.price, e.side, e.hash])).to.deep.equal([['lg#0', '77', 0.4, 'SELL', 'h']]);
    const [flat] = byTopic(run('rawMarketWs', fixture('ws-market-price-change.legacy-2024.json'), 'fl'), 'book');
    expect(flat).to.include({ event_id: 'fl', price: 0.514, size: 21574.08, side: 'SELL', timestamp: 1723967931411 });
  });

  it('WebSocket last_trade_price, tick_size_change, custom events and an unknown event type', () => {
    const [last] = byTopic(run('rawMarketWs', fixture('ws-market-last-trade-price.json')), 'book');
    expect(last).to.include({ event_type: 'last_trade_price', price: 0.491, size: 85.36, side: 'SELL', fee_rate_bps: 0 });
    const [tick] = byTopic(run('rawMarketWs', fixture('ws-market-tick-size-change.json')), 'book');
    expect(tick).to.include({ old_tick_size: 0.01, new_tick_size: 0.001 });
    const custom = fixture<Record<string, Record<string, unknown>>>('ws-market-custom-events.docs-example.json');
    const [bba] = byTopic(run('rawMarketWs', custom.best_bid_ask!), 'book');
    expect(bba).to.include({ best_bid: 0.73, best_ask: 0.77, spread: 0.04 });
    const [resolved] = byTopic(run('rawMarketWs', custom.market_resolved!), 'book');
    expect(resolved).to.include({ winning_token_id: custom.market_resolved!.winning_asset_id, winning_outcome: 'Yes' });
    const [created] = byTopic(run('rawMarketWs', custom.new_market!), 'book');
    expect(created).to.include({ event_type: 'new_market', condition_id: custom.new_market!.market });
    const [unknown] = byTopic(run('rawMarketWs', { event_type: 'mystery', market: '0xm', timestamp: '1766790415550', surprise: 1 }), 'book');
    expect(unknown).to.include({ event_type: 'mystery', condition_id: '0xm', timestamp: 1766790415550 });
  });

  it('bad records throw a NormaliseError naming the field', () => {
    const cases: Array<[keyof typeof TOPICS, Record<string, unknown>, string]> = [
      ['rawTrades', { conditionId: '0xc', side: 'HOLD', price: 1, size: 1, timestamp: 1, transactionHash: 'h', proxyWallet: 'w' }, 'side'],
      ['rawTrades', { conditionId: '0xc', side: 'BUY', price: 1, size: 1, transactionHash: 'h', proxyWallet: 'w' }, 'timestamp'],
      ['rawGammaMarkets', { id: '1', conditionId: '0xc', outcomes: '["Yes","No"]', clobTokenIds: '["1"]' }, 'clobTokenIds'],
      ['rawGammaMarkets', { id: '1', conditionId: '0xc', outcomes: '[Yes' }, 'outcomes'],
      ['rawGammaMarkets', { id: '1', conditionId: '0xc', endDate: 'soon' }, 'endDate'],
      ['rawMarketWs', { event_type: 'book', timestamp: '1', bids: [{ price: 'x', size: '1' }] }, 'bids[0].price'],
      ['rawLeaderboard', { rank: 'first', proxyWallet: '0x1' }, 'rank'],
      ['rawHolders', { proxyWallet: '0x1', asset: '7', amount: 1 }, 'market'],
      ['rawHolders', { proxyWallet: '0x1', asset: '7', market: '0xc' }, 'amount'],
      ['rawOpenInterest', { market: 'GLOBAL', value: 10 }, 'market'],
      ['rawOpenInterest', { market: '0xc' }, 'value'],
    ];
    for (const [topic, json, fieldName] of cases) {
      try {
        run(topic, json);
        expect.fail(`${topic} ${JSON.stringify(json)} should not normalise`);
      } catch (err) {
        expect(err, String(err)).to.be.instanceOf(NormaliseError);
        expect((err as NormaliseError).context.field).to.equal(fieldName);
      }
    }
  });
});

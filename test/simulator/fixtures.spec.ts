/**
 * The captured samples are served byte for byte where their request matches (whole bodies), and
 * their records appear with their exact original text inside ordinary pages; `fixtures: false`
 * leaves every one of them out.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import WebSocket from 'ws';
import { arrayElementTexts, objectMemberTexts } from '../../simulator/core/json-text.ts';
import { FIXTURE_DIR } from '../../simulator/world/fixtures.ts';
import { fetchRaw, getJson, qs, useSimulator } from './helpers.ts';

const file = (name: string) => readFileSync(`${FIXTURE_DIR}${name}`);
// SHA-256 of the samples in the workspace's shared folder, recorded when they were copied here
// (`sha256sum *.json`): the copies are checked against them without reading outside the clone.
const SAMPLE_SUMS = new Map(
  readFileSync(fileURLToPath(new URL('./shared-samples.sha256', import.meta.url)), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [sum, name] = line.split(/\s+/);
      return [name!, sum!] as const;
    }),
);

describe('simulator fixtures: byte for byte', () => {
  const h = useSimulator({ seed: 3, markets: 1_100, events: 400, tradesPerMarket: 3, profile: '2025-12' });

  it('the copies in simulator/fixtures equal the captured samples (their recorded SHA-256)', () => {
    const names = readdirSync(FIXTURE_DIR).filter((n) => n.endsWith('.json'));
    expect(names.length).to.be.greaterThan(10);
    expect([...SAMPLE_SUMS.keys()].sort()).to.deep.equal([...names].sort());
    for (const n of names) expect(createHash('sha256').update(file(n)).digest('hex'), n).to.equal(SAMPLE_SUMS.get(n));
  });

  it('whole bodies: book, event, leaderboard pages and the invalid-category error', async () => {
    const book = await fetchRaw(`${h.sim.urls.clob}/book?token_id=72610532355343625199299853218161700546393390326785971247545541945337255643692`);
    expect(book.bytes.equals(file('clob-book.json'))).to.equal(true);
    const event = await fetchRaw(`${h.sim.urls.gamma}/events?include_markets=false&id=1113725`);
    expect(event.bytes.equals(file('gamma-events.json'))).to.equal(true);
    const week = await fetchRaw(`${h.sim.urls.data}/v1/leaderboard?timePeriod=WEEK&orderBy=VOL&limit=2`);
    expect(week.bytes.equals(file('data-leaderboard-week-vol.json'))).to.equal(true);
    const day = await fetchRaw(`${h.sim.urls.data}/v1/leaderboard?timePeriod=DAY&orderBy=PNL&limit=3`);
    expect(day.bytes.equals(file('data-leaderboard-day-pnl.truncated.json'))).to.equal(true);
    const err = await fetchRaw(`${h.sim.urls.data}/v1/leaderboard?category=all&market=0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af&timePeriod=all&orderBy=VOL&limit=50&offset=0`);
    expect(err.status).to.equal(400);
    expect(err.bytes.equals(file('data-leaderboard.error-invalid-category.json'))).to.equal(true);
  });

  it("the seed's time-window trade pages (startTs/endTs ignored by the API) come back exactly", async () => {
    const text = file('data-trades.projected.json').toString('utf8');
    for (const [market, arrayText] of objectMemberTexts(text, text.indexOf('{'))) {
      const r = await fetchRaw(`${h.sim.urls.data}/trades?${qs({ market, startTs: 1_700_000_000, endTs: 1_765_000_000, limit: 500 })}`);
      expect(r.text).to.equal(arrayText);
    }
  });

  it('records inside pages keep their original text: Gamma market 12, the captured CLOB first page, leaderboard rows', async () => {
    const gammaText = file('gamma-markets.json').toString('utf8');
    const [m12] = arrayElementTexts(gammaText, gammaText.indexOf('['));
    const page = await fetchRaw(`${h.sim.urls.gamma}/markets?limit=100&offset=0`);
    expect(page.text.startsWith(`[${m12},`)).to.equal(true);
    JSON.parse(page.text);

    const clobText = file('clob-markets.json').toString('utf8');
    const five = arrayElementTexts(clobText, clobText.indexOf('[', clobText.indexOf('"data"')));
    const clob = await fetchRaw(`${h.sim.urls.clob}/markets?next_cursor=MA==`);
    expect(clob.text.startsWith(`{"limit":1000,"count":1000,"next_cursor":"MTAwMA==","data":[${five.join(',')},`)).to.equal(true);
    const parsed = JSON.parse(clob.text) as { next_cursor: string };
    expect(parsed.next_cursor).to.equal(JSON.parse(clobText).next_cursor);

    const lb = await getJson<Array<Record<string, unknown>>>(`${h.sim.urls.data}/v1/leaderboard?timePeriod=WEEK&orderBy=VOL&limit=5`);
    expect(lb.body.slice(0, 2)).to.deep.equal(JSON.parse(file('data-leaderboard-week-vol.json').toString()));
  });

  it('the captured fills are ordinary fills of the world: served with every key, newest first, and in the truth', async () => {
    const text = file('data-trades.projected.json').toString('utf8');
    const captured = JSON.parse(text) as Record<string, Array<Record<string, unknown>>>;
    const [market, rows] = Object.entries(captured)[0]!;
    const served = (await getJson<Array<Record<string, unknown>>>(`${h.sim.urls.data}/trades?${qs({ market, limit: 500 })}`)).body;
    expect(served).to.have.length(rows.length);
    served.forEach((s, i) => {
      for (const k of ['proxyWallet', 'side', 'price', 'size', 'conditionId', 'timestamp', 'transactionHash']) expect(s[k], k).to.equal(rows[i]![k]);
      expect(s.asset).to.match(/^\d{77}$/);
    });
    const truth = [...h.sim.truth({ types: ['trade'], takerOnly: true })].filter((r) => r.conditionId === market);
    expect(truth).to.have.length(rows.length);
  });

  it('a WebSocket subscription to the captured asset gets the captured book in its initial dump', async () => {
    const sample = file('ws-market-book.json').toString('utf8').replace(/\n$/, '');
    const asset = (JSON.parse(sample) as { asset_id: string }).asset_id;
    const ws = new WebSocket(h.sim.urls.ws);
    const first = await new Promise<string>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ assets_ids: [asset], type: 'market' })));
      ws.on('message', (d) => resolve(d.toString()));
      ws.on('error', reject);
    });
    ws.terminate();
    expect(first).to.equal(`[${sample}]`);
  });
});

describe('simulator fixtures: off', () => {
  const h = useSimulator({ seed: 3, markets: 50, fixtures: false, profile: '2025-12' });

  it('no captured record or body is served', async () => {
    const book = await getJson(`${h.sim.urls.clob}/book?token_id=72610532355343625199299853218161700546393390326785971247545541945337255643692`);
    expect(book.status).to.equal(404);
    const week = await fetchRaw(`${h.sim.urls.data}/v1/leaderboard?timePeriod=WEEK&orderBy=VOL&limit=2`);
    expect(week.bytes.equals(file('data-leaderboard-week-vol.json'))).to.equal(false);
    const markets = (await getJson<Array<{ id: string }>>(`${h.sim.urls.gamma}/markets?limit=500`)).body;
    expect(markets.map((m) => m.id)).to.not.include('12');
    expect(h.sim.world.F).to.equal(0);
  });
});

/**
 * What clients written against the real APIs check (py-clob-client, polymarket-apis): book order
 * and hash, one key per token in batch answers, the captured event under every lookup.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { fetchRaw, getJson, useSimulator } from './helpers.ts';

type Level = { price: string; size: string };
type BookBody = { hash: string; bids: Level[]; asks: Level[] } & Record<string, unknown>;

/** The CLOB's book hash as clients recompute it: SHA-1 of the book's compact JSON with `hash` empty, keys in served order. */
function recomputedHash(text: string): string {
  const book = JSON.parse(text) as BookBody;
  return createHash('sha1')
    .update(JSON.stringify({ ...book, hash: '' }))
    .digest('hex');
}

const FIXTURE_BOOK = new URL('../../simulator/fixtures/clob-book.json', import.meta.url);

describe('simulator answers as real clients expect them', () => {
  const h = useSimulator({ seed: 11, markets: 120, events: 40, tradesPerMarket: 5, pricePoints: 20, leaderboardSize: 50, profile: 'current' });

  async function openTokens(): Promise<string[][]> {
    const page = (await getJson<{ data: Array<{ closed: boolean; enable_order_book: boolean; tokens: Array<{ token_id: string }> }> }>(`${h.sim.urls.clob}/markets`)).body.data;
    return page.filter((m) => !m.closed && m.enable_order_book).map((m) => m.tokens.map((t) => t.token_id));
  }

  it('the hash recomputation reproduces the real captured book', () => {
    const text = readFileSync(FIXTURE_BOOK, 'utf8');
    expect(recomputedHash(text)).to.equal((JSON.parse(text) as BookBody).hash);
  });

  it('/book of either outcome token: bids ascending and asks descending (best last), and a hash recomputed from the book', async () => {
    const markets = await openTokens();
    expect(markets.length).to.be.greaterThan(5);
    let sided = 0;
    for (const tokens of markets.slice(0, 20)) {
      for (const token of tokens) {
        const reply = await fetchRaw(`${h.sim.urls.clob}/book?token_id=${token}`);
        if (reply.status !== 200) continue;
        const book = JSON.parse(reply.text) as BookBody;
        const bids = book.bids.map((l) => Number(l.price));
        const asks = book.asks.map((l) => Number(l.price));
        expect(bids, `bids of ${token}`).to.deep.equal([...bids].sort((a, b) => a - b));
        expect(asks, `asks of ${token}`).to.deep.equal([...asks].sort((a, b) => b - a));
        if (bids.length > 1 && asks.length > 1) sided++;
        expect(book.hash, `hash of ${token}`).to.equal(recomputedHash(reply.text));
      }
    }
    expect(sided).to.be.greaterThan(5);
  });

  it('POST /prices with BUY and SELL of one token answers one key holding both sides; /midpoints one key per token', async () => {
    const [token] = (await openTokens())[0]!;
    const reply = await fetchRaw(`${h.sim.urls.clob}/prices`, [
      { token_id: token, side: 'BUY' },
      { token_id: token, side: 'SELL' },
    ]);
    expect(reply.status).to.equal(200);
    expect(reply.text.split(`"${token}"`).length - 1, reply.text).to.equal(1);
    const body = JSON.parse(reply.text) as Record<string, Record<string, string>>;
    expect(Object.keys(body[token!]!).sort()).to.deep.equal(['BUY', 'SELL']);
    const single = await getJson<{ price: string }>(`${h.sim.urls.clob}/price?token_id=${token}&side=SELL`);
    expect(body[token!]!.SELL).to.equal(single.body.price);
    const mids = await fetchRaw(`${h.sim.urls.clob}/midpoints`, [{ token_id: token }, { token_id: token }]);
    expect(mids.text.split(`"${token}"`).length - 1, mids.text).to.equal(1);
  });

  it('the captured Gamma event answers by id, by ?id= with or without include_markets, and by slug', async () => {
    const byId = await getJson<{ id: string; slug: string }>(`${h.sim.urls.gamma}/events/1113725`);
    expect(byId.status).to.equal(200);
    expect(byId.body.id).to.equal('1113725');
    for (const query of ['id=1113725', 'id=1113725&include_markets=false']) {
      const listed = await getJson<Array<{ id: string }>>(`${h.sim.urls.gamma}/events?${query}`);
      expect(
        listed.body.map((e) => e.id),
        query,
      ).to.deep.equal(['1113725']);
    }
    const bySlug = await getJson<{ id: string }>(`${h.sim.urls.gamma}/events/slug/${byId.body.slug}`);
    expect(bySlug.body.id).to.equal('1113725');
  });
});

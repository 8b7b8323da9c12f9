/**
 * The real samples in `simulator/fixtures/` (copied from `shared/fixtures/polymarket/`), made
 * part of the world. Two kinds of use:
 *
 * - Records: the Gamma market `12` (with its event), the five CLOB markets of the captured first
 *   page, the five markets of the captured trade pages (500 fills each) and the captured leaderboard
 *   rows become ordinary records of the world. Wherever a page holds one of them, its exact
 *   original text is spliced into the page; the fields the samples lack (e.g. a Gamma form of a CLOB
 *   market) are derived.
 * - Overlays: a request that matches a captured request exactly (path and query) is answered with
 *   the captured body, byte for byte (the book, the event, the leaderboard pages, the invalid
 *   category error, the seed's trade pages); the WebSocket book sample is sent to whoever
 *   subscribes to its asset.
 *
 * `--no-fixtures` builds an empty FixtureWorld: neither records nor overlays.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hash, mix32 } from '../core/hash.ts';
import { arrayElementTexts, objectMemberTexts } from '../core/json-text.ts';
import type { Category } from './text.ts';
import type { EventView, FixtureFill, FixtureMarket } from './views.ts';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

export interface FixtureEvent {
  id: number;
  firstMarket: number;
  marketCount: number;
  category: Category;
  tags: readonly number[];
  view: Omit<EventView, 'index'>;
}

/** A captured request: answered with the captured body when path and query match exactly. */
export interface Overlay {
  api: 'gamma' | 'data' | 'clob';
  path: string;
  /** Every query key the request must carry, with its value; `*` matches any value. No other key may be present. */
  query: Readonly<Record<string, string>>;
  status: number;
  body: Buffer;
  source: string;
}

/** A captured leaderboard row placed at the top of a board. */
export interface FixtureBoardRow {
  category: string;
  timePeriod: string;
  orderBy: string;
  rank: number;
  text: string;
  proxyWallet: string;
  userName: string;
  vol: number;
  pnl: number;
}

export interface FixtureWorld {
  markets: FixtureMarket[];
  events: FixtureEvent[];
  overlays: Overlay[];
  /** WebSocket `book` samples by asset id (exact text). */
  wsBooks: Map<string, string>;
  boardRows: FixtureBoardRow[];
  /** CLOB listing order of the fixture markets (the captured first page comes first). */
  clobOrder: number[];
  byGammaId: Map<number, number>;
  byCondition: Map<string, number>;
  byToken: Map<string, [number, number]>;
  bySlug: Map<string, number>;
  eventsById: Map<number, number>;
  eventsBySlug: Map<string, number>;
}

export function emptyFixtureWorld(): FixtureWorld {
  return {
    markets: [],
    events: [],
    overlays: [],
    wsBooks: new Map(),
    boardRows: [],
    clobOrder: [],
    byGammaId: new Map(),
    byCondition: new Map(),
    byToken: new Map(),
    bySlug: new Map(),
    eventsById: new Map(),
    eventsBySlug: new Map(),
  };
}

const read = (name: string) => readFileSync(`${FIXTURE_DIR}${name}`, 'utf8');
const readBytes = (name: string) => readFileSync(`${FIXTURE_DIR}${name}`);
const secs = (iso: string) => Math.floor(Date.parse(iso.replace(' ', 'T').replace(/\+00$/, 'Z')) / 1000);

/** A 77-digit token id for a captured market whose token ids were not captured. */
function derivedTokenId(seed: number, conditionId: string, o: number): string {
  let h = 0;
  for (let i = 0; i < conditionId.length; i++) h = mix32(h ^ conditionId.charCodeAt(i));
  let s = String(1 + (hash(seed, 777, h, o) % 9));
  for (let i = 0; s.length < 77; i++) s += String(hash(seed, 778, h, o * 64 + i) % 1_000_000_000).padStart(9, '0');
  return s.slice(0, 77);
}

function baseEvent(
  id: number,
  m: number,
  category: Category,
  tags: readonly number[],
  title: string,
  slug: string,
  createdAt: number,
  endDate: number,
  image: string,
  description: string,
): FixtureEvent {
  return {
    id,
    firstMarket: m,
    marketCount: 1,
    category,
    tags,
    view: {
      id: String(id),
      slug,
      ticker: slug,
      title,
      description,
      resolutionSource: '',
      category,
      createdAt,
      startDate: createdAt,
      endDate,
      firstMarket: m,
      marketCount: 1,
      negRisk: false,
      image,
      icon: image,
      tags,
      seriesSlug: null,
      fixtureText: null,
    },
  };
}

/** Loads every sample and places its records in the world. `seed` only derives the ids the samples lack. */
export function loadFixtureWorld(seed: number): FixtureWorld {
  const w = emptyFixtureWorld();
  const addMarket = (f: FixtureMarket) => {
    const m = w.markets.length;
    w.markets.push(f);
    w.byGammaId.set(f.gammaId, m);
    w.byCondition.set(f.conditionId.toLowerCase(), m);
    w.byToken.set(f.tokens[0], [m, 0]);
    w.byToken.set(f.tokens[1], [m, 1]);
    w.bySlug.set(f.view.slug, m);
    return m;
  };
  const addEvent = (e: FixtureEvent) => {
    w.events.push(e);
    w.eventsById.set(e.id, w.events.length - 1);
    w.eventsBySlug.set(e.view.slug, w.events.length - 1);
  };

  // Gamma market 12 and its event 4690.
  const gammaText = read('gamma-markets.json');
  const [m12Text] = arrayElementTexts(gammaText, gammaText.indexOf('['));
  const m12 = JSON.parse(m12Text!) as Record<string, unknown>;
  const ev = (m12.events as Array<Record<string, unknown>>)[0]!;
  const tokens12 = JSON.parse(m12.clobTokenIds as string) as [string, string];
  const outcomes12 = JSON.parse(m12.outcomes as string) as [string, string];
  addEvent({
    ...baseEvent(Number(ev.id), 0, 'POLITICS', [2], String(ev.title), String(ev.slug), secs(String(ev.createdAt)), secs(String(ev.endDate)), String(ev.image), String(ev.description)),
  });
  addMarket({
    gammaId: Number(m12.id),
    conditionId: String(m12.conditionId),
    tokens: tokens12,
    createdAt: secs(String(m12.createdAt)),
    endDate: secs(String(m12.endDate)),
    closeTime: secs(String(m12.closedTime)),
    event: 0,
    fills: [],
    gammaText: m12Text!,
    clobText: null,
    view: {
      id: String(m12.id),
      conditionId: String(m12.conditionId),
      questionId: `0x${'0'.repeat(64)}`,
      tokens: tokens12,
      outcomes: outcomes12,
      question: String(m12.question),
      slug: String(m12.slug),
      description: String(m12.description),
      resolutionSource: '',
      image: String(m12.image),
      icon: String(m12.icon),
      groupItem: '',
      event: 0,
      category: 'POLITICS',
      createdAt: secs(String(m12.createdAt)),
      startDate: secs(String(m12.createdAt)),
      endDate: secs(String(m12.endDate)),
      closeTime: secs(String(m12.closedTime)),
      winner: null,
      enableOrderBook: false,
      negRisk: false,
      baseTick: 0.01,
      minOrderSize: 15,
      sports: false,
      gameStartTime: null,
      volume: Number(m12.volume),
      liquidity: Number(m12.liquidity),
      tags: [2],
    },
  });

  // The five CLOB markets of the captured first page.
  const clobText = read('clob-markets.json');
  const clobTexts = arrayElementTexts(clobText, clobText.indexOf('[', clobText.indexOf('"data"')));
  let gid = 20;
  let eid = 5000;
  for (const text of clobTexts) {
    const c = JSON.parse(text) as Record<string, unknown>;
    const toks = c.tokens as Array<{ token_id: string; outcome: string; winner: boolean }>;
    const end = secs(String(c.end_date_iso));
    const game = c.game_start_time ? secs(String(c.game_start_time)) : null;
    const created = end - 7 * 86_400;
    const close = Math.max(end, game ?? end) + 6 * 3_600;
    const m = w.markets.length;
    const e = w.events.length;
    addEvent(baseEvent(eid, m, 'SPORTS', [1], String(c.question), String(c.market_slug), created, end, String(c.image), String(c.description)));
    addMarket({
      gammaId: gid,
      conditionId: String(c.condition_id),
      tokens: [toks[0]!.token_id, toks[1]!.token_id],
      createdAt: created,
      endDate: end,
      closeTime: close,
      event: e,
      fills: [],
      gammaText: null,
      clobText: text,
      view: {
        id: String(gid),
        conditionId: String(c.condition_id),
        questionId: String(c.question_id),
        tokens: [toks[0]!.token_id, toks[1]!.token_id],
        outcomes: [toks[0]!.outcome, toks[1]!.outcome],
        question: String(c.question),
        slug: String(c.market_slug),
        description: String(c.description),
        resolutionSource: '',
        image: String(c.image),
        icon: String(c.icon),
        groupItem: '',
        event: e,
        category: 'SPORTS',
        createdAt: created,
        startDate: created,
        endDate: end,
        closeTime: close,
        winner: toks[0]!.winner ? 0 : toks[1]!.winner ? 1 : null,
        enableOrderBook: Boolean(c.enable_order_book),
        negRisk: Boolean(c.neg_risk),
        baseTick: Number(c.minimum_tick_size),
        minOrderSize: Number(c.minimum_order_size),
        sports: game !== null,
        gameStartTime: game,
        volume: 0,
        liquidity: 0,
        tags: [1],
      },
    });
    gid++;
    eid++;
  }

  // The five markets of the captured trade pages (taker rows, newest first in the file).
  const tradesText = read('data-trades.projected.json');
  gid = 30;
  for (const [conditionId, arrayText, at] of objectMemberTexts(tradesText, tradesText.indexOf('{'))) {
    const rows = JSON.parse(arrayText) as Array<{ proxyWallet: string; side: 'BUY' | 'SELL'; price: number; size: number; timestamp: number; transactionHash: string }>;
    const fills: FixtureFill[] = rows
      .map((r, i) => ({ ts: r.timestamp, tx: r.transactionHash, taker: r.proxyWallet, side: r.side, price: r.price, size: r.size, outcome: (hash(seed, 779, at, i) & 1) as 0 | 1 }))
      .reverse();
    const first = fills[0]!.ts;
    const last = fills[fills.length - 1]!.ts;
    const created = first - 3 * 86_400;
    const end = last + 86_400;
    const m = w.markets.length;
    const e = w.events.length;
    const short = conditionId.slice(0, 10);
    const question = `Captured market ${short}: will it resolve Yes?`;
    const slug = `captured-market-${short.slice(2)}`;
    const tokens: [string, string] = [derivedTokenId(seed, conditionId, 0), derivedTokenId(seed, conditionId, 1)];
    const image = `https://polymarket-upload.s3.us-east-2.amazonaws.com/${slug}.png`;
    addEvent(baseEvent(eid, m, 'POLITICS', [2], question, slug, created, end, image, 'A market whose trades were captured on 2025-12-11.'));
    addMarket({
      gammaId: gid,
      conditionId,
      tokens,
      createdAt: created,
      endDate: end,
      closeTime: end,
      event: e,
      fills,
      gammaText: null,
      clobText: null,
      view: {
        id: String(gid),
        conditionId,
        questionId: `0x${conditionId.slice(2, 10)}${'0'.repeat(56)}`,
        tokens,
        outcomes: ['Yes', 'No'],
        question,
        slug,
        description: 'A market whose trades were captured on 2025-12-11.',
        resolutionSource: '',
        image,
        icon: image,
        groupItem: '',
        event: e,
        category: 'POLITICS',
        createdAt: created,
        startDate: created,
        endDate: end,
        closeTime: end,
        winner: (hash(seed, 780, at) & 1) as 0 | 1,
        enableOrderBook: true,
        negRisk: false,
        baseTick: 0.001,
        minOrderSize: 5,
        sports: false,
        gameStartTime: null,
        volume: Math.round(fills.reduce((a, f) => a + f.size, 0) * 1e6) / 1e6,
        liquidity: 0,
        tags: [2],
      },
    });
    w.overlays.push({
      api: 'data',
      path: '/trades',
      query: { market: conditionId, startTs: '*', endTs: '*', limit: '500' },
      status: 200,
      body: Buffer.from(arrayText),
      source: 'data-trades.projected.json',
    });
    gid++;
    eid++;
  }
  // CLOB listing order: the captured first page, then the rest by id.
  const clobFirst = w.markets.map((f, i) => (f.clobText ? i : -1)).filter((i) => i >= 0);
  w.clobOrder = [...clobFirst, ...w.markets.map((_, i) => i).filter((i) => !clobFirst.includes(i))];

  // Whole-body overlays.
  w.overlays.push(
    {
      api: 'clob',
      path: '/book',
      query: { token_id: '72610532355343625199299853218161700546393390326785971247545541945337255643692' },
      status: 200,
      body: readBytes('clob-book.json'),
      source: 'clob-book.json',
    },
    { api: 'gamma', path: '/events', query: { id: '1113725', include_markets: 'false' }, status: 200, body: readBytes('gamma-events.json'), source: 'gamma-events.json' },
    { api: 'gamma', path: '/events', query: { id: '1113725' }, status: 200, body: readBytes('gamma-events.json'), source: 'gamma-events.json' },
    ...fixtureEventLookups(read('gamma-events.json')),
    {
      api: 'data',
      path: '/v1/leaderboard',
      query: { timePeriod: 'WEEK', orderBy: 'VOL', limit: '2' },
      status: 200,
      body: readBytes('data-leaderboard-week-vol.json'),
      source: 'data-leaderboard-week-vol.json',
    },
    {
      api: 'data',
      path: '/v1/leaderboard',
      query: { timePeriod: 'DAY', orderBy: 'PNL', limit: '3' },
      status: 200,
      body: readBytes('data-leaderboard-day-pnl.truncated.json'),
      source: 'data-leaderboard-day-pnl.truncated.json',
    },
    {
      api: 'data',
      path: '/v1/leaderboard',
      query: { category: 'all', market: '0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af', timePeriod: 'all', orderBy: 'VOL', limit: '50', offset: '0' },
      status: 400,
      body: readBytes('data-leaderboard.error-invalid-category.json'),
      source: 'data-leaderboard.error-invalid-category.json',
    },
  );

  // Leaderboard rows at the top of their boards.
  for (const [file, timePeriod, orderBy] of [
    ['data-leaderboard-week-vol.json', 'WEEK', 'VOL'],
    ['data-leaderboard-day-pnl.truncated.json', 'DAY', 'PNL'],
  ] as const) {
    const text = read(file);
    arrayElementTexts(text, text.indexOf('[')).forEach((rowText, i) => {
      const r = JSON.parse(rowText) as { proxyWallet: string; userName: string; vol: number; pnl: number };
      w.boardRows.push({ category: 'OVERALL', timePeriod, orderBy, rank: i, text: rowText, proxyWallet: r.proxyWallet, userName: r.userName, vol: r.vol, pnl: r.pnl });
    });
  }

  const wsBook = read('ws-market-book.json').replace(/\n$/, '');
  w.wsBooks.set((JSON.parse(wsBook) as { asset_id: string }).asset_id, wsBook);
  return w;
}

/** The captured event by id and by slug, as `/events/{id}` and `/events/slug/{slug}` answer: the object, not the list. */
function fixtureEventLookups(listText: string): Overlay[] {
  return arrayElementTexts(listText, listText.indexOf('[')).flatMap((eventText) => {
    const event = JSON.parse(eventText) as { id: string; slug: string };
    const body = Buffer.from(eventText);
    return [
      { api: 'gamma' as const, path: `/events/${event.id}`, query: {}, status: 200, body, source: 'gamma-events.json' },
      { api: 'gamma' as const, path: `/events/slug/${event.slug}`, query: {}, status: 200, body, source: 'gamma-events.json' },
    ];
  });
}

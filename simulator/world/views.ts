/**
 * What serializers read about a market or an event, and the captured market a view may come
 * from. One module because the types name each other (a view points at its fixture, a fixture
 * carries its view), so that world.ts and fixtures.ts need not import each other.
 */
import type { Category } from './text.ts';

/** Everything about one market that serializers need; built on demand and cached. */
export interface MarketView {
  index: number;
  /** Gamma id (decimal string). */
  id: string;
  conditionId: string;
  questionId: string;
  tokens: readonly [string, string];
  outcomes: readonly [string, string];
  question: string;
  slug: string;
  description: string;
  resolutionSource: string;
  image: string;
  icon: string;
  groupItem: string;
  event: number;
  category: Category;
  createdAt: number;
  startDate: number;
  endDate: number;
  /** When trading stopped and the result was known; may lie after the world end. */
  closeTime: number;
  /** Winning outcome once closed; null where none was recorded (legacy markets priced ["0","0"]). */
  winner: 0 | 1 | null;
  enableOrderBook: boolean;
  negRisk: boolean;
  baseTick: number;
  minOrderSize: number;
  sports: boolean;
  gameStartTime: number | null;
  volume: number;
  liquidity: number;
  /** Tag ids (Gamma). */
  tags: readonly number[];
  fixture: FixtureMarket | null;
}

export interface EventView {
  index: number;
  id: string;
  slug: string;
  ticker: string;
  title: string;
  description: string;
  resolutionSource: string;
  category: Category;
  createdAt: number;
  startDate: number;
  endDate: number;
  firstMarket: number;
  marketCount: number;
  negRisk: boolean;
  image: string;
  icon: string;
  tags: readonly number[];
  seriesSlug: string | null;
  fixtureText: string | null;
}

/** One captured fill (a taker row of the Data API), oldest first in `FixtureMarket.fills`. */
export interface FixtureFill {
  ts: number;
  tx: string;
  taker: string;
  side: 'BUY' | 'SELL';
  price: number;
  size: number;
  outcome: 0 | 1;
}

export interface FixtureMarket {
  gammaId: number;
  conditionId: string;
  tokens: readonly [string, string];
  createdAt: number;
  endDate: number;
  closeTime: number;
  event: number;
  fills: FixtureFill[];
  /** Exact text of the market in a Gamma `/markets` page, when captured. */
  gammaText: string | null;
  /** Exact text of the market in a CLOB `/markets` page, when captured. */
  clobText: string | null;
  view: Omit<MarketView, 'index' | 'fixture'>;
}

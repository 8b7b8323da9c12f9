/**
 * Titles, questions, slugs and names for synthetic events and markets, by category, from small
 * word lists. Only realism of shape matters (lengths, punctuation, slugs); ids keep them unique.
 */
import { hash, S } from '../core/hash.ts';

export const CATEGORIES = ['POLITICS', 'SPORTS', 'CRYPTO', 'CULTURE', 'ECONOMICS', 'TECH', 'WEATHER', 'MENTIONS', 'FINANCE', 'ESPORTS'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Share of events per category (sports and politics dominate, as on Polymarket). */
const CATEGORY_WEIGHTS: Record<Category, number> = {
  POLITICS: 0.22,
  SPORTS: 0.3,
  CRYPTO: 0.16,
  CULTURE: 0.08,
  ECONOMICS: 0.06,
  TECH: 0.05,
  WEATHER: 0.03,
  MENTIONS: 0.04,
  FINANCE: 0.04,
  ESPORTS: 0.02,
};

export function categoryOf(seed: number, e: number): Category {
  let u = hash(seed, S.eventCategory, e) / 4294967296;
  for (const c of CATEGORIES) {
    u -= CATEGORY_WEIGHTS[c];
    if (u < 0) return c;
  }
  return 'POLITICS';
}

const PEOPLE = [
  'Alvarez',
  'Brennan',
  'Chen',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ivanova',
  'Johnson',
  'Kowalski',
  'Lindqvist',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Quinn',
  'Rossi',
  'Silva',
  'Tanaka',
];
const PLACES = ['Ohio', 'Texas', 'Ontario', 'Bavaria', 'Catalonia', 'Queensland', 'Lagos', 'Santiago', 'Kyoto', 'Lisbon', 'Nevada', 'Arizona', 'Georgia', 'Quebec', 'Victoria'];
export const TEAMS = [
  'Falcons',
  'Tigers',
  'Rangers',
  'Mariners',
  'Comets',
  'Wolves',
  'Pioneers',
  'Hawks',
  'Sharks',
  'Titans',
  'Owls',
  'Rockets',
  'Bulls',
  'Storm',
  'Vikings',
  'Lions',
  'Foxes',
  'Ravens',
];
const LEAGUES = ['NBA', 'NFL', 'MLB', 'NHL', 'EPL', 'UCL', 'NCAAB', 'ATP', 'MLS', 'F1'];
const COINS = ['Bitcoin', 'Ethereum', 'Solana', 'XRP', 'Dogecoin', 'Cardano', 'Avalanche', 'Chainlink'];
const COMPANIES = ['Nimbus', 'Quanta', 'Heliotrope', 'Vantage', 'Orbital', 'Lumen', 'Stratos', 'Kestrel'];
const SHOWS = ['The Long Night', 'Glass Harbor', 'Northern Lights', 'Paper Moons', 'Iron Coast', 'Blue Meridian'];
const GAMES = ['Valorant', 'League of Legends', 'Counter-Strike 2', 'Dota 2'];
const CITIES = ['New York', 'London', 'Tokyo', 'Paris', 'Chicago', 'Seoul', 'Toronto', 'Madrid'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export interface EventText {
  title: string;
  /** Question of market j of the event (0-based). */
  question: (j: number) => string;
  /** Short label of market j inside its event (Gamma groupItemTitle). */
  groupItem: (j: number) => string;
  /** Outcomes of market j. */
  outcomes: (j: number) => readonly [string, string];
  description: string;
  resolutionSource: string;
  /** A sports game: gameStartTime, teams. */
  sports: boolean;
}

function monthOf(t: number): string {
  return MONTHS[new Date(t * 1000).getUTCMonth()]!;
}

function dateOf(t: number): string {
  return new Date(t * 1000).toISOString().slice(0, 10);
}

/** Text of event `e` whose markets end at `endTs`. */
export function eventText(seed: number, e: number, category: Category, endTs: number, size: number): EventText {
  const w = (k: number) => hash(seed, S.eventText, e, k);
  const p = <T>(items: readonly T[], k: number) => items[w(k) % items.length]!;
  const yesNo = () => ['Yes', 'No'] as const;
  const month = monthOf(endTs);
  switch (category) {
    case 'SPORTS': {
      const league = p(LEAGUES, 1);
      const a = p(TEAMS, 2);
      let b = p(TEAMS, 3);
      if (b === a) b = TEAMS[(TEAMS.indexOf(a) + 1) % TEAMS.length]!;
      const cityA = p(PLACES, 4);
      const cityB = p(PLACES, 5);
      const title = `${cityA} ${a} vs. ${cityB} ${b}`;
      const kinds = ['moneyline', 'spread', 'total'];
      return {
        title,
        question: (j) => (j === 0 ? `${league}: ${cityA} ${a} vs. ${cityB} ${b} ${dateOf(endTs)}` : j % 3 === 1 ? `Spread: ${cityA} ${a} (-${1.5 + (j % 4)})` : `${a} vs. ${b}: O/U ${200.5 + j * 3}`),
        groupItem: (j) => kinds[j % 3]!,
        outcomes: (j) => (j === 0 || j % 3 === 1 ? [a, b] : ['Over', 'Under']),
        description: `In the upcoming ${league} game between the ${cityA} ${a} and the ${cityB} ${b}, scheduled for ${dateOf(endTs)}:\n\nIf the ${cityA} ${a} win, the market will resolve to "${a}".\n\nIf the ${cityB} ${b} win, the market will resolve to "${b}".\n\nIf the game is postponed, this market will remain open until the game has been completed.`,
        resolutionSource: `https://www.${league.toLowerCase()}.com/`,
        sports: true,
      };
    }
    case 'POLITICS': {
      const place = p(PLACES, 1);
      const office = ['Governor', 'Senate', 'Mayor', 'Parliament', 'President'][w(2) % 5]!;
      const title = size > 1 ? `${place} ${office} election winner` : `Will ${p(PEOPLE, 3)} win the ${place} ${office} race?`;
      return {
        title,
        question: (j) => (size > 1 ? `Will ${PEOPLE[(w(3) + j) % PEOPLE.length]} win the ${place} ${office} election?` : title),
        groupItem: (j) => PEOPLE[(w(3) + j) % PEOPLE.length]!,
        outcomes: yesNo,
        description: `This market will resolve to "Yes" if the named candidate wins the ${place} ${office} election, according to the certified results. Otherwise, this market will resolve to "No".`,
        resolutionSource: 'https://www.ap.org/',
        sports: false,
      };
    }
    case 'CRYPTO': {
      const coin = p(COINS, 1);
      const base = 10 + (w(2) % 90) * 1000;
      const title = `${coin} above ___ on ${month} ${1 + (w(4) % 28)}?`;
      return {
        title,
        question: (j) => `Will the price of ${coin} be above $${(base + j * 500).toLocaleString('en-US')} on ${month} ${1 + (w(4) % 28)}?`,
        groupItem: (j) => `$${(base + j * 500).toLocaleString('en-US')}`,
        outcomes: yesNo,
        description: `This market will resolve to "Yes" if the ${coin} price on the listed date is higher than the listed price, per the Binance 1-minute candle. Otherwise, this market will resolve to "No".`,
        resolutionSource: 'https://www.binance.com/',
        sports: false,
      };
    }
    case 'ECONOMICS':
    case 'FINANCE': {
      const what = category === 'ECONOMICS' ? ['Fed decision', 'US CPI', 'US unemployment', 'GDP growth'][w(1) % 4]! : ['S&P 500', 'Nasdaq', 'Gold', 'Oil'][w(1) % 4]!;
      const title = `${what} in ${month}?`;
      return {
        title,
        question: (j) => `${what}: ${['up', 'down', 'unchanged', 'above 3%', 'below 2%'][j % 5]} in ${month}?`,
        groupItem: (j) => ['up', 'down', 'unchanged', 'above 3%', 'below 2%'][j % 5]!,
        outcomes: yesNo,
        description: `This market will resolve according to the official figure for ${month}.`,
        resolutionSource: 'https://fred.stlouisfed.org/',
        sports: false,
      };
    }
    case 'TECH': {
      const co = p(COMPANIES, 1);
      const title = `Will ${co} release a new model by ${month} ${1 + (w(2) % 28)}?`;
      return {
        title,
        question: () => title,
        groupItem: () => co,
        outcomes: yesNo,
        description: `Resolves "Yes" if ${co} publicly releases a new model before the date above.`,
        resolutionSource: '',
        sports: false,
      };
    }
    case 'WEATHER': {
      const city = p(CITIES, 1);
      const title = `Highest temperature in ${city} on ${month} ${1 + (w(2) % 28)}?`;
      return {
        title,
        question: (j) => `Will the highest temperature in ${city} be ${10 + j}°C on ${month} ${1 + (w(2) % 28)}?`,
        groupItem: (j) => `${10 + j}°C`,
        outcomes: yesNo,
        description: `Resolves by the official station reading for ${city}.`,
        resolutionSource: 'https://www.wunderground.com/',
        sports: false,
      };
    }
    case 'MENTIONS': {
      const who = p(PEOPLE, 1);
      const word = ['tariff', 'crypto', 'inflation', 'border', 'AI'][w(2) % 5]!;
      const title = `Will ${who} say "${word}" this week?`;
      return {
        title,
        question: () => title,
        groupItem: () => word,
        outcomes: yesNo,
        description: `Resolves "Yes" if ${who} is recorded saying "${word}" before the end date.`,
        resolutionSource: '',
        sports: false,
      };
    }
    case 'ESPORTS': {
      const game = p(GAMES, 1);
      const a = p(TEAMS, 2);
      const b = TEAMS[(TEAMS.indexOf(a) + 3) % TEAMS.length]!;
      const title = `${game}: Team ${a} vs Team ${b} (BO3)`;
      return { title, question: () => title, groupItem: () => 'match', outcomes: () => [a, b], description: `${game} match between Team ${a} and Team ${b}.`, resolutionSource: '', sports: true };
    }
    default: {
      const show = p(SHOWS, 1);
      const title = `Will "${show}" top the charts in ${month}?`;
      return { title, question: () => title, groupItem: () => show, outcomes: yesNo, description: `Resolves "Yes" if "${show}" ranks first in the weekly chart.`, resolutionSource: '', sports: false };
    }
  }
}

/** Lower-case ASCII slug, as Polymarket builds them. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

const ADJ = ['Silly', 'Brave', 'Quiet', 'Rapid', 'Lucky', 'Clever', 'Sunny', 'Misty', 'Bold', 'Gentle', 'Witty', 'Frosty'];
const NOUN = ['Owl', 'Otter', 'Falcon', 'Badger', 'Heron', 'Lynx', 'Panda', 'Marten', 'Koala', 'Raven', 'Gecko', 'Bison'];

/**
 * The profile keys of a wallet's trade rows as JSON text (`"name":…,"profileImageOptimized":…`),
 * shared by every wallet with the same profile: most wallets have only a pseudonym, so the
 * texts of those are kept once per pseudonym.
 */
const plainProfiles = new Map<number, string>();

/** Key of a wallet whose profile is only its pseudonym (the same text for every such wallet), or -1. */
export function plainProfileKey(seed: number, w: number): number {
  const h = hash(seed, S.walletProfile, w);
  const plain = (h >>> 16) % 10 >= 3 && (h >>> 24) % 16 !== 0 && (h >>> 28) % 8 !== 0;
  return plain ? (h % ADJ.length) * NOUN.length + ((h >>> 8) % NOUN.length) : -1;
}

export function profileKeysJson(seed: number, w: number): string {
  const key = plainProfileKey(seed, w);
  if (key >= 0) {
    const cached = plainProfiles.get(key);
    if (cached !== undefined) return cached;
  }
  const p = walletProfile(seed, w);
  const text = `"name":${JSON.stringify(p.name)},"pseudonym":${JSON.stringify(p.pseudonym)},"bio":${JSON.stringify(p.bio)},"profileImage":${JSON.stringify(p.profileImage)},"profileImageOptimized":${JSON.stringify(p.profileImage)}`;
  if (key >= 0) plainProfiles.set(key, text);
  return text;
}

/** Profile of wallet `w`: most users have only an auto-generated pseudonym. */
export function walletProfile(seed: number, w: number): { name: string; pseudonym: string; bio: string; profileImage: string } {
  const h = hash(seed, S.walletProfile, w);
  const pseudonym = `${ADJ[h % ADJ.length]}-${NOUN[(h >>> 8) % NOUN.length]}`;
  const named = (h >>> 16) % 10 < 3;
  return {
    name: named ? `${NOUN[(h >>> 20) % NOUN.length]!.toLowerCase()}${w % 10_000}` : '',
    pseudonym,
    bio: (h >>> 24) % 16 === 0 ? 'trading the news' : '',
    profileImage: (h >>> 28) % 8 === 0 ? `https://polymarket-upload.s3.us-east-2.amazonaws.com/profile-image-${w}.png` : '',
  };
}

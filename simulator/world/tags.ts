/**
 * Gamma tags and series: a fixed catalogue (ids, labels and slugs of real Polymarket tags where
 * known, e.g. Sports = 1, MLB = 100381), shared by every world. Events and markets carry the tag of
 * their category plus one sub-tag.
 */
import type { Category } from './text.ts';

export interface Tag {
  id: number;
  label: string;
  slug: string;
  forceShow?: boolean;
  forceHide?: boolean;
  isCarousel?: boolean;
  publishedAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Series {
  id: number;
  slug: string;
  title: string;
  recurrence: string;
}

const T = (id: number, label: string, createdAt: string, extra: Partial<Tag> = {}): Tag => ({
  id,
  label,
  slug: label.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
  createdAt,
  updatedAt: '2026-04-17T20:45:56.084941Z',
  ...extra,
});

/** Tags by id; the first five come from the captured event in `gamma-events.json`. */
export const TAGS: readonly Tag[] = [
  T(1, 'Sports', '2023-10-24T22:37:50.31Z', { forceShow: false, forceHide: true, publishedAt: '2023-10-24 22:37:50.296+00' }),
  T(2, 'Politics', '2023-10-24T22:37:50.31Z', { forceShow: true, publishedAt: '2023-10-24 22:37:50.296+00' }),
  T(21, 'Crypto', '2023-10-24T22:37:50.31Z', { forceShow: true }),
  T(596, 'Culture', '2023-11-02T21:22:21.615Z', { forceShow: false }),
  T(100328, 'Economy', '2024-08-12T19:01:34.913Z', { forceShow: false }),
  T(1401, 'Tech', '2023-12-04T18:05:12.224Z', { forceShow: false }),
  T(84, 'Weather', '2023-11-02T21:22:21.615Z'),
  T(101204, 'Mentions', '2025-02-10T16:11:02.5Z'),
  T(120, 'Finance', '2023-11-02T21:22:21.615Z'),
  T(64, 'Esports', '2023-11-02T21:22:21.615Z'),
  T(100639, 'Games', '2024-09-23T22:41:37.670714Z', { forceShow: false }),
  T(100381, 'MLB', '2024-08-27T16:42:20.841409Z'),
  T(678, 'baseball', '2023-12-08T16:24:40.771Z', { publishedAt: '2023-12-08 16:24:40.695+00' }),
  T(102627, 'MLB Playoffs', '2025-09-29T06:46:40.97008Z', { forceShow: false, isCarousel: false }),
  T(745, 'NBA', '2023-11-02T21:22:21.615Z'),
  T(450, 'NFL', '2023-11-02T21:22:21.615Z'),
  T(899, 'NHL', '2023-11-02T21:22:21.615Z'),
  T(100350, 'Soccer', '2024-08-12T19:01:34.913Z'),
  T(235, 'Bitcoin', '2023-11-02T21:22:21.615Z'),
  T(39, 'Ethereum', '2023-11-02T21:22:21.615Z'),
  T(100196, 'Elections', '2024-06-05T14:00:00Z'),
  T(126, 'Trump', '2023-11-02T21:22:21.615Z'),
  T(100215, 'AI', '2024-07-01T12:00:00Z'),
  T(1013, 'Earnings', '2024-01-15T12:00:00Z'),
  T(100265, 'Fed Rates', '2024-07-30T12:00:00Z'),
  T(102169, 'Hit Price', '2025-06-01T12:00:00Z'),
  T(100343, 'Movies', '2024-08-12T19:01:34.913Z'),
  T(100412, 'Climate', '2024-09-01T12:00:00Z'),
  T(102300, 'Valorant', '2025-07-01T12:00:00Z'),
  T(102301, 'League of Legends', '2025-07-01T12:00:00Z'),
];

export const SERIES: readonly Series[] = [
  { id: 3, slug: 'mlb', title: 'MLB', recurrence: 'daily' },
  { id: 2, slug: 'nba', title: 'NBA', recurrence: 'daily' },
  { id: 10187, slug: 'nfl', title: 'NFL', recurrence: 'weekly' },
  { id: 10345, slug: 'nhl', title: 'NHL', recurrence: 'daily' },
];

const CATEGORY_TAGS: Record<Category, readonly number[]> = {
  POLITICS: [2],
  SPORTS: [1, 100639],
  CRYPTO: [21],
  CULTURE: [596],
  ECONOMICS: [100328],
  TECH: [1401],
  WEATHER: [84],
  MENTIONS: [101204],
  FINANCE: [120],
  ESPORTS: [64],
};

const SUB_TAGS: Record<Category, readonly number[]> = {
  POLITICS: [100196, 126],
  SPORTS: [100381, 745, 450, 899, 100350],
  CRYPTO: [235, 39, 102169],
  CULTURE: [100343],
  ECONOMICS: [100265],
  TECH: [100215],
  WEATHER: [100412],
  MENTIONS: [126],
  FINANCE: [1013],
  ESPORTS: [102300, 102301],
};

export const tagCatalog = {
  tags: TAGS,
  byId: new Map(TAGS.map((t) => [t.id, t])),
  bySlug: new Map(TAGS.map((t) => [t.slug, t])),
  categoryTags: CATEGORY_TAGS,
  subTags: SUB_TAGS,
  series: SERIES,
  /** Series of a sports event, picked by a hash. */
  seriesFor(category: Category, h: number): Series | undefined {
    return category === 'SPORTS' ? SERIES[h % SERIES.length] : undefined;
  },
};

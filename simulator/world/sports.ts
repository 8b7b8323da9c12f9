/**
 * Gamma's sports catalogue: one league per series of the tag catalogue (`/sports`) and its teams
 * (`/teams`), named like the teams in the world's sports events. Fixed per world seed.
 */
import { hash, S } from '../core/hash.ts';
import { SERIES, type Series } from './tags.ts';
import { TEAMS } from './text.ts';

export interface League {
  id: number;
  series: Series;
  /** Tag ids the league's events carry: Sports, then the league's own tag. */
  tags: readonly number[];
  ordering: 'home' | 'away';
  createdAt: string;
}

export interface Team {
  id: number;
  name: string;
  league: string;
  abbreviation: string;
  record: string;
  color: string;
  providerId: number;
  createdAt: string;
  updatedAt: string;
}

const LEAGUE_TAG: Record<string, number> = { mlb: 100381, nba: 745, nfl: 450, nhl: 899 };

export const LEAGUES: readonly League[] = SERIES.map((series, i) => ({
  id: i + 1,
  series,
  tags: [1, LEAGUE_TAG[series.slug] ?? 1],
  ordering: series.slug === 'nfl' ? 'home' : 'away',
  createdAt: `2025-0${i + 1}-1${i}T17:4${i}:12.${300_000 + i * 1_111}Z`,
}));

/** Every team of every league, ids ascending. */
export function teams(seed: number): Team[] {
  const out: Team[] = [];
  LEAGUES.forEach((league, l) => {
    TEAMS.forEach((name, i) => {
      const h = hash(seed, S.team, l, i);
      const wins = h % 60;
      out.push({
        id: 1_000 + l * 100 + i,
        name,
        league: league.series.slug,
        abbreviation: name.slice(0, 3).toUpperCase(),
        record: `${wins}-${(h >>> 8) % 60}`,
        color: `#${((h >>> 4) & 0xffffff).toString(16).padStart(6, '0').toUpperCase()}`,
        providerId: 40_000 + l * 1_000 + i,
        createdAt: league.createdAt,
        updatedAt: `2026-10-${10 + (h % 18)}T0${h % 10}:15:00.${(h >>> 12) % 1_000}Z`,
      });
    });
  });
  return out;
}

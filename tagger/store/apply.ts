/**
 * Folds tag events into the tag tables. Every function is idempotent per event (a replayed
 * event changes nothing twice) and depends only on the order of its own topic, so replaying
 * both topics into an empty store gives the same tables. A model decision never displaces a
 * person's: it is kept in JudgeHistory, but the market's current state stays the human one
 * (unless it is a person's undo, which restores the models' decision).
 */
import { listValue } from '@duckdb/node-api';
import type { TagDecisionEvent, TagEvent } from '../events.ts';
import type { Tx } from './duck.ts';

export interface Positioned<T> {
  value: T;
  offset: number;
}

const CHUNK = 200;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** The `via` of a decision that restores the one a person's Judge decision superseded. */
export const UNDO_VIA = 'undo';

/** One key per market-tag pair; the SQL below builds the same one as `market_id || chr(0) || tag_id`. */
export const pairKey = (market: string, tag: string) => `${market}\u0000${tag}`;

interface PairState {
  market: string;
  tag: string;
  decisionId: string;
  decision: string;
  kind: string;
  at: number;
}

/**
 * Applies decisions in log order, as a handful of set statements per batch: history rows are
 * appended (a decision id already present is skipped), then each (market, tag) pair's state is
 * folded in order in memory and written once. The fold is the same whatever the batch
 * boundaries, so a replay in other batch sizes gives the same tables.
 */
export async function applyDecisions(tx: Tx, events: ReadonlyArray<Positioned<TagDecisionEvent>>): Promise<void> {
  if (events.length === 0) return;
  const present = new Set<string>();
  for (const part of chunks(events)) {
    const rows = await tx.all('SELECT decision_id FROM JudgeHistory WHERE list_contains(?::VARCHAR[], decision_id)', [listValue(part.map((e) => e.value.decisionId))]);
    for (const r of rows) present.add(r.decision_id as string);
  }
  const fresh: Array<Positioned<TagDecisionEvent>> = [];
  for (const e of events) {
    if (present.has(e.value.decisionId)) continue;
    present.add(e.value.decisionId);
    fresh.push(e);
  }
  if (fresh.length === 0) return;

  for (const part of chunks(fresh)) {
    await tx.run(
      `INSERT INTO JudgeHistory (decision_id, tag_id, market_id, decision, decider_kind, decider, confidence, reason, rule, leaning,
         votes, prompt_version, via, previous, decided_at, log_offset)
       VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, epoch_ms(?::BIGINT), ?::BIGINT)').join(', ')}`,
      part.flatMap(({ value: d, offset }) => [
        d.decisionId,
        d.tag,
        d.market,
        d.decision,
        d.deciderKind,
        d.decider,
        d.confidence,
        d.reason,
        d.rule,
        d.leaning,
        JSON.stringify(d.votes),
        d.promptVersion,
        d.via,
        d.previous,
        d.decidedAt,
        offset,
      ]),
    );
  }

  const states = new Map<string, PairState>();
  const pairKeys = [...new Set(fresh.map((e) => pairKey(e.value.market, e.value.tag)))];
  for (const part of chunks(pairKeys)) {
    const rows = await tx.all(
      'SELECT market_id, tag_id, decision_id, decision, decider_kind, epoch_ms(decided_at) AS at FROM MarketTagState WHERE list_contains(?::VARCHAR[], market_id || chr(0) || tag_id)',
      [listValue(part)],
    );
    for (const r of rows) {
      const market = r.market_id as string;
      const tag = r.tag_id as string;
      states.set(pairKey(market, tag), { market, tag, decisionId: r.decision_id as string, decision: r.decision as string, kind: r.decider_kind as string, at: r.at as number });
    }
  }
  const changed = new Set<string>();
  for (const { value: d } of fresh) {
    const k = pairKey(d.market, d.tag);
    // An undo is a person putting the models' decision back: it may displace the person's own.
    if (d.deciderKind === 'model' && d.via !== UNDO_VIA && states.get(k)?.kind === 'human') continue;
    states.set(k, { market: d.market, tag: d.tag, decisionId: d.decisionId, decision: d.decision, kind: d.deciderKind, at: d.decidedAt });
    changed.add(k);
  }
  const updates = [...changed].map((k) => states.get(k)!);
  for (const part of chunks(updates)) {
    await tx.run(
      `INSERT INTO MarketTagState (market_id, tag_id, decision_id, decision, decider_kind, decided_at)
       VALUES ${part.map(() => '(?, ?, ?, ?, ?, epoch_ms(?::BIGINT))').join(', ')}
       ON CONFLICT (market_id, tag_id) DO UPDATE SET decision_id = excluded.decision_id, decision = excluded.decision,
         decider_kind = excluded.decider_kind, decided_at = excluded.decided_at`,
      part.flatMap((u) => [u.market, u.tag, u.decisionId, u.decision, u.kind, u.at]),
    );
  }
  for (const part of chunks(updates.filter((u) => u.decision === 'YES'))) {
    await tx.run(
      `INSERT INTO MarketTagDim (market_id, tag_id, decision_id, created_at) VALUES ${part.map(() => '(?, ?, ?, epoch_ms(?::BIGINT))').join(', ')}
       ON CONFLICT (market_id, tag_id) DO UPDATE SET decision_id = excluded.decision_id, created_at = excluded.created_at`,
      part.flatMap((u) => [u.market, u.tag, u.decisionId, u.at]),
    );
  }
  for (const part of chunks(updates.filter((u) => u.decision !== 'YES'))) {
    await tx.run('DELETE FROM MarketTagDim WHERE list_contains(?::VARCHAR[], market_id || chr(0) || tag_id)', [listValue(part.map((u) => pairKey(u.market, u.tag)))]);
  }
}

export async function applyCatalogEvent(tx: Tx, { value: e }: Positioned<TagEvent>): Promise<void> {
  const change = e.change;
  if ('polymarket.TagDefined' in change) {
    const t = change['polymarket.TagDefined'];
    await tx.run(
      `INSERT INTO Tags (tag_id, name, description, is_active, is_archived, created_at, created_by, updated_at, updated_by)
       VALUES (?, ?, ?, ?, ?, epoch_ms(?::BIGINT), ?, epoch_ms(?::BIGINT), ?)
       ON CONFLICT (tag_id) DO UPDATE SET name = excluded.name, description = excluded.description, is_active = excluded.is_active,
         is_archived = excluded.is_archived, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [t.tag, t.name, t.description, t.active && !t.archived, t.archived ?? false, e.at, e.actor, e.at, e.actor],
    );
  } else if ('polymarket.TagExampleSet' in change) {
    const x = change['polymarket.TagExampleSet'];
    if (x.polarity === 'REMOVED') {
      await tx.run('DELETE FROM TagExamples WHERE tag_id = ? AND market_id = ?', [x.tag, x.market]);
    } else {
      await tx.run(
        `INSERT INTO TagExamples (tag_id, market_id, is_positive, created_at, created_by) VALUES (?, ?, ?, epoch_ms(?::BIGINT), ?)
         ON CONFLICT (tag_id, market_id) DO UPDATE SET is_positive = excluded.is_positive, created_at = excluded.created_at, created_by = excluded.created_by`,
        [x.tag, x.market, x.polarity === 'POSITIVE', e.at, e.actor],
      );
    }
  } else {
    await tx.run(
      `INSERT INTO TaggerSettings (key, value, updated_at, updated_by) VALUES ('current', ?, epoch_ms(?::BIGINT), ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [change['polymarket.TaggerSettingsSet'].settings, e.at, e.actor],
    );
  }
}

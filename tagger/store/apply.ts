/**
 * Folds tag events into the tag tables. Every function is idempotent per event (a replayed
 * event changes nothing twice) and depends only on the order of its own topic, so replaying
 * both topics into an empty store gives the same tables. A model decision never displaces a
 * person's: it is kept in JudgeHistory, but the market's current state stays the human one.
 */
import type { TagDecisionEvent, TagEvent } from '../events.ts';
import type { Tx } from './duck.ts';

export interface Positioned<T> {
  value: T;
  offset: number;
}

export async function applyDecision(tx: Tx, { value: d, offset }: Positioned<TagDecisionEvent>): Promise<void> {
  const seen = await tx.all('SELECT 1 AS x FROM JudgeHistory WHERE decision_id = ?', [d.decisionId]);
  if (seen.length > 0) return;
  await tx.run(
    `INSERT INTO JudgeHistory (decision_id, tag_id, market_id, decision, decider_kind, decider, confidence, reason, rule, leaning,
       votes, prompt_version, via, previous, decided_at, log_offset)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, epoch_ms(?::BIGINT), ?::BIGINT)`,
    [
      d.decisionId, d.tag, d.market, d.decision, d.deciderKind, d.decider, d.confidence, d.reason, d.rule, d.leaning,
      JSON.stringify(d.votes), d.promptVersion, d.via, d.previous, d.decidedAt, offset,
    ],
  );
  const current = await tx.all('SELECT decider_kind FROM MarketTagState WHERE market_id = ? AND tag_id = ?', [d.market, d.tag]);
  if (d.deciderKind === 'model' && current[0]?.decider_kind === 'human') return;
  await tx.run(
    `INSERT INTO MarketTagState (market_id, tag_id, decision_id, decision, decider_kind, decided_at)
     VALUES (?, ?, ?, ?, ?, epoch_ms(?::BIGINT))
     ON CONFLICT (market_id, tag_id) DO UPDATE SET decision_id = excluded.decision_id, decision = excluded.decision,
       decider_kind = excluded.decider_kind, decided_at = excluded.decided_at`,
    [d.market, d.tag, d.decisionId, d.decision, d.deciderKind, d.decidedAt],
  );
  if (d.decision === 'YES') {
    await tx.run(
      `INSERT INTO MarketTagDim (market_id, tag_id, decision_id, created_at) VALUES (?, ?, ?, epoch_ms(?::BIGINT))
       ON CONFLICT (market_id, tag_id) DO UPDATE SET decision_id = excluded.decision_id, created_at = excluded.created_at`,
      [d.market, d.tag, d.decisionId, d.decidedAt],
    );
  } else {
    await tx.run('DELETE FROM MarketTagDim WHERE market_id = ? AND tag_id = ?', [d.market, d.tag]);
  }
}

export async function applyCatalogEvent(tx: Tx, { value: e }: Positioned<TagEvent>): Promise<void> {
  const change = e.change;
  if ('polymarket.TagDefined' in change) {
    const t = change['polymarket.TagDefined'];
    await tx.run(
      `INSERT INTO Tags (tag_id, name, description, is_active, created_at, created_by, updated_at, updated_by)
       VALUES (?, ?, ?, ?, epoch_ms(?::BIGINT), ?, epoch_ms(?::BIGINT), ?)
       ON CONFLICT (tag_id) DO UPDATE SET name = excluded.name, description = excluded.description, is_active = excluded.is_active,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [t.tag, t.name, t.description, t.active, e.at, e.actor, e.at, e.actor],
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

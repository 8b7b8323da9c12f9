/**
 * The tag tables in `<data-dir>/tags.duckdb`, written only by the tag sink of the process that
 * opened it, read by the web app and the classifier. Every query is parameterised.
 *
 * Why a file of its own rather than tables inside silver.duckdb: DuckDB lets one process write
 * a file, and the Silver sink is that process for silver.duckdb. The Tag Manager writes on
 * every click, so it holds its own file; readers ATTACH it beside Silver (or its snapshot) to
 * join MarketTagDim with MarketDim.
 */
import { listValue } from '@duckdb/node-api';
import type { CleanMarket } from '../../schemas/clean-records.ts';
import type { MarketText, TagForPrompt } from '../classify/prompt.ts';
import type { TagDecisionEvent, TagEvent, VoteRecord } from '../events.ts';
import { applyCatalogEvent, applyDecisions, type Positioned, pairKey } from './apply.ts';
import { type DuckFile, openDuckFile, type Row } from './duck.ts';
import { SCHEMA_SQL, TAG_TABLES } from './schema.ts';

export interface TagRow {
  tagId: string;
  name: string;
  description: string;
  active: boolean;
  archived: boolean;
  updatedAt: Date;
  updatedBy: string;
  positives: number;
  negatives: number;
  yes: number;
  no: number;
  unsure: number;
  human: number;
}

export interface MarketRow {
  marketId: string;
  question: string | null;
  description: string | null;
  category: string | null;
  slug: string | null;
  volume: number | null;
  active: boolean | null;
  closed: boolean | null;
  outcomes: string[] | null;
}

export interface HistoryRow {
  decisionId: string;
  tagId: string;
  tagName: string | null;
  marketId: string;
  question: string | null;
  decision: string;
  deciderKind: string;
  decider: string;
  confidence: number | null;
  reason: string | null;
  rule: string | null;
  leaning: string | null;
  votes: VoteRecord[];
  promptVersion: string | null;
  via: string | null;
  previous: string | null;
  decidedAt: Date;
  /** Whether this is the market's current decision for the tag. */
  current: boolean;
}

export interface HistoryFilter {
  tagId?: string;
  decision?: string;
  deciderKind?: string;
  text?: string;
  /** The market's category, exactly. */
  category?: string;
  currentOnly?: boolean;
  limit: number;
  offset: number;
}

export interface JudgeItem {
  history: HistoryRow;
  market: MarketRow;
  tag: { tagId: string; name: string; description: string };
}

export class TagStore {
  readonly #file: DuckFile;

  private constructor(file: DuckFile) {
    this.#file = file;
  }

  static async open(path: string): Promise<TagStore> {
    const file = await openDuckFile(path);
    try {
      for (const statement of SCHEMA_SQL.split(';')
        .map((s) => s.trim())
        .filter(Boolean))
        await file.writer.run(statement);
    } catch (err) {
      file.close();
      throw err;
    }
    return new TagStore(file);
  }

  get path(): string {
    return this.#file.path;
  }

  close(): void {
    this.#file.close();
  }

  // ---- sink side -------------------------------------------------------------------------

  /** Next offset to apply per partition of a topic (absent: start from the beginning). */
  async progress(topic: string): Promise<Map<number, number>> {
    const rows = await this.#file.reader.all('SELECT partition, next_offset FROM TaggerSinkProgress WHERE topic = ?', [topic]);
    return new Map(rows.map((r) => [r.partition as number, r.next_offset as number]));
  }

  /** Applies one partition's events and records its next offset, in one transaction. */
  async applyBatch(topic: string, partition: number, kind: 'decisions' | 'catalog', events: Array<Positioned<TagDecisionEvent>> | Array<Positioned<TagEvent>>, nextOffset: number): Promise<void> {
    await this.#file.writer.transaction(async (tx) => {
      if (kind === 'decisions') await applyDecisions(tx, events as Array<Positioned<TagDecisionEvent>>);
      else for (const e of events) await applyCatalogEvent(tx, e as Positioned<TagEvent>);
      await tx.run(
        `INSERT INTO TaggerSinkProgress (topic, partition, next_offset) VALUES (?, ?, ?::BIGINT)
         ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset`,
        [topic, partition, nextOffset],
      );
    });
  }

  // ---- market catalogue ----------------------------------------------------------------------

  /** Upserts markets; a field a record leaves null keeps what another source said. */
  async upsertMarkets(markets: readonly CleanMarket[]): Promise<void> {
    if (markets.length === 0) return;
    await this.#file.writer.transaction(async (tx) => {
      for (let i = 0; i < markets.length; i += 200) {
        const part = markets.slice(i, i + 200);
        await tx.run(
          `INSERT INTO TaggerMarkets (market_id, question, description, category, slug, event_slug, volume, active, closed, end_ts, observed_ts, outcomes)
           VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?::BIGINT, ?::BIGINT, ?)').join(', ')}
           ON CONFLICT (market_id) DO UPDATE SET
             question = COALESCE(excluded.question, TaggerMarkets.question),
             description = COALESCE(excluded.description, TaggerMarkets.description),
             category = COALESCE(excluded.category, TaggerMarkets.category),
             slug = COALESCE(excluded.slug, TaggerMarkets.slug),
             event_slug = COALESCE(excluded.event_slug, TaggerMarkets.event_slug),
             volume = COALESCE(excluded.volume, TaggerMarkets.volume),
             active = COALESCE(excluded.active, TaggerMarkets.active),
             closed = COALESCE(excluded.closed, TaggerMarkets.closed),
             end_ts = COALESCE(excluded.end_ts, TaggerMarkets.end_ts),
             observed_ts = GREATEST(excluded.observed_ts, TaggerMarkets.observed_ts),
             outcomes = COALESCE(excluded.outcomes, TaggerMarkets.outcomes)`,
          part.flatMap((m) => [
            m.condition_id,
            m.question,
            m.description,
            m.category,
            m.slug,
            m.event_slug,
            m.volume,
            m.active,
            m.closed,
            m.end_ts,
            m.observed_ts,
            m.outcomes.length > 0 ? JSON.stringify(m.outcomes) : null,
          ]),
        );
      }
    });
  }

  async marketCount(): Promise<number> {
    return ((await this.#file.reader.one('SELECT count(*) AS n FROM TaggerMarkets'))?.n as number) ?? 0;
  }

  async market(marketId: string): Promise<MarketRow | undefined> {
    const row = await this.#file.reader.one(`SELECT ${MARKET_COLUMNS} FROM TaggerMarkets WHERE market_id = ?`, [marketId]);
    return row ? toMarket(row) : undefined;
  }

  /** Markets whose question, slug or id contains `text` (any case), biggest volume first. */
  async searchMarkets(text: string, limit: number, offset = 0): Promise<MarketRow[]> {
    const rows = await this.#file.reader.all(`SELECT ${MARKET_COLUMNS} FROM TaggerMarkets WHERE ${MARKET_MATCH} ORDER BY volume DESC NULLS LAST, market_id LIMIT ? OFFSET ?`, [
      text,
      text,
      text,
      text,
      limit,
      offset,
    ]);
    return rows.map(toMarket);
  }

  /** How many markets `searchMarkets` pages through for `text`. */
  async countMarkets(text: string): Promise<number> {
    return ((await this.#file.reader.one(`SELECT count(*) AS n FROM TaggerMarkets WHERE ${MARKET_MATCH}`, [text, text, text, text]))?.n as number) ?? 0;
  }

  // ---- tags ------------------------------------------------------------------------------------

  async tags(): Promise<TagRow[]> {
    const rows = await this.#file.reader.all(
      `SELECT t.tag_id, t.name, t.description, t.is_active, t.is_archived, t.updated_at, t.updated_by,
         (SELECT count(*) FROM TagExamples e WHERE e.tag_id = t.tag_id AND e.is_positive) AS positives,
         (SELECT count(*) FROM TagExamples e WHERE e.tag_id = t.tag_id AND NOT e.is_positive) AS negatives,
         (SELECT count(*) FROM MarketTagState s WHERE s.tag_id = t.tag_id AND s.decision = 'YES') AS yes,
         (SELECT count(*) FROM MarketTagState s WHERE s.tag_id = t.tag_id AND s.decision = 'NO') AS no,
         (SELECT count(*) FROM MarketTagState s WHERE s.tag_id = t.tag_id AND s.decision = 'UNSURE') AS unsure,
         (SELECT count(*) FROM MarketTagState s WHERE s.tag_id = t.tag_id AND s.decider_kind = 'human') AS human
       FROM Tags t ORDER BY lower(t.name)`,
    );
    return rows.map((r) => ({
      tagId: r.tag_id as string,
      name: r.name as string,
      description: r.description as string,
      active: r.is_active as boolean,
      archived: Boolean(r.is_archived),
      updatedAt: r.updated_at as Date,
      updatedBy: r.updated_by as string,
      positives: r.positives as number,
      negatives: r.negatives as number,
      yes: r.yes as number,
      no: r.no as number,
      unsure: r.unsure as number,
      human: r.human as number,
    }));
  }

  async tag(tagId: string): Promise<TagRow | undefined> {
    return (await this.tags()).find((t) => t.tagId === tagId);
  }

  async examples(tagId: string): Promise<Array<MarketRow & { positive: boolean }>> {
    const rows = await this.#file.reader.all(
      `SELECT e.market_id, e.is_positive, m.question, m.description, m.category, m.slug, m.volume, m.active, m.closed, m.outcomes
       FROM TagExamples e LEFT JOIN TaggerMarkets m ON m.market_id = e.market_id
       WHERE e.tag_id = ? ORDER BY e.is_positive DESC, e.created_at DESC`,
      [tagId],
    );
    return rows.map((r) => ({ ...toMarket(r), positive: r.is_positive as boolean }));
  }

  /** The tag as the prompt shows it: description and the newest examples with their text. */
  async promptTag(tagId: string): Promise<TagForPrompt | undefined> {
    const tag = await this.#file.reader.one('SELECT name, description FROM Tags WHERE tag_id = ?', [tagId]);
    if (!tag) return undefined;
    const examples = await this.examples(tagId);
    const text = (m: MarketRow): MarketText => ({ question: m.question ?? m.marketId, description: m.description, category: m.category });
    return {
      name: tag.name as string,
      description: tag.description as string,
      positives: examples.filter((e) => e.positive).map(text),
      negatives: examples.filter((e) => !e.positive).map(text),
    };
  }

  // ---- decisions -------------------------------------------------------------------------------

  /** Of the given pairs, those whose market is one of the tag's examples (never classified). */
  async examplePairs(marketIds: readonly string[], tagIds: readonly string[]): Promise<Set<string>> {
    if (marketIds.length === 0 || tagIds.length === 0) return new Set();
    const rows = await this.#file.reader.all('SELECT market_id, tag_id FROM TagExamples WHERE list_contains(?::VARCHAR[], market_id) AND list_contains(?::VARCHAR[], tag_id)', [
      varcharList(marketIds),
      varcharList(tagIds),
    ]);
    return new Set(rows.map((r) => pairKey(r.market_id as string, r.tag_id as string)));
  }

  /** Of the given pairs, those that already have a decision (any state). */
  async decidedPairs(marketIds: readonly string[], tagIds: readonly string[]): Promise<Set<string>> {
    if (marketIds.length === 0 || tagIds.length === 0) return new Set();
    const rows = await this.#file.reader.all('SELECT market_id, tag_id FROM MarketTagState WHERE list_contains(?::VARCHAR[], market_id) AND list_contains(?::VARCHAR[], tag_id)', [
      varcharList(marketIds),
      varcharList(tagIds),
    ]);
    return new Set(rows.map((r) => pairKey(r.market_id as string, r.tag_id as string)));
  }

  /**
   * Markets after `afterMarketId` (by id) that need the models for a tag: those with no
   * decision, or with `reclassify` those whose current decision is a model's; never the tag's
   * own examples (a person already said where they belong).
   */
  async marketsToClassify(tagId: string, afterMarketId: string, limit: number, reclassify: boolean): Promise<Array<{ marketId: string; previous: string | null }>> {
    const rows = await this.#file.reader.all(
      `SELECT m.market_id, s.decision_id, s.decider_kind FROM TaggerMarkets m
       LEFT JOIN MarketTagState s ON s.market_id = m.market_id AND s.tag_id = ?
       WHERE m.market_id > ? AND (s.market_id IS NULL OR (? AND s.decider_kind = 'model'))
         AND NOT EXISTS (SELECT 1 FROM TagExamples e WHERE e.tag_id = ? AND e.market_id = m.market_id)
       ORDER BY m.market_id LIMIT ?`,
      [tagId, afterMarketId, reclassify, tagId, limit],
    );
    return rows.map((r) => ({ marketId: r.market_id as string, previous: (r.decision_id as string | null) ?? null }));
  }

  /**
   * Per tag, how many catalogue markets a re-run of its models would decide (neither one of its
   * examples nor decided by a person) and how many have no decision yet (nor are examples).
   */
  async tagCoverage(): Promise<Map<string, { rerun: number; undecided: number }>> {
    const total = await this.marketCount();
    const rows = await this.#file.reader.all(
      `SELECT t.tag_id,
         count(DISTINCT m.market_id) FILTER (WHERE k.kind <> 'model') AS kept,
         count(DISTINCT m.market_id) AS touched
       FROM Tags t
       LEFT JOIN (SELECT tag_id, market_id, 'example' AS kind FROM TagExamples UNION ALL SELECT tag_id, market_id, decider_kind FROM MarketTagState) k ON k.tag_id = t.tag_id
       LEFT JOIN TaggerMarkets m ON m.market_id = k.market_id
       GROUP BY t.tag_id`,
    );
    return new Map(rows.map((r) => [r.tag_id as string, { rerun: total - (r.kept as number), undecided: total - (r.touched as number) }]));
  }

  /** One decision by id, current or superseded. */
  async decision(decisionId: string): Promise<HistoryRow | undefined> {
    return (await this.history({ limit: 1, offset: 0 }, 'h.decision_id = ?', [decisionId]))[0];
  }

  async currentDecision(marketId: string, tagId: string): Promise<HistoryRow | undefined> {
    const rows = await this.history({ limit: 1, offset: 0, currentOnly: true }, 'h.market_id = ? AND h.tag_id = ?', [marketId, tagId]);
    return rows[0];
  }

  /** Past decisions, newest first, filtered. */
  async history(filter: HistoryFilter, extraWhere?: string, extraParams: string[] = []): Promise<HistoryRow[]> {
    const { where, params } = historyWhere(filter, extraWhere, extraParams);
    const rows = await this.#file.reader.all(
      `SELECT h.*, t.name AS tag_name, m.question, s.decision_id IS NOT NULL AS is_current ${HISTORY_FROM} ${where}
       ORDER BY h.log_offset DESC LIMIT ? OFFSET ?`,
      [...params, filter.limit, filter.offset],
    );
    return rows.map(toHistory);
  }

  /** How many decisions `history` would page through with this filter. */
  async historyCount(filter: HistoryFilter): Promise<number> {
    const { where, params } = historyWhere(filter);
    return ((await this.#file.reader.one(`SELECT count(*) AS n ${HISTORY_FROM} ${where}`, params))?.n as number) ?? 0;
  }

  /** Every market category in the catalogue, with how many markets have it, most first. */
  async categories(): Promise<Array<{ category: string; markets: number }>> {
    const rows = await this.#file.reader.all('SELECT category, count(*) AS n FROM TaggerMarkets WHERE category IS NOT NULL GROUP BY category ORDER BY n DESC, category');
    return rows.map((r) => ({ category: r.category as string, markets: r.n as number }));
  }

  /** The review queue: current UNSURE decisions of active tags, oldest first. */
  async judgeQueue(limit: number, tagId?: string): Promise<JudgeItem[]> {
    return this.#judgeItems("(? = '' OR s.tag_id = ?)", [tagId ?? '', tagId ?? ''], limit);
  }

  /** The pair's Judge item, if it is in the queue (wherever it is in it). */
  async judgeItem(marketId: string, tagId: string): Promise<JudgeItem | undefined> {
    return (await this.#judgeItems('s.market_id = ? AND s.tag_id = ?', [marketId, tagId], 1))[0];
  }

  async #judgeItems(where: string, params: string[], limit: number): Promise<JudgeItem[]> {
    const rows = await this.#file.reader.all(
      `SELECT h.*, t.name AS tag_name, t.description AS tag_description, TRUE AS is_current,
         m.question, m.description, m.category, m.slug, m.volume, m.active, m.closed, m.outcomes
       FROM MarketTagState s
       JOIN JudgeHistory h ON h.decision_id = s.decision_id
       JOIN Tags t ON t.tag_id = s.tag_id AND t.is_active
       LEFT JOIN TaggerMarkets m ON m.market_id = s.market_id
       WHERE s.decision = 'UNSURE' AND ${where}
       ORDER BY h.log_offset LIMIT ?`,
      [...params, limit],
    );
    return rows.map((r) => ({
      history: toHistory(r),
      market: toMarket(r),
      tag: { tagId: r.tag_id as string, name: r.tag_name as string, description: r.tag_description as string },
    }));
  }

  /** How many items `judgeQueue` holds (for one tag, or all active tags): the one count every page shows. */
  async judgeCount(tagId?: string): Promise<number> {
    const row = await this.#file.reader.one(`SELECT count(*) AS n FROM MarketTagState s JOIN Tags t ON t.tag_id = s.tag_id AND t.is_active WHERE s.decision = 'UNSURE' AND (? = '' OR s.tag_id = ?)`, [
      tagId ?? '',
      tagId ?? '',
    ]);
    return (row?.n as number) ?? 0;
  }

  // ---- settings and snapshots ------------------------------------------------------------------

  /** The saved settings JSON, unparsed (the caller validates), or undefined if never saved. */
  async settingsJson(): Promise<string | undefined> {
    return (await this.#file.reader.one("SELECT value FROM TaggerSettings WHERE key = 'current'"))?.value as string | undefined;
  }

  /** Every row of every tag table, in a stable order: what replay must reproduce. */
  async snapshot(): Promise<Record<string, Row[]>> {
    const out: Record<string, Row[]> = {};
    for (const table of TAG_TABLES) out[table] = await this.#file.reader.all(`SELECT * FROM ${table} ORDER BY ALL`);
    return out;
  }
}

const HISTORY_FROM = `FROM JudgeHistory h
       LEFT JOIN Tags t ON t.tag_id = h.tag_id
       LEFT JOIN TaggerMarkets m ON m.market_id = h.market_id
       LEFT JOIN MarketTagState s ON s.decision_id = h.decision_id`;

/** The WHERE clause of a history query and its parameters (every value a parameter). */
function historyWhere(filter: HistoryFilter, extraWhere?: string, extraParams: string[] = []): { where: string; params: Array<string | number | boolean> } {
  const where: string[] = [];
  const params: Array<string | number | boolean> = [];
  if (filter.tagId) {
    where.push('h.tag_id = ?');
    params.push(filter.tagId);
  }
  if (filter.decision) {
    where.push('h.decision = ?');
    params.push(filter.decision);
  }
  if (filter.deciderKind) {
    where.push('h.decider_kind = ?');
    params.push(filter.deciderKind);
  }
  if (filter.text) {
    where.push("(contains(lower(coalesce(m.question, '')), lower(?)) OR h.market_id = ?)");
    params.push(filter.text, filter.text);
  }
  if (filter.category) {
    where.push('m.category = ?');
    params.push(filter.category);
  }
  if (filter.currentOnly) where.push('s.decision_id IS NOT NULL');
  if (extraWhere) {
    where.push(extraWhere);
    params.push(...extraParams);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** A market search's condition; its parameters are the search text four times. */
const MARKET_MATCH = "(? = '' OR contains(lower(coalesce(question, '')), lower(?)) OR contains(lower(coalesce(slug, '')), lower(?)) OR market_id = ?)";

const MARKET_COLUMNS = 'market_id, question, description, category, slug, volume, active, closed, outcomes';

function varcharList(values: readonly string[]) {
  return listValue([...values]);
}

function toMarket(r: Row): MarketRow {
  return {
    marketId: r.market_id as string,
    question: (r.question as string | null) ?? null,
    description: (r.description as string | null) ?? null,
    category: (r.category as string | null) ?? null,
    slug: (r.slug as string | null) ?? null,
    volume: (r.volume as number | null) ?? null,
    active: (r.active as boolean | null) ?? null,
    closed: (r.closed as boolean | null) ?? null,
    outcomes: typeof r.outcomes === 'string' ? (JSON.parse(r.outcomes) as string[]) : null,
  };
}

function toHistory(r: Row): HistoryRow {
  return {
    decisionId: r.decision_id as string,
    tagId: r.tag_id as string,
    tagName: (r.tag_name as string | null) ?? null,
    marketId: r.market_id as string,
    question: (r.question as string | null) ?? null,
    decision: r.decision as string,
    deciderKind: r.decider_kind as string,
    decider: r.decider as string,
    confidence: (r.confidence as number | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    rule: (r.rule as string | null) ?? null,
    leaning: (r.leaning as string | null) ?? null,
    votes: JSON.parse(r.votes as string) as VoteRecord[],
    promptVersion: (r.prompt_version as string | null) ?? null,
    via: (r.via as string | null) ?? null,
    previous: (r.previous as string | null) ?? null,
    decidedAt: r.decided_at as Date,
    current: Boolean(r.is_current),
  };
}

export { pairKey };

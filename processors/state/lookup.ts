/**
 * Reference data for enrichment, folded from the clean markets, tokens and events topics: which
 * market and outcome each token is, which event each market belongs to. Rebuilt from those topics
 * on start and kept current from what this processor emits and what GlobalState reads
 * (processors/state/global-state.ts), so it survives restarts. It grows
 * with the number of markets (about 30 bytes per token and market id beyond the strings).
 */
import type { CleanEvent, CleanMarket, CleanToken } from '../../schemas/clean-records.ts';

export interface TokenInfo {
  conditionId: string;
  outcome: string;
  outcomeIndex: number;
}

export interface EventRef {
  eventId: string;
  eventSlug: string | null;
}

export class LookupTables {
  readonly #tokens = new Map<string, TokenInfo>();
  /** Per market, token ids by outcome index. */
  readonly #marketTokens = new Map<string, string[]>();
  readonly #marketEvent = new Map<string, EventRef>();
  readonly #eventSlug = new Map<string, string>();

  get tokenCount(): number {
    return this.#tokens.size;
  }

  get marketCount(): number {
    return this.#marketTokens.size;
  }

  /** Folds in one clean reference record; returns the keys (token ids, condition ids) that became known. */
  apply(topic: 'markets' | 'tokens' | 'events', record: CleanMarket | CleanToken | CleanEvent): string[] {
    if (topic === 'markets') return this.#market(record as CleanMarket);
    if (topic === 'tokens') return this.#token(record as CleanToken);
    return this.#event(record as CleanEvent);
  }

  token(tokenId: string): TokenInfo | undefined {
    return this.#tokens.get(tokenId);
  }

  /** The token of a market's outcome, by index or, failing that, by outcome name. */
  tokenOf(conditionId: string, outcomeIndex: number | null, outcome: string | null): string | undefined {
    const ids = this.#marketTokens.get(conditionId);
    if (!ids) return undefined;
    if (outcomeIndex !== null && ids[outcomeIndex] !== undefined) return ids[outcomeIndex];
    if (outcome !== null) return ids.find((id) => this.#tokens.get(id)?.outcome === outcome);
    return undefined;
  }

  event(conditionId: string): EventRef | undefined {
    return this.#marketEvent.get(conditionId);
  }

  #market(m: CleanMarket): string[] {
    const known: string[] = [];
    m.token_ids.forEach((tokenId, i) => {
      known.push(...this.#setToken(tokenId, { conditionId: m.condition_id, outcome: m.outcomes[i] ?? '', outcomeIndex: i }));
    });
    if (m.event_id !== null) known.push(...this.#setEvent(m.condition_id, m.event_id, m.event_slug));
    return known;
  }

  #token(t: CleanToken): string[] {
    const known = this.#setToken(t.token_id, { conditionId: t.condition_id, outcome: t.outcome, outcomeIndex: t.outcome_index });
    if (t.event_id !== null) known.push(...this.#setEvent(t.condition_id, t.event_id, null));
    return known;
  }

  #event(e: CleanEvent): string[] {
    if (e.slug !== null) this.#eventSlug.set(e.event_id, e.slug);
    const known: string[] = [];
    for (const conditionId of e.market_condition_ids) known.push(...this.#setEvent(conditionId, e.event_id, e.slug));
    return known;
  }

  #setToken(tokenId: string, info: TokenInfo): string[] {
    const had = this.#tokens.get(tokenId);
    const ids = this.#marketTokens.get(info.conditionId) ?? [];
    ids[info.outcomeIndex] = tokenId;
    this.#marketTokens.set(info.conditionId, ids);
    if (had && had.conditionId === info.conditionId && had.outcomeIndex === info.outcomeIndex && (had.outcome === info.outcome || info.outcome === '')) {
      return [];
    }
    this.#tokens.set(tokenId, had && info.outcome === '' ? { ...info, outcome: had.outcome } : info);
    return had ? [] : [tokenId, info.conditionId];
  }

  #setEvent(conditionId: string, eventId: string, slug: string | null): string[] {
    const had = this.#marketEvent.get(conditionId);
    const eventSlug = slug ?? this.#eventSlug.get(eventId) ?? had?.eventSlug ?? null;
    if (had && had.eventId === eventId && had.eventSlug === eventSlug) return [];
    this.#marketEvent.set(conditionId, { eventId, eventSlug });
    return had ? [] : [conditionId];
  }
}

/**
 * Classifies (market, tag) pairs with the judge pool and publishes each result as a decision.
 * Work enters through `submit`, which waits while `maxPairs` pairs are in flight: the market
 * stream and the catalogue sweep both slow down to what Ollama can take. A pair is never
 * classified twice at once, nor again between publishing its decision and the sink applying
 * it. Settings changes take effect on the next request (URL, models, rule, concurrency). While a
 * configured model is known to be missing from the server, no new pair starts: every vote of it
 * would fail and send the whole catalogue to the Judge queue; the page header says why.
 */
import { AbortedError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { DEFAULT_ASK_POLICY, type ModelCaller } from '../classify/ask-model.ts';
import { judge, type PoolConfig } from '../classify/judge-pool.ts';
import type { MarketText, TagForPrompt } from '../classify/prompt.ts';
import { modelDecision, type TagDecisionEvent } from '../events.ts';
import { AvailabilityGate } from '../ollama/availability.ts';
import { type BreakerState, Breakers } from '../ollama/breaker.ts';
import { OllamaClient } from '../ollama/client.ts';
import { Limiter } from '../ollama/limiter.ts';
import type { EventPublisher } from '../publisher.ts';
import { poolConfig, type TaggerSettings } from '../settings.ts';
import { pairKey, type TagStore } from '../store/tag-store.ts';

export interface ClassifierStats {
  decided: number;
  yes: number;
  no: number;
  unsure: number;
  failedVotes: number;
  /** Sum over answered votes of their HTTP exchange time, ms. */
  requestMs: number;
  inFlight: number;
  /** performance.now() of the first and the latest decision of this run (for throughput). */
  firstDecisionAt: number | null;
  lastDecisionAt: number | null;
}

/** How one configured model is doing, for the page header. */
export interface ModelHealth {
  model: string;
  /** `missing`: the server's model list lacks it; `failing`: its circuit breaker is open. */
  state: 'ok' | 'missing' | 'failing' | 'probing';
  detail: string | null;
}

export interface PairWork {
  tagId: string;
  marketId: string;
  /** The decision this one supersedes (a reclassification), if any. */
  previous: string | null;
  via: 'classifier' | 'sweep' | 'reclassify';
  /** The market's text when the caller has it (the stream does); else it is read from the catalogue. */
  text?: MarketText;
}

export interface ClassifierOptions {
  store: TagStore;
  publisher: EventPublisher<TagDecisionEvent>;
  logger: Logger;
  settings: TaggerSettings;
  /** Told when the server says a configured model is not installed. */
  onModelNotFound?: (model: string) => void;
}

export class Classifier {
  readonly #o: ClassifierOptions;
  readonly #limiter: Limiter;
  #client: OllamaClient;
  #gate: AvailabilityGate;
  readonly #breakers = new Breakers();
  /** Configured models the server's list lacks, as of the last model check. */
  #missing: readonly string[] = [];
  #settings: TaggerSettings;
  #pool: PoolConfig;
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Pairs whose models are still being asked: what `maxPairs` bounds (publishing is bounded by the publisher). */
  #asking = 0;
  /** Pairs whose decision is published but maybe not yet applied by the sink: key to offset. */
  readonly #recent = new Map<string, number>();
  readonly #tagCache = new Map<string, Promise<TagForPrompt | undefined>>();
  readonly #waiters: Array<() => void> = [];
  readonly #stats: ClassifierStats = { decided: 0, yes: 0, no: 0, unsure: 0, failedVotes: 0, requestMs: 0, inFlight: 0, firstDecisionAt: null, lastDecisionAt: null };
  #failure: unknown;

  constructor(options: ClassifierOptions) {
    this.#o = options;
    this.#settings = options.settings;
    this.#pool = poolConfig(options.settings);
    this.#limiter = new Limiter(options.settings.concurrency);
    this.#client = this.#makeClient(options.settings);
    this.#gate = this.#makeGate();
  }

  get settings(): TaggerSettings {
    return this.#settings;
  }

  /** Whether there is anything to classify with (at least one model chosen). */
  get enabled(): boolean {
    return this.#pool.models.length > 0;
  }

  get stats(): ClassifierStats {
    return { ...this.#stats, inFlight: this.#inFlight.size };
  }

  get ollama(): { url: string; up: boolean; downSince: number | null; lastError: string | null } {
    const s = this.#gate.status;
    return { url: this.#client.baseUrl, up: s.up, downSince: s.downSince, lastError: s.lastError };
  }

  /** Each configured model's state: missing from the server, failing (breaker open), or fine. */
  get models(): ModelHealth[] {
    return this.#pool.models.map((model) => {
      if (this.#missing.includes(model)) return { model, state: 'missing', detail: 'not installed on the Ollama server' };
      const b = this.#breakers.status(model);
      const state: Record<BreakerState, ModelHealth['state']> = { closed: 'ok', open: 'failing', 'half-open': 'probing' };
      return { model, state: state[b.state], detail: b.lastError };
    });
  }

  /** Whether new pairs wait: a configured model is missing from the server. */
  get blocked(): boolean {
    return this.#pool.models.some((m) => this.#missing.includes(m));
  }

  /** The model check's finding; classification waits while it names a configured model. */
  setMissing(models: readonly string[]): void {
    const before = this.blocked;
    this.#missing = [...models];
    if (before !== this.blocked)
      this.#o.logger[this.blocked ? 'warn' : 'info'](this.blocked ? 'a configured model is not installed; classification waits' : 'every configured model is installed; classification resumes', {
        missing: this.#missing,
      });
    this.#wake();
  }

  /** The most pairs being asked at once: enough to keep every Ollama slot busy for every model. */
  get maxPairs(): number {
    const models = Math.max(1, this.#pool.models.length);
    return Math.max(4, Math.ceil((this.#settings.concurrency * 2) / models));
  }

  /** Rejects from then on if a pair failed for a reason other than the models (store, log). */
  get failure(): unknown {
    return this.#failure;
  }

  configure(settings: TaggerSettings): void {
    const old = this.#settings;
    this.#settings = settings;
    this.#pool = poolConfig(settings);
    this.#limiter.resize(settings.concurrency);
    if (old.ollamaUrl !== settings.ollamaUrl || old.timeoutSeconds !== settings.timeoutSeconds) {
      this.#client = this.#makeClient(settings);
      this.#gate.close();
      this.#gate = this.#makeGate();
    }
    if (old.ollamaUrl !== settings.ollamaUrl) this.#breakers.clear();
    this.#wake();
  }

  /** Drops cached prompt parts of a tag (its description or examples changed). */
  forgetTag(tagId: string): void {
    this.#tagCache.delete(tagId);
  }

  /** The sink applied decisions up to `nextOffset`: those pairs are visible in the store now. */
  applied(nextOffset: number): void {
    for (const [key, offset] of this.#recent) if (offset < nextOffset) this.#recent.delete(key);
  }

  /** Whether a pair is being classified, or was just decided and not yet applied. */
  busy(marketId: string, tagId: string): boolean {
    const key = pairKey(marketId, tagId);
    return this.#inFlight.has(key) || this.#recent.has(key);
  }

  /**
   * Waits for room, then starts classifying the pair. Resolves to `{ done }`, a promise of the
   * pair's completion (its decision durable in the log): the running one if the pair is already
   * being classified. Resolves to null when its decision is already durable. Rejects with
   * AbortedError if `signal` aborts while waiting.
   */
  async submit(work: PairWork, signal: AbortSignal): Promise<{ done: Promise<void> } | null> {
    const key = pairKey(work.marketId, work.tagId);
    for (;;) {
      const running = this.#inFlight.get(key);
      if (running) return { done: running };
      if (this.#recent.has(key)) return null;
      if (this.#asking < this.maxPairs && !this.blocked) break;
      if (signal.aborted) throw new AbortedError('classification stopped');
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    if (signal.aborted) throw new AbortedError('classification stopped');
    this.#asking++;
    let asked = false;
    const doneAsking = () => {
      if (asked) return;
      asked = true;
      this.#asking--;
      this.#wake();
    };
    const run = this.#classify(work, signal, doneAsking).finally(() => {
      doneAsking();
      this.#inFlight.delete(key);
      this.#wake();
    });
    this.#inFlight.set(key, run);
    run.catch((err) => {
      if (!(err instanceof AbortedError) && !this.#failure) {
        this.#failure = err;
        this.#o.logger.error('classification failed outside the models; the classifier stops', { err });
      }
    });
    return { done: run };
  }

  close(): void {
    this.#gate.close();
    this.#wake();
  }

  async #classify(work: PairWork, signal: AbortSignal, doneAsking: () => void): Promise<void> {
    const tag = await this.#tag(work.tagId);
    const text = work.text ?? (await this.#marketText(work.marketId));
    if (!tag || !text) return;
    const caller: ModelCaller = {
      client: this.#client,
      limiter: this.#limiter,
      gate: this.#gate,
      breakers: this.#breakers,
      onModelNotFound: this.#o.onModelNotFound,
      policy: { ...DEFAULT_ASK_POLICY, stream: this.#settings.stream },
    };
    const result = await judge(caller, this.#pool, tag, text, signal);
    doneAsking();
    const event = modelDecision(work.tagId, work.marketId, result, work.previous, work.via);
    const offset = await this.#o.publisher.publish(`${work.tagId}|${work.marketId}`, event);
    this.#recent.set(pairKey(work.marketId, work.tagId), offset);
    this.#stats.decided++;
    this.#stats[result.verdict === 'YES' ? 'yes' : result.verdict === 'NO' ? 'no' : 'unsure']++;
    this.#stats.failedVotes += result.votes.filter((v) => v.answer === null).length;
    this.#stats.requestMs += result.votes.reduce((sum, v) => sum + v.requestMs, 0);
    this.#stats.lastDecisionAt = performance.now();
    this.#stats.firstDecisionAt ??= this.#stats.lastDecisionAt;
  }

  async #marketText(marketId: string): Promise<MarketText | undefined> {
    const m = await this.#o.store.market(marketId);
    return m && { question: m.question ?? m.marketId, description: m.description, category: m.category, outcomes: m.outcomes };
  }

  #tag(tagId: string): Promise<TagForPrompt | undefined> {
    let cached = this.#tagCache.get(tagId);
    if (!cached) {
      cached = this.#o.store.promptTag(tagId);
      this.#tagCache.set(tagId, cached);
      cached.catch(() => this.#tagCache.delete(tagId));
    }
    return cached;
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  #makeClient(settings: TaggerSettings): OllamaClient {
    return new OllamaClient({ baseUrl: settings.ollamaUrl, timeoutMs: settings.timeoutSeconds * 1000 });
  }

  #makeGate(): AvailabilityGate {
    return new AvailabilityGate({ probe: (signal) => this.#client.listModels(signal), logger: this.#o.logger.child({ component: 'ollama' }) });
  }
}

/**
 * The Tag Manager in one process: the tag sink, the classifier (market stream and catalogue
 * sweep) and the operations the web pages call. Every edit is an event: it is published,
 * then the call waits until the sink has applied it, so the page that follows shows it.
 */
import { dirname, join } from 'node:path';
import type { Serde } from '../registry/serde.ts';
import { TaggerInputError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { Producer, Transport } from '../transport/types.ts';
import { type PromptTrial, tryPrompt } from './classify/try-prompt.ts';
import { type ExamplePolarity, humanDecision, restoredDecision, type TagDecisionEvent, type TagEvent, tagEvent, type Verdict } from './events.ts';
import { OllamaClient } from './ollama/client.ts';
import { ModelCheck, missingModels } from './ollama/model-check.ts';
import type { ModelInfo } from './ollama/types.ts';
import { Classifier } from './processor/classifier.ts';
import { MarketFeed } from './processor/market-feed.ts';
import { RerunScheduler } from './processor/rerun-scheduler.ts';
import { Sweeper } from './processor/sweeper.ts';
import { EventPublisher } from './publisher.ts';
import { DEFAULT_SETTINGS, parseSettings, type TaggerSettings } from './settings.ts';
import { TagSink } from './sink/tag-sink.ts';
import { UNDO_VIA } from './store/apply.ts';
import { TagStore } from './store/tag-store.ts';
import { prepareTagTopics } from './topics.ts';

export interface TaggerServiceOptions {
  transport: Transport;
  serde: Serde;
  dataDir: string;
  logger: Logger;
  /** Settings given on the command line; saved (as an event) over the stored ones at start. */
  overrides?: Partial<TaggerSettings>;
  /** Classify the market stream and the catalogue. Default true. */
  classify?: boolean;
  /** Redo every model decision of active tags once at start (never a person's). */
  reclassify?: boolean;
  /** The tag store file. Default `<dataDir>/tags.duckdb`. */
  storePath?: string;
  /** Consumer group of the tag sink (its progress is in the store; the group shows its lag). */
  sinkGroup?: string;
  /** Quiet time after a tag's last example or description edit before its models re-run, ms. */
  rerunDelayMs?: number;
}

/**
 * Model decisions are grouped for this long into one durable write: on the embedded log every
 * write is an fsync on the event loop, and one per decision would starve the Ollama requests.
 * Human decisions flush at once.
 */
const DECISION_LINGER_MS = 100;

export function tagStorePath(dataDir: string): string {
  return join(dataDir, 'tags.duckdb');
}

/** The web app's CSRF secret, beside the tag store (kept across restarts so open tabs keep working). */
export function csrfSecretPath(storePath: string): string {
  return join(dirname(storePath), 'tagger-csrf.key');
}

export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return slug || 'tag';
}

export class TaggerService {
  readonly store: TagStore;
  readonly sink: TagSink;
  readonly classifier: Classifier;
  readonly feed: MarketFeed;
  readonly sweeper: Sweeper;
  /** Re-runs a tag's models once its example and description edits stop. */
  readonly reruns: RerunScheduler;
  readonly modelCheck: ModelCheck;
  readonly transport: Transport;
  /** Where the web app keeps its CSRF secret. */
  readonly secretPath: string;
  readonly #producer: Producer;
  readonly #catalog: EventPublisher<TagEvent>;
  readonly #decisions: EventPublisher<TagDecisionEvent>;
  readonly #logger: Logger;
  readonly #controller = new AbortController();
  readonly #tasks: Array<Promise<void>> = [];
  #settings: TaggerSettings;

  private constructor(parts: {
    store: TagStore;
    sink: TagSink;
    classifier: Classifier;
    feed: MarketFeed;
    sweeper: Sweeper;
    rerunDelayMs: number | undefined;
    transport: Transport;
    secretPath: string;
    producer: Producer;
    catalog: EventPublisher<TagEvent>;
    decisions: EventPublisher<TagDecisionEvent>;
    logger: Logger;
    settings: TaggerSettings;
  }) {
    this.store = parts.store;
    this.sink = parts.sink;
    this.classifier = parts.classifier;
    this.feed = parts.feed;
    this.sweeper = parts.sweeper;
    this.reruns = new RerunScheduler((request) => parts.sweeper.kick(request), parts.rerunDelayMs);
    this.transport = parts.transport;
    this.secretPath = parts.secretPath;
    this.modelCheck = new ModelCheck({
      list: (signal) => new OllamaClient({ baseUrl: this.#settings.ollamaUrl }).listModels(signal),
      configured: () => this.#settings.models,
      onMissing: (missing) => this.classifier.setMissing(missing),
      logger: parts.logger,
    });
    this.#producer = parts.producer;
    this.#catalog = parts.catalog;
    this.#decisions = parts.decisions;
    this.#logger = parts.logger;
    this.#settings = parts.settings;
  }

  /** Opens the store, catches the sink up with the log, applies overrides, starts classifying. */
  static async start(options: TaggerServiceOptions): Promise<TaggerService> {
    const logger = options.logger.child({ component: 'tagger' });
    const codecs = await prepareTagTopics(options.transport, options.serde);
    const storePath = options.storePath ?? tagStorePath(options.dataDir);
    const store = await TagStore.open(storePath);
    const producer = options.transport.producer({ clientId: 'pma-tagger' });
    const sink = new TagSink({ transport: options.transport, store, decisions: codecs.decisions, catalog: codecs.catalog, logger, groupId: options.sinkGroup });
    const catalog = new EventPublisher<TagEvent>(producer, codecs.catalog, { lingerMs: 0 });
    const decisions = new EventPublisher<TagDecisionEvent>(producer, codecs.decisions, { lingerMs: DECISION_LINGER_MS });
    let service: TaggerService | undefined;
    try {
      const highs = await sink.start();
      const startup = new AbortController();
      await sink.catchUp(highs, startup.signal);
      const settings = await loadSettings(store, logger);
      // A model removed while running: look at the server's list now, not at the next minute.
      const classifier = new Classifier({ store, publisher: decisions, logger, settings, onModelNotFound: () => service?.modelCheck.kick() });
      const feed = new MarketFeed({ transport: options.transport, store, markets: codecs.markets, classifier, logger });
      const sweeper = new Sweeper(store, classifier, logger);
      service = new TaggerService({
        store,
        sink,
        classifier,
        feed,
        sweeper,
        rerunDelayMs: options.rerunDelayMs,
        transport: options.transport,
        secretPath: csrfSecretPath(storePath),
        producer,
        catalog,
        decisions,
        logger,
        settings,
      });
      const s = service;
      sink.onApplied((topic, _partition, next) => {
        if (topic === TOPICS.tagDecisions.name) s.classifier.applied(next);
      });
      s.#spawn('tag sink', sink.run(s.#controller.signal));
      if (options.overrides && Object.keys(options.overrides).length > 0) {
        const merged = { ...settings, ...options.overrides };
        // Not refused for missing models: the server may be down at start; the check flags them.
        if (JSON.stringify(merged) !== JSON.stringify(settings)) await s.saveSettings(merged, 'command line', { refuseMissing: false });
      }
      // Before any pair starts: a model known missing holds classification back from the first pair.
      await s.modelCheck.check(s.#controller.signal);
      s.#spawn('model check', s.modelCheck.run(s.#controller.signal));
      if (options.classify ?? true) {
        s.#spawn('classifier', feed.run(s.#controller.signal));
        s.#spawn('catalogue sweep', sweeper.run(s.#controller.signal));
        sweeper.kick({ reclassify: options.reclassify ?? false });
      }
      return s;
    } catch (err) {
      if (service) await service.close();
      else {
        await sink.close().catch(() => undefined);
        await producer.close().catch(() => undefined);
        store.close();
      }
      throw err;
    }
  }

  get settings(): TaggerSettings {
    return this.#settings;
  }

  /** Stops classifying and the sink, then closes the store. In-flight decisions not yet durable are redone next start. */
  async close(): Promise<void> {
    this.#controller.abort();
    this.reruns.close();
    this.classifier.close();
    await Promise.allSettled(this.#tasks);
    await this.#decisions.flush().catch(() => undefined);
    await this.sink.close();
    await this.#producer.close();
    this.store.close();
  }

  // ---- tags -----------------------------------------------------------------------------------

  async createTag(name: string, description: string, actor: string): Promise<string> {
    const clean = checkName(name);
    const tags = await this.store.tags();
    if (tags.some((t) => t.name.toLowerCase() === clean.toLowerCase())) throw new TaggerInputError(`a tag named "${clean}" already exists`, { field: 'name' });
    const base = slugify(clean);
    let id = base;
    for (let n = 2; tags.some((t) => t.tagId === id); n++) id = `${base}-${n}`;
    await this.#publishCatalog(id, tagEvent(actor, { 'polymarket.TagDefined': { tag: id, name: clean, description: checkDescription(description), active: true, archived: false } }));
    this.sweeper.kick({ tagId: id });
    return id;
  }

  async updateTag(tagId: string, patch: { name?: string; description?: string; active?: boolean }, actor: string): Promise<void> {
    const tag = await this.#tag(tagId);
    const name = patch.name === undefined ? tag.name : checkName(patch.name);
    if (name.toLowerCase() !== tag.name.toLowerCase() && (await this.store.tags()).some((t) => t.name.toLowerCase() === name.toLowerCase())) {
      throw new TaggerInputError(`a tag named "${name}" already exists`, { field: 'name' });
    }
    const description = patch.description === undefined ? tag.description : checkDescription(patch.description);
    const active = patch.active ?? tag.active;
    if (active && tag.archived) throw new TaggerInputError('the tag is archived: bring it back first', { tag: tagId }, { status: 409 });
    await this.#publishCatalog(tagId, tagEvent(actor, { 'polymarket.TagDefined': { tag: tagId, name, description, active, archived: tag.archived } }));
    this.classifier.forgetTag(tagId);
    if (active && !tag.active) this.sweeper.kick({ tagId });
    // The description is in every prompt: what the models said under the old one may no longer hold.
    if (description !== tag.description) this.reruns.changed(tagId);
  }

  /**
   * Archives a tag (it stops being classified and leaves the lists; its decisions stay) or
   * brings it back, inactive: activating it is a separate, deliberate step.
   */
  async archiveTag(tagId: string, archived: boolean, actor: string): Promise<void> {
    const tag = await this.#tag(tagId);
    if (tag.archived === archived) return;
    await this.#publishCatalog(tagId, tagEvent(actor, { 'polymarket.TagDefined': { tag: tagId, name: tag.name, description: tag.description, active: false, archived } }));
  }

  async setExample(tagId: string, marketId: string, polarity: ExamplePolarity, actor: string): Promise<void> {
    await this.#tag(tagId);
    if (polarity !== 'REMOVED' && !(await this.store.market(marketId))) throw new TaggerInputError('no such market in the catalogue', { market: marketId }, { status: 404 });
    await this.#publishCatalog(tagId, tagEvent(actor, { 'polymarket.TagExampleSet': { tag: tagId, market: marketId, polarity } }));
    this.classifier.forgetTag(tagId);
    // Examples steer every prompt: once the edits stop, the models decide the tag again (the
    // example that makes the tag ready starts its classification the same way).
    this.reruns.changed(tagId);
  }

  /** Redo this tag's model decisions (people's stay). */
  async reclassifyTag(tagId: string): Promise<void> {
    await this.#tag(tagId);
    this.sweeper.kick({ tagId, reclassify: true });
  }

  // ---- decisions ------------------------------------------------------------------------------

  /** A person's decision on a market for a tag; supersedes the current one. */
  async decide(tagId: string, marketId: string, decision: 'YES' | 'NO', via: 'judge' | 'history', note: string | null, expect?: string): Promise<string> {
    await this.#tag(tagId);
    const current = await this.store.currentDecision(marketId, tagId);
    if (expect !== undefined && current?.decisionId !== expect) {
      throw new TaggerInputError('this decision changed since the page was shown; look again', { market: marketId, tag: tagId }, { status: 409 });
    }
    if (!current && !(await this.store.market(marketId))) throw new TaggerInputError('no such market', { market: marketId }, { status: 404 });
    const event = humanDecision(tagId, marketId, decision, this.#settings.reviewer, current?.decisionId ?? null, via, note ? note.slice(0, 500) : null);
    const offset = await this.#decisions.publish(`${tagId}|${marketId}`, event);
    await this.#decisions.flush();
    await this.sink.waitApplied(TOPICS.tagDecisions.name, 0, offset, this.#controller.signal);
    return event.decisionId;
  }

  /**
   * Takes back a person's Judge decision: the decision it superseded (the models' unsure one)
   * becomes current again, so the market is back in Judge. Only while it is still current.
   */
  async undoJudgeDecision(decisionId: string): Promise<{ tagId: string; marketId: string }> {
    const undone = await this.store.decision(decisionId);
    const context = { decision: decisionId.slice(0, 80) };
    if (undone?.deciderKind !== 'human' || undone.via !== 'judge') throw new TaggerInputError('no such Judge decision to undo', context, { status: 404 });
    if (!undone.current) throw new TaggerInputError('this decision was changed since; see History', context, { status: 409 });
    const restored = undone.previous ? await this.store.decision(undone.previous) : undefined;
    if (!restored) throw new TaggerInputError('there is no earlier decision to go back to', context, { status: 409 });
    const event = restoredDecision(
      {
        tag: restored.tagId,
        market: restored.marketId,
        decision: restored.decision as Verdict,
        deciderKind: restored.deciderKind === 'human' ? 'human' : 'model',
        decider: restored.decider,
        confidence: restored.confidence,
        reason: restored.reason,
        votes: restored.votes,
        rule: restored.rule,
        leaning: restored.leaning as Verdict | null,
        promptVersion: restored.promptVersion,
      },
      undone.decisionId,
      UNDO_VIA,
    );
    const offset = await this.#decisions.publish(`${event.tag}|${event.market}`, event);
    await this.#decisions.flush();
    await this.sink.waitApplied(TOPICS.tagDecisions.name, 0, offset, this.#controller.signal);
    return { tagId: event.tag, marketId: event.market };
  }

  /** Sends the tag's prompt for one market to one chosen model once, and returns what it said (nothing is recorded). */
  async tryPrompt(tagId: string, marketId: string, model: string): Promise<PromptTrial> {
    if (!this.#settings.models.includes(model)) throw new TaggerInputError('pick one of the chosen models (Settings)', { model: model.slice(0, 100) });
    const tag = await this.store.promptTag(tagId);
    if (!tag) throw new TaggerInputError('no such tag', { tag: tagId }, { status: 404 });
    const market = await this.store.market(marketId);
    if (!market) throw new TaggerInputError('no such market in the catalogue', { market: marketId }, { status: 404 });
    const client = new OllamaClient({ baseUrl: this.#settings.ollamaUrl, timeoutMs: this.#settings.timeoutSeconds * 1000 });
    const text = { question: market.question ?? market.marketId, description: market.description, category: market.category, outcomes: market.outcomes };
    return tryPrompt(client, model, tag, text, this.#controller.signal);
  }

  // ---- settings -------------------------------------------------------------------------------

  /**
   * Saves the settings. New models the server answers without are refused (`refuseMissing`,
   * default on); when the server does not answer they are saved and the model check flags them.
   */
  async saveSettings(value: unknown, actor: string, options: { refuseMissing?: boolean } = {}): Promise<TaggerSettings> {
    const parsed = parseSettings(value);
    if (!parsed.ok) throw new TaggerInputError(`${parsed.field}: ${parsed.message}`, { field: parsed.field });
    if (options.refuseMissing ?? true) await this.#refuseMissing(parsed.settings);
    await this.#publishCatalog('settings', tagEvent(actor, { 'polymarket.TaggerSettingsSet': { settings: JSON.stringify(parsed.settings) } }));
    // Other models, or fewer examples needed (tags may have become ready): sweep the catalogue.
    const sweepAgain = JSON.stringify(parsed.settings.models) !== JSON.stringify(this.#settings.models) || parsed.settings.minExamples < this.#settings.minExamples;
    this.#settings = parsed.settings;
    this.classifier.configure(parsed.settings);
    // At once, so a model just fixed (or just broken) holds or frees classification before this returns.
    await this.modelCheck.check(this.#controller.signal);
    if (sweepAgain) this.sweeper.kick();
    return parsed.settings;
  }

  async #refuseMissing(settings: TaggerSettings): Promise<void> {
    const added = settings.models.filter((m) => settings.ollamaUrl !== this.#settings.ollamaUrl || !this.#settings.models.includes(m));
    if (added.length === 0) return;
    let installed: ModelInfo[];
    try {
      installed = await this.testConnection(settings.ollamaUrl);
    } catch (err) {
      this.#logger.warn('cannot check the models against the Ollama server; saved, and checked again once it answers', { err });
      return;
    }
    const missing = missingModels(added, installed);
    if (missing.length > 0) {
      const have = installed.map((m) => m.name).join(', ') || 'none';
      throw new TaggerInputError(`models: not installed on ${settings.ollamaUrl}: ${missing.join(', ')} (installed: ${have}); pull them first`, { field: 'models', missing: missing.join(',') });
    }
  }

  /** Asks an Ollama server (by default the configured one) for its models. */
  async testConnection(url?: string): Promise<ModelInfo[]> {
    return new OllamaClient({ baseUrl: url ?? this.#settings.ollamaUrl, listTimeoutMs: 5_000 }).listModels();
  }

  async #tag(tagId: string) {
    const tag = await this.store.tag(tagId);
    if (!tag) throw new TaggerInputError('no such tag', { tag: tagId }, { status: 404 });
    return tag;
  }

  async #publishCatalog(key: string, event: TagEvent): Promise<void> {
    const offset = await this.#catalog.publish(key, event);
    await this.sink.waitApplied(TOPICS.tagCatalog.name, 0, offset, this.#controller.signal);
  }

  #spawn(name: string, task: Promise<void>): void {
    const tracked = task.catch((err) => {
      if (this.#controller.signal.aborted) return;
      this.#logger.error(`${name} stopped`, { err });
    });
    this.#tasks.push(tracked);
  }
}

async function loadSettings(store: TagStore, logger: Logger): Promise<TaggerSettings> {
  const json = await store.settingsJson();
  if (json === undefined) return DEFAULT_SETTINGS;
  const parsed = parseSettings(JSON.parse(json));
  if (parsed.ok) return parsed.settings;
  logger.warn('stored settings are invalid; using defaults until saved again', { field: parsed.field, problem: parsed.message });
  return DEFAULT_SETTINGS;
}

function checkName(name: string): string {
  const clean = name.trim().replace(/\s+/g, ' ');
  if (clean.length === 0) throw new TaggerInputError('a tag needs a name', { field: 'name' });
  if (clean.length > 80) throw new TaggerInputError('a tag name has at most 80 characters', { field: 'name' });
  return clean;
}

function checkDescription(description: string): string {
  const clean = description.trim();
  if (clean.length > 2_000) throw new TaggerInputError('a description has at most 2000 characters', { field: 'description' });
  return clean;
}

/**
 * The catalogue sweep: classifies markets already in the catalogue that a tag has no decision
 * for (never its examples, and only for tags with enough examples). It runs at start-up, when a
 * tag is created or activated, when the models or settings change, and to redo model decisions
 * but never a person's: on request (`--reclassify`, or "Re-run models" on a tag) and a little
 * after a tag's examples or description change (RerunScheduler). One sweep runs at a time; requests made meanwhile are merged into the next one.
 */
import { AbortedError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import type { TagStore } from '../store/tag-store.ts';
import type { Classifier } from './classifier.ts';
import { readyToClassify } from './readiness.ts';

export interface SweepRequest {
  /** One tag, or every active tag when absent. */
  tagId?: string;
  reclassify?: boolean;
}

export interface SweepStatus {
  running: boolean;
  submitted: number;
  lastFinishedAt: number | null;
}

const PAGE = 200;

export class Sweeper {
  readonly #store: TagStore;
  readonly #classifier: Classifier;
  readonly #logger: Logger;
  #queue: SweepRequest[] = [];
  #wake: (() => void) | undefined;
  readonly status: SweepStatus = { running: false, submitted: 0, lastFinishedAt: null };

  constructor(store: TagStore, classifier: Classifier, logger: Logger) {
    this.#store = store;
    this.#classifier = classifier;
    this.#logger = logger;
  }

  /** Nothing queued and nothing running: every kick so far has been swept. */
  get idle(): boolean {
    return this.#queue.length === 0 && !this.status.running;
  }

  kick(request: SweepRequest = {}): void {
    this.#queue.push(request);
    this.#wake?.();
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.#queue.length === 0) {
        await new Promise<void>((resolve) => {
          const onAbort = () => resolve();
          signal.addEventListener('abort', onAbort, { once: true });
          this.#wake = () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
        });
        this.#wake = undefined;
        continue;
      }
      const requests = this.#queue.splice(0);
      this.status.running = true;
      try {
        await this.#sweep(requests, signal);
        this.status.lastFinishedAt = Date.now();
      } catch (err) {
        if (err instanceof AbortedError && signal.aborted) return;
        throw err;
      } finally {
        this.status.running = false;
      }
    }
  }

  async #sweep(requests: SweepRequest[], signal: AbortSignal): Promise<void> {
    if (!this.#classifier.enabled) return;
    const min = this.#classifier.settings.minExamples;
    const active = (await this.#store.tags()).filter((t) => t.active && readyToClassify(t, min)).map((t) => t.tagId);
    const plan = new Map<string, boolean>();
    for (const r of requests) {
      for (const tagId of r.tagId ? [r.tagId] : active) {
        if (active.includes(tagId)) plan.set(tagId, (plan.get(tagId) ?? false) || Boolean(r.reclassify));
      }
    }
    for (const [tagId, reclassify] of plan) {
      let after = '';
      let submitted = 0;
      for (;;) {
        const page = await this.#store.marketsToClassify(tagId, after, PAGE, reclassify);
        if (page.length === 0) break;
        for (const { marketId, previous } of page) {
          if (this.#classifier.busy(marketId, tagId)) continue;
          await this.#classifier.submit({ tagId, marketId, previous: reclassify ? previous : null, via: reclassify ? 'reclassify' : 'sweep' }, signal);
          submitted++;
        }
        after = page[page.length - 1]!.marketId;
      }
      this.status.submitted += submitted;
      if (submitted > 0) this.#logger.info('catalogue sweep queued markets for classification', { tag: tagId, markets: submitted, reclassify });
    }
  }
}

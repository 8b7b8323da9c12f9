/**
 * Progress of a long command, per task (a fetcher, a sink…): live bars on a terminal
 * (cli-progress), one plain line per task at an interval when output is not a terminal (logs,
 * CI), and a final summary table. Tasks only count; rendering is this module's business.
 */
import cliProgress from 'cli-progress';
import type { Logger } from './logger.ts';

export const COUNTERS = ['requests', 'records', 'throttles', 'retries', 'errors'] as const;
export type Counter = (typeof COUNTERS)[number];

export interface TaskSnapshot {
  name: string;
  counts: Record<Counter, number>;
  /** Units of work done and known in total (markets, tokens, boards…); total 0 when unknown. */
  done: number;
  total: number;
  unit: string;
  elapsedMs: number;
  /** Records per second over the last interval. */
  rate: number;
  /** Seconds to finish at the current pace of `done`, when the total is known. */
  etaSec: number | undefined;
  status: string;
}

export class ProgressTask {
  readonly name: string;
  readonly unit: string;
  readonly counts: Record<Counter, number> = { requests: 0, records: 0, throttles: 0, retries: 0, errors: 0 };
  done = 0;
  total = 0;
  status = '';
  readonly #started = performance.now();
  #ended: number | undefined;
  #lastAt = performance.now();
  #lastRecords = 0;
  #lastDone = 0;
  #rate = 0;
  #doneRate = 0;

  readonly #doneBy: Counter | undefined;

  /**
   * `doneBy`: the counter that is also the task's units of work, for a task (a sink, the
   * processors) whose work is its records; else `done` only moves through advance().
   */
  constructor(name: string, unit: string, doneBy?: Counter) {
    this.name = name;
    this.unit = unit;
    this.#doneBy = doneBy;
  }

  add(counter: Counter, n = 1): void {
    this.counts[counter] += n;
    if (counter === this.#doneBy) this.done += n;
  }

  /** Adds units of work to the known total (e.g. markets discovered). */
  grow(n: number): void {
    this.total += n;
  }

  advance(n = 1): void {
    this.done += n;
  }

  end(status = 'done'): void {
    this.status = status;
    this.#ended ??= performance.now();
  }

  /** Updates the moving rates; called by the board on each tick. */
  tick(): void {
    const now = performance.now();
    const dt = (now - this.#lastAt) / 1000;
    if (dt <= 0) return;
    const r = (this.counts.records - this.#lastRecords) / dt;
    const d = (this.done - this.#lastDone) / dt;
    this.#rate = this.#rate === 0 ? r : this.#rate * 0.6 + r * 0.4;
    this.#doneRate = this.#doneRate === 0 ? d : this.#doneRate * 0.6 + d * 0.4;
    this.#lastAt = now;
    this.#lastRecords = this.counts.records;
    this.#lastDone = this.done;
  }

  snapshot(): TaskSnapshot {
    const elapsedMs = (this.#ended ?? performance.now()) - this.#started;
    const left = this.total - this.done;
    const etaSec = this.total > 0 && left > 0 && this.#doneRate > 0 ? left / this.#doneRate : this.total > 0 && left <= 0 ? 0 : undefined;
    return {
      name: this.name,
      counts: { ...this.counts },
      done: this.done,
      total: this.total,
      unit: this.unit,
      elapsedMs,
      rate: this.#ended ? this.counts.records / Math.max(elapsedMs / 1000, 1e-3) : this.#rate,
      etaSec: this.#ended ? undefined : etaSec,
      status: this.status,
    };
  }
}

export interface ProgressBoardOptions {
  /** Where bars or lines go. Default process.stderr. */
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Force bars on or off; default: bars when the stream is a TTY. */
  tty?: boolean;
  /** Plain-line interval when not on a TTY. Default 10 s. */
  lineIntervalMs?: number;
  /** Plain lines go through the logger when given (JSON logs stay JSON). */
  logger?: Logger;
}

export class ProgressBoard {
  readonly #tasks: ProgressTask[] = [];
  readonly #options: ProgressBoardOptions;
  readonly #tty: boolean;
  #multi: cliProgress.MultiBar | undefined;
  readonly #bars = new Map<ProgressTask, cliProgress.SingleBar>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ProgressBoardOptions = {}) {
    this.#options = options;
    const stream = options.stream ?? process.stderr;
    this.#tty = options.tty ?? Boolean((stream as NodeJS.WriteStream).isTTY);
  }

  task(name: string, unit = 'items', doneBy?: Counter): ProgressTask {
    const t = new ProgressTask(name, unit, doneBy);
    this.#tasks.push(t);
    if (this.#multi) this.#addBar(t);
    return t;
  }

  tasks(): readonly ProgressTask[] {
    return this.#tasks;
  }

  start(): void {
    if (this.#timer) return;
    if (this.#tty) {
      this.#multi = new cliProgress.MultiBar(
        {
          stream: (this.#options.stream ?? process.stderr) as NodeJS.WritableStream,
          format: '{name} |{bar}| {done}/{totalText} {unit} | req {requests} | rec {records} ({rate}/s) | thr {throttles} retry {retries} err {errors} | eta {etaText}',
          barsize: 20,
          hideCursor: true,
          clearOnComplete: false,
          fps: 4,
          autopadding: true,
        },
        cliProgress.Presets.shades_classic,
      );
      for (const t of this.#tasks) this.#addBar(t);
      this.#timer = setInterval(() => this.#renderBars(), 500);
    } else {
      this.#timer = setInterval(() => this.#renderLines(), this.#options.lineIntervalMs ?? 10_000);
    }
    this.#timer.unref();
  }

  /** Stops the display and returns the summary table. */
  stop(): string {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const t of this.#tasks) t.tick();
    if (this.#multi) {
      this.#renderBars();
      this.#multi.stop();
      this.#multi = undefined;
    }
    return summaryTable(this.#tasks.map((t) => t.snapshot()));
  }

  #addBar(t: ProgressTask): void {
    this.#bars.set(t, this.#multi!.create(1, 0, this.#payload(t)));
  }

  #payload(t: ProgressTask): Record<string, unknown> {
    const s = t.snapshot();
    return {
      name: s.name.padEnd(12),
      done: s.done,
      totalText: s.total > 0 ? s.total : '?',
      unit: s.unit,
      requests: s.counts.requests,
      records: s.counts.records,
      rate: Math.round(s.rate),
      throttles: s.counts.throttles,
      retries: s.counts.retries,
      errors: s.counts.errors,
      etaText: s.status || formatDuration(s.etaSec),
    };
  }

  #renderBars(): void {
    for (const [t, bar] of this.#bars) {
      t.tick();
      bar.setTotal(Math.max(1, t.total));
      bar.update(Math.min(t.done, Math.max(1, t.total)), this.#payload(t));
    }
  }

  #renderLines(): void {
    for (const t of this.#tasks) {
      t.tick();
      const s = t.snapshot();
      const fields = {
        task: s.name,
        done: s.done,
        total: s.total || undefined,
        unit: s.unit,
        ...s.counts,
        rate: Math.round(s.rate),
        eta: s.etaSec === undefined ? undefined : formatDuration(s.etaSec),
        status: s.status || undefined,
      };
      if (this.#options.logger) this.#options.logger.info('progress', fields);
      else
        (this.#options.stream ?? process.stderr).write(
          `progress ${Object.entries(fields)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}\n`,
        );
    }
  }
}

export function formatDuration(sec: number | undefined): string {
  if (sec === undefined || !Number.isFinite(sec)) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A plain-text table of task snapshots, columns aligned, numbers right-aligned. */
export function summaryTable(rows: TaskSnapshot[]): string {
  const header = ['task', 'done', 'requests', 'records', 'rec/s', 'throttles', 'retries', 'errors', 'time', 'status'];
  const body = rows.map((r) => [
    r.name,
    r.total > 0 ? `${r.done}/${r.total} ${r.unit}` : `${r.done} ${r.unit}`,
    String(r.counts.requests),
    String(r.counts.records),
    String(Math.round(r.rate)),
    String(r.counts.throttles),
    String(r.counts.retries),
    String(r.counts.errors),
    formatDuration(r.elapsedMs / 1000),
    r.status || 'running',
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7]);
  const line = (row: string[]) =>
    row
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

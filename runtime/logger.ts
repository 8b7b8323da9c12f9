/**
 * Structured logging: JSON lines with stable keys (pino) for machines, or one readable line per
 * event for a person at a terminal. Logs go to stderr so stdout stays free for command output.
 * An error in the fields is logged whole: code, message, typed fields, context, stack and the
 * chain of causes (as serializeError gives it in JSON; as stack lines under the event in text).
 */
import { pino } from 'pino';
import { describeError, serializeError } from './errors.ts';
import { redactSetting } from './secrets.ts';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `bindings` (e.g. `{ component: 'ingest' }`). */
  child(bindings: LogFields): Logger;
}

const LEVELS: Record<Exclude<LogLevel, 'silent'>, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

export interface LoggerOptions {
  format: 'text' | 'json';
  level: LogLevel;
  /** Defaults to stderr. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stderr;
  // Errors are serialised before pino sees them; its own `err` serialiser would drop our fields.
  if (options.format === 'json') return wrapPino(pino({ level: options.level, base: undefined, serializers: { err: (e: unknown) => e } }, stream));
  return new TextLogger(stream, options.level === 'silent' ? Number.POSITIVE_INFINITY : LEVELS[options.level], {});
}

function serialise(fields: LogFields | undefined): LogFields | undefined {
  if (!fields) return fields;
  const out: LogFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) out[k] = serializeError(v);
    else if (typeof v === 'bigint') out[k] = v.toString();
    else out[k] = redactSetting(k, v);
  }
  return out;
}

function wrapPino(p: pino.Logger): Logger {
  const call = (level: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: LogFields) => {
    const f = serialise(fields);
    if (f) p[level](f, msg);
    else p[level](msg);
  };
  return {
    trace: call('trace'),
    debug: call('debug'),
    info: call('info'),
    warn: call('warn'),
    error: call('error'),
    child: (bindings) => wrapPino(p.child(serialise(bindings) ?? {})),
  };
}

class TextLogger implements Logger {
  readonly #stream: NodeJS.WritableStream;
  readonly #threshold: number;
  readonly #bindings: LogFields;

  constructor(stream: NodeJS.WritableStream, threshold: number, bindings: LogFields) {
    this.#stream = stream;
    this.#threshold = threshold;
    this.#bindings = bindings;
  }

  trace(msg: string, fields?: LogFields): void {
    this.#write('trace', msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.#write('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#write('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#write('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#write('error', msg, fields);
  }
  child(bindings: LogFields): Logger {
    return new TextLogger(this.#stream, this.#threshold, { ...this.#bindings, ...bindings });
  }

  #write(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void {
    if (LEVELS[level] < this.#threshold) return;
    const { component, ...rest } = { ...this.#bindings, ...fields };
    const time = new Date().toISOString().slice(11, 23);
    const tag = component ? ` [${String(component)}]` : '';
    const errors: Error[] = [];
    const kv = Object.entries(rest)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => {
        if (v instanceof Error) errors.push(v);
        const text = v instanceof Error ? describeError(v) : typeof v === 'bigint' ? v.toString() : redactSetting(k, v);
        return `${k}=${typeof text === 'string' && !/\s/.test(text) ? text : JSON.stringify(text)}`;
      })
      .join(' ');
    const stacks = errors.map(stackLines).join('');
    this.#stream.write(`${time} ${level.toUpperCase().padEnd(5)}${tag} ${msg}${kv ? ` ${kv}` : ''}\n${stacks}`);
  }
}

// A cause chain is short; the bound only stops a cycle.
const MAX_CAUSES = 16;

/** The stack of an error and of each cause under it, indented below the event line. */
function stackLines(err: Error): string {
  let out = '';
  let e: unknown = err;
  for (let depth = 0; e !== undefined && depth <= MAX_CAUSES; depth++) {
    const [head, ...frames] = (e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e)).split('\n');
    out += `    ${depth > 0 ? 'caused by: ' : ''}${head}\n`;
    for (const frame of frames) out += `      ${frame.trim()}\n`;
    e = e instanceof Error ? e.cause : undefined;
  }
  return out;
}

/** A logger that drops everything; for tests and library defaults. */
export const silentLogger: Logger = createLogger({ format: 'text', level: 'silent' });

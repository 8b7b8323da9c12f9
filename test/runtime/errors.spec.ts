import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  AbortedError,
  BenchError,
  ConfigError,
  ConsumerStateError,
  DecodeError,
  describeError,
  ERROR_CATALOGUE,
  HttpError,
  LlmError,
  NormaliseError,
  PmaError,
  type PmaErrorCode,
  QueryError,
  RegistryError,
  ResponseShapeError,
  rebuildError,
  SchemaCompatibilityError,
  SchemaNotFoundError,
  SchemaValidationError,
  SinkError,
  StaleTopicError,
  serializeError,
  TaggerInputError,
  TopicError,
  TransportError,
} from '../../runtime/errors.ts';

/** One instance of every class, built with a cause: the mapped type makes a missing code a type error. */
const SAMPLES: { [C in PmaErrorCode]: (cause: unknown) => PmaError } = {
  PMA_ERR_CONFIG: (cause) => new ConfigError('bad flag', { flag: '--x' }, { cause }),
  PMA_ERR_TRANSPORT: (cause) => new TransportError('append failed', { path: '/log' }, { cause }),
  PMA_ERR_TOPIC: (cause) => new TopicError('no such topic', { topic: 't' }, { cause }),
  PMA_ERR_STALE_TOPIC: (cause) => new StaleTopicError(7, { cause }),
  PMA_ERR_CONSUMER_STATE: (cause) => new ConsumerStateError('closed', {}, { cause }),
  PMA_ERR_SCHEMA_VALIDATION: (cause) => new SchemaValidationError('bad version', { version: 0 }, { errorCode: 42202, cause }),
  PMA_ERR_SCHEMA_COMPATIBILITY: (cause) => new SchemaCompatibilityError('refused', { subject: 's' }, { errorCode: 409, cause }),
  PMA_ERR_SCHEMA_NOT_FOUND: (cause) => new SchemaNotFoundError('no subject', { subject: 's' }, { errorCode: 40401, cause }),
  PMA_ERR_REGISTRY: (cause) => new RegistryError('HTTP 500', { status: 500 }, { cause }),
  PMA_ERR_DECODE: (cause) => new DecodeError('truncated', 'body ends early', { offset: 3 }, { cause }),
  PMA_ERR_HTTP: (cause) => new HttpError('gave up', { endpoint: 'data:/trades' }, { status: 503, retryable: true, exhausted: true, cause }),
  PMA_ERR_RESPONSE_SHAPE: (cause) => new ResponseShapeError('bad-shape', 'wrong shape', { field: 'price' }, { status: 200, cause }),
  PMA_ERR_NORMALISE: (cause) => new NormaliseError('price out of range', { field: 'p', value: 2 }, { cause }),
  PMA_ERR_SINK: (cause) => new SinkError('cannot write', { path: '/f' }, { cause }),
  PMA_ERR_LLM: (cause) => new LlmError('http-status', 'HTTP 500', { model: 'm' }, { status: 500, cause }),
  PMA_ERR_QUERY: (cause) => new QueryError('not read-only', { sql: 'DROP x' }, { cause }),
  PMA_ERR_ABORTED: (cause) => new AbortedError('stopping', {}, { cause }),
  PMA_ERR_BENCH: (cause) => new BenchError('ended early', {}, { cause }),
  PMA_ERR_TAGGER_INPUT: (cause) => new TaggerInputError('no such tag', { tag: 3 }, { status: 404, cause }),
};

const CODES = Object.keys(SAMPLES) as PmaErrorCode[];

/** The rows of README's error table: code, class, meaning, retry. */
function readmeTable(): Array<{ code: string; className: string; meaning: string; retry: string | undefined }> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Errors\n'));
  const body = section.slice(0, section.indexOf('\n## ', 1));
  return body
    .split('\n')
    .filter((line) => line.startsWith('| `PMA_ERR_'))
    .map((line) => {
      const [code, className, meaning, retry] = line.slice(2, -2).split(' | ');
      return { code: code!.replaceAll('`', ''), className: className!.replaceAll('`', ''), meaning: meaning!, retry: retry === '—' ? undefined : retry };
    });
}

describe('runtime/errors', () => {
  describe('the catalogue', () => {
    it('lists every code with the class that raises it, one class per code', () => {
      expect(Object.keys(ERROR_CATALOGUE).sort()).to.deep.equal([...CODES].sort());
      for (const code of CODES) {
        const err = SAMPLES[code](undefined);
        expect(err, code).to.be.instanceOf(ERROR_CATALOGUE[code].class);
        expect(err.code).to.equal(code);
        expect(err.name).to.equal(ERROR_CATALOGUE[code].class.name);
      }
      const classes = Object.values(ERROR_CATALOGUE).map((e) => e.class);
      expect(new Set(classes).size).to.equal(classes.length);
    });

    it('equals the table in README both ways: codes, classes, meanings and retry notes', () => {
      const readme = readmeTable();
      const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, e]) => ({
        code,
        className: e.class.name,
        meaning: e.meaning,
        retry: 'retry' in e ? e.retry : undefined,
      }));
      expect(readme.map((r) => r.code)).to.have.members(catalogue.map((c) => c.code));
      expect(readme).to.deep.equal(catalogue);
    });

    it('gives every class its cause', () => {
      for (const code of CODES) {
        const cause = new Error('underneath');
        expect(SAMPLES[code](cause).cause, code).to.equal(cause);
      }
    });
  });

  describe('typed fields', () => {
    it('keeps what callers branch on out of the context bag, and shows it in JSON and one-line descriptions', () => {
      const err = new HttpError('HTTP 429', { endpoint: 'clob:/book' }, { status: 429, retryable: true });
      expect(err).to.include({ status: 429, retryable: true, exhausted: false });
      expect(err.context).to.deep.equal({ endpoint: 'clob:/book' });
      expect(err.toJSON()).to.include({ code: 'PMA_ERR_HTTP', status: 429, retryable: true, exhausted: false });
      expect(describeError(err)).to.equal('PMA_ERR_HTTP: HTTP 429 (status=429 retryable=true exhausted=false endpoint=clob:/book)');
      expect(new TaggerInputError('bad name').status).to.equal(400);
    });
  });

  describe('serializeError and rebuildError', () => {
    it('bring every catalogue error back as its class, with code, message, context, typed fields and cause chain', () => {
      for (const code of CODES) {
        const root = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
        const original = SAMPLES[code](new TopicError('inner', { topic: 'x' }, { cause: root }));
        // What crosses a thread is structured-cloned; what crosses HTTP is JSON text.
        const rebuilt = rebuildError(JSON.parse(JSON.stringify(serializeError(original)))) as PmaError;
        expect(rebuilt, code).to.be.instanceOf(ERROR_CATALOGUE[code].class);
        expect(rebuilt).to.be.instanceOf(PmaError);
        expect(rebuilt).to.include({ code, name: original.name, message: original.message });
        expect(rebuilt.context).to.deep.equal(original.context);
        expect(rebuilt.fields()).to.deep.equal(original.fields());
        const inner = rebuilt.cause as TopicError;
        expect(inner).to.be.instanceOf(TopicError);
        expect(inner.context).to.deep.equal({ topic: 'x' });
        const foreign = inner.cause as NodeJS.ErrnoException;
        expect(foreign).to.be.instanceOf(Error);
        expect(foreign).to.include({ name: 'Error', message: 'ENOENT: no such file', code: 'ENOENT' });
        expect(foreign.cause).to.equal(undefined);
      }
    });

    it('keeps the remote stack and appends where the error was rebuilt', () => {
      const original = new SinkError('cannot write', { path: '/f' });
      const rebuilt = rebuildError(serializeError(original));
      const [remote, local] = rebuilt.stack!.split('\n    --- rebuilt ---\n');
      expect(remote).to.equal(original.stack);
      expect(local).to.match(/^ {4}at /);
    });

    it('rebuilds an unknown code as a plain Error keeping its name and code, and any non-object as its text', () => {
      const err = rebuildError({ name: 'FutureError', code: 'PMA_ERR_FROM_THE_FUTURE', message: 'newer peer' });
      expect(err.constructor).to.equal(Error);
      expect(err).to.include({ name: 'FutureError', message: 'newer peer', code: 'PMA_ERR_FROM_THE_FUTURE' });
      expect(rebuildError('just text').message).to.equal('just text');
    });

    it('keeps a body from swapping the prototype of what it rebuilds', () => {
      const rebuilt = rebuildError(JSON.parse('{"name":"SinkError","code":"PMA_ERR_SINK","message":"m","__proto__":{"polluted":true}}'));
      expect(rebuilt).to.be.instanceOf(SinkError);
      expect(rebuilt).not.to.have.property('polluted');
    });

    it('serialises thrown non-errors, bigints and buffers in context, and stops at a cause cycle', () => {
      expect(serializeError('boom')).to.deep.equal({ name: 'Error', message: 'boom' });
      const err = new SinkError('x', { offset: 12n as unknown as number, body: Buffer.alloc(3) });
      expect(serializeError(err).context).to.deep.equal({ offset: '12', body: '<3 bytes>' });
      const a = new Error('a');
      const b = new Error('b', { cause: a });
      Object.assign(a, { cause: b });
      const json = serializeError(a);
      expect(json.cause?.message).to.equal('b');
      expect(json.cause?.cause).to.equal(undefined);
    });
  });
});

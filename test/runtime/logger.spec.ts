import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { HttpError, TopicError } from '../../runtime/errors.ts';
import { createLogger } from '../../runtime/logger.ts';

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('runtime/logger', () => {
  it('writes JSON lines with stable keys, bindings and structured errors', async () => {
    const out = capture();
    const log = createLogger({ format: 'json', level: 'info', stream: out.stream }).child({ component: 'ingest' });
    log.debug('hidden');
    log.warn('page failed', { endpoint: '/trades', err: new TopicError('no such topic', { topic: 't1' }) });
    await new Promise((r) => setImmediate(r));
    const lines = out.lines().map((l) => JSON.parse(l));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ level: 40, msg: 'page failed', component: 'ingest', endpoint: '/trades' });
    expect(lines[0].err).to.include({ name: 'TopicError', code: 'PMA_ERR_TOPIC', message: 'no such topic' });
    expect(lines[0].err.context).to.deep.equal({ topic: 't1' });
    expect(lines[0].time).to.be.a('number');
  });

  it('logs an error whole in JSON: typed fields, context, stack and the cause chain', async () => {
    const out = capture();
    const log = createLogger({ format: 'json', level: 'info', stream: out.stream });
    const root = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const err = new HttpError('gave up after 3 tries', { endpoint: 'data:/trades' }, { retryable: true, exhausted: true, cause: new TopicError('inner', {}, { cause: root }) });
    log.error('request failed', { err });
    await new Promise((r) => setImmediate(r));
    const logged = JSON.parse(out.lines()[0]!).err;
    expect(logged).to.include({ code: 'PMA_ERR_HTTP', message: 'gave up after 3 tries', retryable: true, exhausted: true });
    expect(logged.context).to.deep.equal({ endpoint: 'data:/trades' });
    expect(logged.stack).to.equal(err.stack);
    expect(logged.cause).to.include({ name: 'TopicError', code: 'PMA_ERR_TOPIC', message: 'inner' });
    expect(logged.cause.cause).to.include({ name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    expect(logged.cause.cause.stack).to.equal(root.stack);
  });

  it('prints the stacks of an error and its causes under the line in text format', async () => {
    const out = capture();
    const log = createLogger({ format: 'text', level: 'info', stream: out.stream });
    log.warn('topic lookup failed', { err: new TopicError('no such topic', { topic: 't1' }, { cause: new Error('metadata timeout') }) });
    await new Promise((r) => setImmediate(r));
    const [line, head, ...rest] = out.lines();
    expect(line).to.match(/ WARN {2}topic lookup failed err="PMA_ERR_TOPIC: no such topic \(topic=t1\)"$/);
    expect(head).to.equal('    TopicError: no such topic');
    expect(rest[0]).to.match(/^ {6}at /);
    expect(rest).to.include('    caused by: Error: metadata timeout');
  });

  it('writes one readable line per event in text format, honouring the level', async () => {
    const out = capture();
    const log = createLogger({ format: 'text', level: 'warn', stream: out.stream }).child({ component: 'sink' });
    log.info('hidden');
    log.error('write failed', { path: '/tmp/a b', rows: 3 });
    await new Promise((r) => setImmediate(r));
    expect(out.lines()).to.have.length(1);
    expect(out.lines()[0]).to.match(/^\d\d:\d\d:\d\d\.\d{3} ERROR \[sink\] write failed path="\/tmp\/a b" rows=3$/);
  });
});

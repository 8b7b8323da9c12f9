import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { TopicError } from '../../runtime/errors.ts';
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

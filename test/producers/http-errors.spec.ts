import { expect } from 'chai';
import { z } from 'zod';
import { refusal } from '../../producers/fetchers/units.ts';
import { ApiCaller } from '../../producers/http/caller.ts';
import { HttpClient } from '../../producers/http/client.ts';
import { RateLimiter } from '../../producers/limits/rate-limiter.ts';
import { HttpError } from '../../runtime/errors.ts';
import { json, type TinyServer, tinyServer } from './helpers/tiny-server.ts';

const rows = z.array(z.looseObject({ id: z.number() }));

describe('producers/http: the typed fields of HttpError', () => {
  let server: TinyServer;
  let client: HttpClient;

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  function call(): Promise<unknown> {
    client = new HttpClient({ baseUrls: { gamma: `${server.base}/gamma`, data: `${server.base}/data`, clob: `${server.base}/clob` } });
    const caller = new ApiCaller({
      client,
      limiter: new RateLimiter({ profile: 'off' }),
      retry: { attempts: 3, baseMs: 1, maxMs: 2 },
      stopSignal: new AbortController().signal,
    });
    return caller.call({ api: 'data', endpoint: '/trades' }, rows).catch((e: unknown) => e);
  }

  it('does not retry what the client marks not retryable: a body in an encoding it cannot undo', async () => {
    server = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'compress' });
      res.end('[]');
    });
    const err = await call();
    expect(err).to.be.instanceOf(HttpError);
    expect(err).to.include({ status: 200, retryable: false, exhausted: false });
    expect((err as HttpError).context).to.include({ endpoint: 'data:/trades', encoding: 'compress' });
    expect(server.seen).to.have.length(1);
  });

  it('gives up on malformed bodies with the status they came with: the server did answer', async () => {
    server = await tinyServer((_req, res) => json(res, 200, { not: 'an array' }));
    const err = await call();
    expect(err).to.include({ status: 200, retryable: true, exhausted: true });
    expect(refusal(err)).to.equal(undefined);
  });

  it('lets a fetcher read a refusal from the typed status, and never from an exhausted error', async () => {
    const refused = new HttpError('HTTP 400: offset too large', {}, { status: 400, retryable: false });
    expect(refusal(refused)).to.deep.equal({ status: 400, message: 'HTTP 400: offset too large' });
    expect(refusal(new HttpError('gave up', {}, { status: 404, retryable: true, exhausted: true }))).to.equal(undefined);
  });
});

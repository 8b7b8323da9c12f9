import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { z } from 'zod';
import { encodeQuery } from '../../producers/http/apis.ts';
import { ApiCaller, type MalformedBody } from '../../producers/http/caller.ts';
import { HttpClient } from '../../producers/http/client.ts';
import { RateLimiter } from '../../producers/limits/rate-limiter.ts';
import { AbortedError, HttpError } from '../../runtime/errors.ts';
import { json, type TinyServer, tinyServer } from './helpers/tiny-server.ts';

const rows = z.array(z.looseObject({ id: z.number() }));

describe('producers/http', () => {
  let server: TinyServer | undefined;
  let client: HttpClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  });

  function clientFor(base: string, requestTimeoutMs = 5_000): HttpClient {
    client = new HttpClient({ baseUrls: { gamma: `${base}/gamma`, data: `${base}/data`, clob: `${base}/clob` }, requestTimeoutMs });
    return client;
  }

  function caller(c: HttpClient, extra: Partial<ConstructorParameters<typeof ApiCaller>[0]> = {}): ApiCaller {
    return new ApiCaller({
      client: c,
      limiter: new RateLimiter({ profile: 'off' }),
      retry: { attempts: 4, baseMs: 1, maxMs: 5 },
      stopSignal: new AbortController().signal,
      ...extra,
    });
  }

  it('encodes repeated keys for arrays and leaves out undefined values', () => {
    expect(encodeQuery({ id: ['1', '2'], closed: true, offset: 0, skip: undefined })).to.equal('?id=1&id=2&closed=true&offset=0');
    expect(encodeQuery({})).to.equal('');
  });

  it('sends a descriptive User-Agent, accepts compression and decodes gzip bodies under the API prefix', async () => {
    server = await tinyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify([{ id: 1 }, { id: 2 }])));
    });
    const c = clientFor(server.base);
    const res = await c.send({ api: 'data', endpoint: '/trades', params: { market: '0xabc', limit: 2 } });
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.text)).to.deep.equal([{ id: 1 }, { id: 2 }]);
    const seen = server.seen[0]!;
    expect(seen.url.pathname).to.equal('/data/trades');
    expect(seen.url.searchParams.get('market')).to.equal('0xabc');
    expect(seen.headers['user-agent']).to.match(/PolyMarketAnalytics/);
    expect(seen.headers['accept-encoding']).to.contain('gzip');
  });

  it('turns a hung server into a retryable timeout error', async () => {
    server = await tinyServer(() => {
      /* never answers */
    });
    const c = clientFor(server.base, 150);
    const err = await c.send({ api: 'clob', endpoint: '/markets' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HttpError);
    expect(err).to.include({ reason: 'timeout', retryable: true });
    expect((err as HttpError).context).to.include({ endpoint: 'clob:/markets' });
  });

  it('turns a reset connection into a retryable network error', async () => {
    server = await tinyServer((req) => req.socket.destroy());
    const c = clientFor(server.base);
    const err = await c.send({ api: 'clob', endpoint: '/markets' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HttpError);
    expect(err).to.include({ reason: 'network', retryable: true });
  });

  it('retries 5xx and resets, then returns the parsed body', async () => {
    let n = 0;
    server = await tinyServer((req, res) => {
      n++;
      if (n === 1) return json(res, 503, { error: 'busy' });
      if (n === 2) return req.socket.destroy();
      json(res, 200, [{ id: 7 }]);
    });
    const result = await caller(clientFor(server.base)).call({ api: 'data', endpoint: '/trades' }, rows);
    expect(result.value).to.deep.equal([{ id: 7 }]);
    expect(result.attempts).to.equal(3);
  });

  it('honours Retry-After on 429 and slows the shared bucket', async () => {
    server = await tinyServer((_req, res) => {
      if (server!.seen.length === 1) {
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1' });
        return res.end('error code: 1015');
      }
      json(res, 200, [{ id: 1 }]);
    });
    const limiter = new RateLimiter({ profile: 'current' });
    const c = caller(clientFor(server.base), { limiter });
    const before = limiter.bucketsFor('data', '/trades')[0]!.rate;
    await c.call({ api: 'data', endpoint: '/trades' }, rows);
    const [first, second] = server.seen;
    expect(second!.at - first!.at).to.be.at.least(990);
    expect(limiter.bucketsFor('data', '/trades')[0]!.rate).to.be.below(before);
  });

  it('hands every malformed body to onMalformed with the raw text, then retries', async () => {
    const bodies = ['{"truncated": [', JSON.stringify({ not: 'an array' }), JSON.stringify([{ id: 3 }])];
    server = await tinyServer((_req, res) => json(res, 200, bodies[server!.seen.length - 1]!));
    const got: MalformedBody[] = [];
    const result = await caller(clientFor(server.base), { onMalformed: async (m) => void got.push(m) }).call({ api: 'data', endpoint: '/trades', params: { market: 'm' } }, rows);
    expect(result.value).to.deep.equal([{ id: 3 }]);
    expect(got.map((m) => m.error.reason)).to.deep.equal(['not-json', 'bad-shape']);
    expect(got.map((m) => m.response.text)).to.deep.equal(bodies.slice(0, 2));
    expect(got[1]!.error.context).to.include({ endpoint: 'data:/trades', params: '{"market":"m"}' });
  });

  it('throws a 4xx other than 429 at once, with status and message, for the fetcher to read', async () => {
    server = await tinyServer((_req, res) => json(res, 400, { error: 'max historical trades offset of 3000 exceeded' }));
    const err = await caller(clientFor(server.base))
      .call({ api: 'data', endpoint: '/trades' }, rows)
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HttpError);
    expect(err).to.include({ status: 400, retryable: false });
    expect((err as HttpError).message).to.contain('offset of 3000');
    expect(server.seen).to.have.length(1);
  });

  it('gives up after the configured tries with an exhausted error naming endpoint and params', async () => {
    server = await tinyServer((_req, res) => json(res, 500, { error: 'cannot get the information' }));
    const err = await caller(clientFor(server.base))
      .call({ api: 'gamma', endpoint: '/markets', params: { offset: 100 } }, rows)
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(HttpError);
    expect(err).to.include({ exhausted: true });
    expect((err as HttpError).context).to.include({ attempts: 4, endpoint: 'gamma:/markets', params: '{"offset":100}' });
    expect(server.seen).to.have.length(4);
  });

  it('starts no new request and abandons retries once stopping', async () => {
    server = await tinyServer((_req, res) => json(res, 503, { error: 'busy' }));
    const stop = new AbortController();
    const c = caller(clientFor(server.base), { stopSignal: stop.signal, retry: { attempts: 5, baseMs: 10_000, maxMs: 10_000 }, random: () => 1 });
    const pending = c.call({ api: 'data', endpoint: '/trades' }, rows).catch((e: unknown) => e);
    while (server.seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    expect(await pending).to.be.instanceOf(AbortedError);
    expect(server.seen).to.have.length(1);
    expect(await c.call({ api: 'data', endpoint: '/trades' }, rows).catch((e: unknown) => e)).to.be.instanceOf(AbortedError);
  });
});

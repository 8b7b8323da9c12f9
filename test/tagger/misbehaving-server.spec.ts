/**
 * The tagger against model servers that misbehave on purpose (real HTTP servers, the real
 * tagger): 503 on every chat while healthy on /api/tags, replies of hundreds of megabytes,
 * streams that fall silent, a model that is not installed. What is checked is what the server
 * saw (requests per second, bytes it could send) and what the store and pages say.
 */
import { expect } from 'chai';
import { LlmError } from '../../runtime/errors.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { OllamaClient } from '../../tagger/ollama/client.ts';
import { type FakeOllama, startFakeOllama } from '../../tagger/ollama/fake-server.ts';
import { TaggerService } from '../../tagger/service.ts';
import { startWebServer, type WebServer } from '../../tagger/web/server.ts';
import { until } from '../until.ts';
import { type Harness, market, openHarness } from './harness.ts';
import { pour, type Rogue, startRogue } from './rogue-ollama.ts';

const FORMAT = { type: 'object' };
const HUGE = 200 * 1024 * 1024;
/** The tagger's reply cap (tagger/ollama/body.ts), spelled out so this spec also runs against code without that module. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;
/** What may be in flight past the cap when the reader stops: socket buffers on both sides. */
const SLACK = 8 * 1024 * 1024;

async function rejection(p: Promise<unknown>): Promise<LlmError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof LlmError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

function chatLine(content: string, done: boolean): string {
  return `${JSON.stringify({ model: 'm', message: { role: 'assistant', content }, done, ...(done ? { done_reason: 'stop' } : {}) })}\n`;
}

async function publish(h: Harness, list: ReturnType<typeof market>[]): Promise<void> {
  const producer = h.transport.producer();
  await producer.send(
    TOPICS.markets.name,
    list.map((m) => ({ key: Buffer.from(m.condition_id), value: h.codecs.markets.encode(m) })),
  );
  await producer.close();
}

/** The most requests in any one-second window. */
function peakPerSecond(times: readonly number[]): number {
  let peak = 0;
  for (let i = 0; i < times.length; i++) {
    let n = 0;
    for (let j = i; j < times.length && times[j]! - times[i]! < 1_000; j++) n++;
    peak = Math.max(peak, n);
  }
  return peak;
}

describe('tagger: a model server that misbehaves', function () {
  this.timeout(60_000);
  let rogue: Rogue | undefined;
  afterEach(async () => {
    await rogue?.close();
    rogue = undefined;
  });

  describe('replies past the 4 MB cap', () => {
    let closed: boolean;
    beforeEach(() => {
      closed = false;
    });

    const cases: Array<{ name: string; stream: boolean; write: (res: import('node:http').ServerResponse, sent: { bytes: number }) => Promise<void> }> = [
      { name: 'a single JSON reply with no length', stream: false, write: (res, sent) => pour(res.writeHead(200, { 'content-type': 'application/json' }), sent, Buffer.alloc(64 * 1024, 'a'), HUGE) },
      {
        name: 'an NDJSON stream that never ends',
        stream: true,
        write: (res, sent) => pour(res.writeHead(200, { 'content-type': 'application/x-ndjson' }), sent, Buffer.from(chatLine('x'.repeat(4000), false).repeat(16)), HUGE),
      },
      { name: 'an error page', stream: false, write: (res, sent) => pour(res.writeHead(500, { 'content-type': 'text/plain' }), sent, Buffer.alloc(64 * 1024, 'e'), HUGE) },
      {
        name: 'a reply declaring 400 MB',
        stream: false,
        write: (res, sent) => pour(res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(400 * 1024 * 1024) }), sent, Buffer.alloc(64 * 1024, 'a'), HUGE),
      },
    ];
    for (const c of cases) {
      it(`stops reading ${c.name} once the cap is passed and drops the connection`, async () => {
        rogue = await startRogue(['m'], (_req, res, sent) => {
          res.on('close', () => {
            closed = true;
          });
          return c.write(res, sent);
        });
        const client = new OllamaClient({ baseUrl: rogue.url, timeoutMs: 30_000 });
        const err = await rejection(client.chat({ model: 'm', messages: [], format: FORMAT }, { stream: c.stream }));
        expect(err.reason).to.be.oneOf(['bad-response', 'http-status']);
        await until(() => closed, 'the server to see its connection dropped');
        expect(rogue.sent.bytes, 'bytes the server could send').to.be.below(MAX_REPLY_BYTES + SLACK);
      });
    }
  });

  describe('the request timeout', () => {
    it('is the longest silence of a stream: a stream that keeps talking past it is read to its end', async () => {
      rogue = await startRogue(['m'], async (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        const answer = JSON.stringify({ answer: 'yes', confidence: 0.9, reason: 'slow but steady' });
        for (const part of answer.match(/.{1,8}/g)!) {
          res.write(chatLine(part, false));
          await new Promise((r) => setTimeout(r, 60));
        }
        res.end(chatLine('', true));
      });
      const client = new OllamaClient({ baseUrl: rogue.url, timeoutMs: 300 });
      const started = performance.now();
      const reply = await client.chat({ model: 'm', messages: [], format: FORMAT }, { stream: true });
      expect(performance.now() - started).to.be.above(300);
      expect(JSON.parse(reply.content)).to.include({ answer: 'yes' });
    });

    it('ends a silent stream after the setting, not a fixed 30 s, and reports the setting', async () => {
      rogue = await startRogue(['m'], (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.write(chatLine('{"ans', false));
      });
      const client = new OllamaClient({ baseUrl: rogue.url, timeoutMs: 400 });
      const started = performance.now();
      const err = await rejection(client.chat({ model: 'm', messages: [], format: FORMAT }, { stream: true }));
      const elapsed = performance.now() - started;
      expect(err.reason).to.equal('timeout');
      expect(err.message).to.contain('silent for 400 ms');
      expect(err.context.timeoutMs).to.equal(400);
      expect(elapsed).to.be.within(350, 5_000);
    });
  });

  describe('through the tagger', () => {
    let h: Harness;
    let service: TaggerService | undefined;
    let web: WebServer | undefined;
    let fake: FakeOllama | undefined;
    beforeEach(async () => {
      h = await openHarness();
    });
    afterEach(async () => {
      await web?.close();
      await service?.close();
      await fake?.close();
      web = undefined;
      service = undefined;
      fake = undefined;
      await h.close();
    });

    it('answers a server that says 503 to every chat with a few requests, failed votes and a header that says so, never a storm', async () => {
      rogue = await startRogue(['m'], (_req, res) => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'server busy, please try again' }));
      });
      const markets = Array.from({ length: 30 }, (_, i) => market(i + 1, `Will thing ${i + 1} happen?`));
      await publish(h, markets);
      service = await TaggerService.start({
        transport: h.transport,
        serde: h.serde,
        dataDir: h.dir,
        logger: silentLogger,
        overrides: { ollamaUrl: rogue.url, models: ['m'], rule: 'confidence', quorum: 1, threshold: 0.5, concurrency: 4, minExamples: 0 },
      });
      web = await startWebServer({ service, serde: h.serde, logger: silentLogger, port: 0 });
      const s = service;
      const tagId = await s.createTag('Things', 'markets about things', 'tester');
      await until(async () => (await s.store.tag(tagId))!.unsure === markets.length, 'every market decided (as UNSURE, its vote failed)');
      // More markets while the breaker is open: decided without a request.
      const later = Array.from({ length: 10 }, (_, i) => market(100 + i, `Will later thing ${i} happen?`));
      const before = rogue.chatTimes.length;
      await publish(h, later);
      await until(async () => (await s.store.tag(tagId))!.unsure === markets.length + later.length, 'the later markets decided too');
      expect(rogue.chatTimes.length - before, 'requests for the later markets (breaker open)').to.equal(0);

      expect(rogue.chatTimes.length, 'chat requests in all').to.be.at.most(12);
      expect(peakPerSecond(rogue.chatTimes), 'peak requests per second').to.be.at.most(10);
      const rows = await s.store.history({ limit: 100, offset: 0, tagId });
      expect(rows).to.have.length(markets.length + later.length);
      for (const row of rows) {
        expect(row.decision).to.equal('UNSURE');
        expect(row.votes).to.have.length(1);
        expect(row.votes[0]!.answer).to.equal(null);
        expect(row.votes[0]!.error).to.match(/503|failing/);
      }
      // The server answered all along: it was never taken for down (no flapping availability).
      expect(s.classifier.ollama).to.include({ up: true, downSince: null });
      const page = await (await fetch(`${web.url}/tags`)).text();
      expect(page).to.match(/class="ollama down"[^>]*>Models failing: m</);
    });

    it('notices a model removed while running from the first vote it fails, and holds classification', async () => {
      const installed = ['a'];
      fake = await startFakeOllama({ models: installed, reply: () => ({ answer: 'yes', confidence: 0.9 }) });
      service = await TaggerService.start({
        transport: h.transport,
        serde: h.serde,
        dataDir: h.dir,
        logger: silentLogger,
        overrides: { ollamaUrl: fake.url, models: ['a'], rule: 'confidence', quorum: 1, minExamples: 0 },
      });
      const s = service;
      const tagId = await s.createTag('Things', '', 'tester');
      await publish(h, [market(1, 'Will it rain?')]);
      await until(async () => (await s.store.tag(tagId))!.yes === 1, 'the first market decided');
      installed.splice(0); // `ollama rm a`: the list and the chat endpoint both lose it
      await publish(
        h,
        Array.from({ length: 20 }, (_, i) => market(10 + i, `Will it hail on day ${i}?`)),
      );
      await until(() => s.modelCheck.status.missing.includes('a'), 'the model check to see the model gone (kicked by the failed vote)', 10_000);
      expect(s.classifier.blocked).to.equal(true);
      expect(s.classifier.models).to.deep.equal([{ model: 'a', state: 'missing', detail: 'not installed on the Ollama server' }]);
      // Only the pairs already out when the model went were asked (and failed); the rest wait.
      const asked = fake.requests.length;
      expect(asked).to.be.below(1 + 20);
    });

    it('holds classification while a configured model is not installed, says so on every page, and refuses it in Settings', async () => {
      fake = await startFakeOllama({ models: ['a'], reply: () => ({ answer: 'yes', confidence: 0.9 }) });
      service = await TaggerService.start({
        transport: h.transport,
        serde: h.serde,
        dataDir: h.dir,
        logger: silentLogger,
        overrides: { ollamaUrl: fake.url, models: ['a', 'ghost'], rule: 'majority', quorum: 2, minExamples: 0 },
      });
      web = await startWebServer({ service, serde: h.serde, logger: silentLogger, port: 0 });
      const s = service;
      expect(s.modelCheck.status.missing).to.deep.equal(['ghost']);
      const tagId = await s.createTag('Things', '', 'tester');
      await publish(h, [market(1, 'Will it rain?'), market(2, 'Will it snow?')]);
      await until(() => s.feed.stats.consumed === 2, 'the markets to reach the catalogue');
      for (const path of ['/tags', '/judge', '/settings', '/pipeline']) {
        const body = await (await fetch(`${web.url}${path}`)).text();
        expect(body, path).to.match(/class="ollama down"[^>]*>Models not installed: ghost \(classification waits\)</);
      }
      expect(fake.requests, 'chat requests while a model is missing').to.have.length(0);
      expect((await s.store.tag(tagId))!.unsure + (await s.store.tag(tagId))!.yes).to.equal(0);

      let refused: unknown;
      await s.saveSettings({ ...s.settings, models: ['a', 'phantom'] }, 'tester').catch((err) => {
        refused = err;
      });
      expect(String(refused)).to.contain('not installed').and.to.contain('phantom');
      expect(s.settings.models).to.deep.equal(['a', 'ghost']);

      await s.saveSettings({ ...s.settings, models: ['a'], rule: 'confidence', quorum: 1 }, 'tester');
      await until(async () => (await s.store.tag(tagId))!.yes === 2, 'classification to resume with the installed model');
      const body = await (await fetch(`${web.url}/tags`)).text();
      expect(body).to.match(/class="ollama up"[^>]*>Ollama: a</);
    });
  });
});

import { expect } from 'chai';
import { AbortedError, LlmError } from '../../runtime/errors.ts';
import { OllamaClient } from '../../tagger/ollama/client.ts';
import { type FakeOllama, type FakeReply, startFakeOllama } from '../../tagger/ollama/fake-server.ts';

const FORMAT = { type: 'object' };

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('tagger/ollama/client', () => {
  let fake: FakeOllama;
  let next: FakeReply;

  beforeEach(async () => {
    next = { answer: 'yes', confidence: 0.75, reason: 'because' };
    fake = await startFakeOllama({ models: ['alpha', 'beta:7b'], reply: () => next });
  });
  afterEach(() => fake.close());

  it('lists the server models from /api/tags', async () => {
    const models = await new OllamaClient({ baseUrl: `${fake.url}/` }).listModels();
    expect(models.map((m) => m.name)).to.deep.equal(['alpha', 'beta:7b']);
    expect(models[0]!.parameterSize).to.equal('3B');
  });

  for (const stream of [false, true]) {
    it(`sends model, messages, format and stream=${stream} to /api/chat and assembles the content`, async () => {
      const client = new OllamaClient({ baseUrl: fake.url });
      const reply = await client.chat({ model: 'alpha', messages: [{ role: 'user', content: 'hi' }], format: FORMAT }, { stream });
      expect(JSON.parse(reply.content)).to.deep.equal({ answer: 'yes', confidence: 0.75, reason: 'because' });
      expect(reply.doneReason).to.equal('stop');
      expect(fake.requests).to.have.length(1);
      expect(fake.requests[0]!.stream).to.equal(stream);
      expect(fake.requests[0]!.format).to.deep.equal(FORMAT);
    });
  }

  it('reports a model the server does not have as model-not-found', async () => {
    const err = await rejection(new OllamaClient({ baseUrl: fake.url }).chat({ model: 'gamma', messages: [], format: FORMAT }));
    expect(err).to.be.instanceOf(LlmError);
    expect((err as LlmError).reason).to.equal('model-not-found');
  });

  it('reports HTTP 500 and 503 as http-status with the server message (a server that answers is not unavailable)', async () => {
    next = { status: 500, error: 'runner crashed' };
    const err = (await rejection(new OllamaClient({ baseUrl: fake.url }).chat({ model: 'alpha', messages: [], format: FORMAT }))) as LlmError;
    expect(err.reason).to.equal('http-status');
    expect(err.message).to.contain('runner crashed');
    expect(err.status).to.equal(500);
    next = { status: 503, error: 'server busy' };
    const busy = (await rejection(new OllamaClient({ baseUrl: fake.url }).chat({ model: 'alpha', messages: [], format: FORMAT }))) as LlmError;
    expect(busy.reason).to.equal('http-status');
    expect(busy.status).to.equal(503);
  });

  it('times out a reply that never comes', async () => {
    next = { hang: true };
    const client = new OllamaClient({ baseUrl: fake.url, timeoutMs: 150 });
    const err = (await rejection(client.chat({ model: 'alpha', messages: [], format: FORMAT }))) as LlmError;
    expect(err.reason).to.equal('timeout');
  });

  it('reports a server that does not listen as unavailable', async () => {
    await fake.pause();
    const err = (await rejection(new OllamaClient({ baseUrl: fake.url }).listModels())) as LlmError;
    expect(err.reason).to.equal('unavailable');
  });

  it('turns the caller abort into AbortedError, not a timeout', async () => {
    next = { hang: true };
    const controller = new AbortController();
    const pending = new OllamaClient({ baseUrl: fake.url }).chat({ model: 'alpha', messages: [], format: FORMAT }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await rejection(pending)).to.be.instanceOf(AbortedError);
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => new OllamaClient({ baseUrl: 'file:///etc/passwd' })).to.throw(LlmError, /http/);
  });
});

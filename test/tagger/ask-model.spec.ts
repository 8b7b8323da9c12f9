import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { type AskPolicy, askModel, type ModelCaller } from '../../tagger/classify/ask-model.ts';
import { buildMessages } from '../../tagger/classify/prompt.ts';
import { AvailabilityGate } from '../../tagger/ollama/availability.ts';
import { Breakers } from '../../tagger/ollama/breaker.ts';
import { OllamaClient } from '../../tagger/ollama/client.ts';
import { type FakeOllama, type FakeReply, startFakeOllama } from '../../tagger/ollama/fake-server.ts';
import { Limiter } from '../../tagger/ollama/limiter.ts';
import { startRogue } from './rogue-ollama.ts';

const POLICY: AskPolicy = { maxAttempts: 3, backoffBaseMs: 5, backoffMaxMs: 20, stream: false };
const MESSAGES = buildMessages({ name: 'Crypto', description: 'about crypto assets', positives: [], negatives: [] }, { question: 'Will BTC hit 100k?', description: null });

function callerFor(fake: FakeOllama, policy: Partial<AskPolicy> = {}, timeoutMs = 2_000): ModelCaller {
  const client = new OllamaClient({ baseUrl: fake.url, timeoutMs });
  return {
    client,
    limiter: new Limiter(4),
    gate: new AvailabilityGate({ probe: (s) => client.listModels(s), logger: silentLogger, baseMs: 20, maxMs: 50 }),
    breakers: new Breakers(),
    policy: { ...POLICY, ...policy },
  };
}

describe('tagger/classify/ask-model', () => {
  let fake: FakeOllama;
  let script: FakeReply[];
  const signal = new AbortController().signal;

  beforeEach(async () => {
    script = [];
    fake = await startFakeOllama({ models: ['m1'], reply: () => script.shift() ?? { answer: 'no', confidence: 0.6, reason: 'default' } });
  });
  afterEach(() => fake.close());

  it('returns a checked vote from a structured answer, streamed or not', async () => {
    for (const stream of [false, true]) {
      script = [{ answer: 'yes', confidence: 0.8, reason: 'mentions BTC' }];
      const vote = await askModel(callerFor(fake, { stream }), 'm1', MESSAGES, signal);
      expect(vote).to.include({ model: 'm1', answer: 'yes', confidence: 0.8, reason: 'mentions BTC', error: null, attempts: 1 });
    }
  });

  it('retries an answer that is not JSON, then believes a valid one', async () => {
    script = [{ content: 'Sure! The answer is YES.' }, { answer: 'no', confidence: 0.9, reason: 'not crypto' }];
    const vote = await askModel(callerFor(fake), 'm1', MESSAGES, signal);
    expect(vote).to.include({ answer: 'no', attempts: 2, error: null });
  });

  it('records a failed vote (never a yes or no) after maxAttempts answers that break the schema', async () => {
    script = [
      { content: '{"answer":"YES","confidence":1,"reason":"x"}' },
      { content: '{"answer":"yes","confidence":7,"reason":"x"}' },
      { content: '{"answer":"yes","confidence":1,"reason":"x","extra":true}' },
      { answer: 'yes' },
    ];
    const vote = await askModel(callerFor(fake), 'm1', MESSAGES, signal);
    expect(vote.answer).to.equal(null);
    expect(vote.attempts).to.equal(3);
    expect(vote.error).to.match(/PMA_ERR_LLM: answer breaks the schema/);
    expect(fake.requests).to.have.length(3);
  });

  it('retries a timeout a bounded number of times', async () => {
    script = [{ hang: true }, { hang: true }];
    const vote = await askModel(callerFor(fake, { maxAttempts: 2 }, 100), 'm1', MESSAGES, signal);
    expect(vote.answer).to.equal(null);
    expect(vote.error).to.contain('timeout');
    expect(vote.attempts).to.equal(2);
  });

  it('gives a failed vote at once for a model the server does not have', async () => {
    const vote = await askModel(callerFor(fake), 'llama-missing', MESSAGES, signal);
    expect(vote).to.include({ answer: null, attempts: 1 });
    expect(vote.error).to.contain('not installed');
  });

  it('waits while Ollama is down and resumes when it is back, losing no vote and spending no attempt', async () => {
    const caller = callerFor(fake, { maxAttempts: 1 });
    await fake.pause();
    script = [{ answer: 'yes', confidence: 0.7, reason: 'back' }];
    const pending = Promise.all([askModel(caller, 'm1', MESSAGES, signal), askModel(caller, 'm1', MESSAGES, signal)]);
    // Resume only once the asks have met the outage, or nothing here waited for Ollama.
    const deadline = Date.now() + 5_000;
    while (caller.gate.status.up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(caller.gate.status.up).to.equal(false);
    await fake.resume();
    const votes = await pending;
    expect(votes.map((v) => v.answer).sort()).to.deep.equal(['no', 'yes']);
    expect(votes.every((v) => v.attempts === 1 && v.error === null)).to.equal(true);
    expect(caller.gate.status.up).to.equal(true);
  });

  it('gives up on a chat endpoint that drops every connection while /api/tags answers, after a bounded number of waits', async () => {
    const rogue = await startRogue(['m1'], (req) => {
      req.socket.destroy();
    });
    try {
      const client = new OllamaClient({ baseUrl: rogue.url, timeoutMs: 2_000 });
      const caller: ModelCaller = {
        client,
        limiter: new Limiter(1),
        gate: new AvailabilityGate({ probe: (s) => client.listModels(s), logger: silentLogger, baseMs: 5, maxMs: 10 }),
        breakers: new Breakers(),
        policy: { ...POLICY, maxOutages: 3 },
      };
      const vote = await askModel(caller, 'm1', MESSAGES, signal);
      expect(vote.answer).to.equal(null);
      expect(vote.error).to.contain('cannot reach Ollama');
      expect(rogue.chatTimes, 'three waits at the gate, then the failed try').to.have.length(4);
      expect(caller.breakers.status('m1').consecutiveFailures).to.equal(1);
      caller.gate.close();
    } finally {
      await rogue.close();
    }
  });

  it('stops waiting for Ollama when aborted', async () => {
    const caller = callerFor(fake);
    await fake.pause();
    const controller = new AbortController();
    const pending = askModel(caller, 'm1', MESSAGES, controller.signal).then(
      () => 'resolved',
      (err: Error) => err.name,
    );
    setTimeout(() => controller.abort(), 80);
    expect(await pending).to.equal('AbortedError');
    caller.gate.close();
  });
});

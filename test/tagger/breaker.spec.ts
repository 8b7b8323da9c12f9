import { expect } from 'chai';
import { LlmError } from '../../runtime/errors.ts';
import { CircuitBreaker } from '../../tagger/ollama/breaker.ts';

describe('tagger/ollama/breaker', () => {
  let now: number;
  const make = () => new CircuitBreaker({ threshold: 3, cooldownMs: 1_000, maxCooldownMs: 3_000, now: () => now });
  const fail = new LlmError('http-status', 'HTTP 503', {}, { status: 503 });
  beforeEach(() => {
    now = 0;
  });

  it('opens after the threshold of failures in a row, and a success in between starts the count again', () => {
    const b = make();
    b.failed(fail, b.acquire());
    b.failed(fail, b.acquire());
    b.succeeded();
    b.failed(fail, b.acquire());
    b.failed(fail, b.acquire());
    expect(b.acquire()).to.equal('go');
    b.failed(fail, 'go');
    expect(b.status).to.include({ state: 'open', consecutiveFailures: 3, retryAt: 1_000 });
    expect(b.acquire()).to.equal('refused');
  });

  it('lets one probe through after the cooldown; a failed probe doubles the cooldown up to the cap, a good one closes', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.failed(fail, b.acquire());
    now = 999;
    expect(b.acquire()).to.equal('refused');
    now = 1_000;
    expect(b.acquire()).to.equal('probe');
    expect(b.acquire(), 'a second caller while the probe is out').to.equal('refused');
    b.failed(fail, 'probe');
    expect(b.status).to.include({ state: 'open', retryAt: 3_000 });
    now = 3_000;
    b.failed(fail, b.acquire());
    expect(b.status.retryAt, 'capped at maxCooldownMs').to.equal(6_000);
    now = 6_000;
    expect(b.acquire()).to.equal('probe');
    b.succeeded();
    expect(b.status).to.include({ state: 'closed', consecutiveFailures: 0, retryAt: null, lastError: null });
    expect(b.acquire()).to.equal('go');
  });

  it('hands the probe to the next caller when it ends without an answer (aborted)', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.failed(fail, b.acquire());
    now = 1_000;
    const probe = b.acquire();
    expect(probe).to.equal('probe');
    b.released(probe);
    expect(b.acquire()).to.equal('probe');
  });
});

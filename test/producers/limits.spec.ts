import { expect } from 'chai';
import fc from 'fast-check';
import { groupsFor, publishedLimits } from '../../producers/limits/published.ts';
import { RateLimiter } from '../../producers/limits/rate-limiter.ts';
import { backoffMs, parseRetryAfter } from '../../producers/limits/retry.ts';
import { TokenBucket } from '../../producers/limits/token-bucket.ts';
import { AbortedError } from '../../runtime/errors.ts';

describe('producers/limits', () => {
  it('admits a burst of `capacity` at once, then no faster than the rate', async () => {
    const bucket = new TokenBucket({ name: 't', ratePerSec: 200, capacity: 5 });
    const started = performance.now();
    for (let i = 0; i < 5; i++) await bucket.acquire();
    expect(bucket.fill).to.be.below(1);
    for (let i = 0; i < 40; i++) await bucket.acquire();
    const elapsed = performance.now() - started;
    // 40 tokens beyond the burst at 200/s cannot take less than 200 ms, however fast the machine.
    expect(elapsed).to.be.at.least(195);
    expect(bucket.admitted).to.equal(45);
  });

  it('serves waiters in arrival order and drops an aborted waiter', async () => {
    const bucket = new TokenBucket({ name: 't', ratePerSec: 100, capacity: 1 });
    await bucket.acquire();
    const order: number[] = [];
    const ac = new AbortController();
    const a = bucket.acquire().then(() => order.push(1));
    const b = bucket.acquire(ac.signal).then(
      () => order.push(2),
      (e: unknown) => expect(e).to.be.instanceOf(AbortedError),
    );
    const c = bucket.acquire().then(() => order.push(3));
    ac.abort();
    await Promise.all([a, b, c]);
    expect(order).to.deep.equal([1, 3]);
  });

  it('cuts the rate on throttling (once per cool-down), pauses for Retry-After and recovers on success', async () => {
    let now = 0;
    const bucket = new TokenBucket({ name: 't', ratePerSec: 100, capacity: 1, now: () => now });
    bucket.throttled('reject');
    expect(bucket.rate).to.equal(50);
    bucket.throttled('reject');
    expect(bucket.rate).to.equal(50);
    now += 1_500;
    bucket.throttled('delay');
    expect(bucket.rate).to.equal(40);
    for (let i = 0; i < 10_000 && bucket.rate < 100; i++) bucket.succeeded();
    expect(bucket.rate).to.equal(100);

    const real = new TokenBucket({ name: 'r', ratePerSec: 1_000, capacity: 10 });
    real.throttled('reject', 150);
    const t0 = performance.now();
    await real.acquire();
    expect(performance.now() - t0).to.be.at.least(145);
  });

  it('never cuts below its floor', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom<'reject' | 'delay'>('reject', 'delay'), { maxLength: 200 }), (kinds) => {
        let now = 0;
        const b = new TokenBucket({ name: 'p', ratePerSec: 20, capacity: 1, now: () => now });
        for (const k of kinds) {
          now += 2_000;
          b.throttled(k);
        }
        return b.rate >= 20 * 0.05 - 1e-9 && b.rate <= 20;
      }),
    );
  });

  it('sizes buckets so that burst + rate × 10 s stays within each published limit', () => {
    const limiter = new RateLimiter({ profile: 'current' });
    const limits = publishedLimits('current');
    for (const b of limiter.buckets()) {
      const allowed = limits[b.name]!;
      expect(b.capacity + b.ceiling * 10, b.name).to.be.at.most(allowed);
      expect(b.capacity + b.ceiling * 10, b.name).to.be.at.least(allowed * 0.95);
    }
  });

  it('puts a route into its endpoint, API and global groups; "off" removes a group', () => {
    expect(groupsFor('data', '/trades')).to.deep.equal(['data:/trades', 'data', 'global']);
    expect(groupsFor('gamma', '/markets/keyset')).to.deep.equal(['gamma:/markets', 'gamma:listing', 'gamma', 'global']);
    expect(groupsFor('data', '/v1/leaderboard')).to.deep.equal(['data', 'global']);
    const limiter = new RateLimiter({ profile: 'current', overrides: { 'data:/trades': 'off', data: 50 } });
    expect(limiter.bucketsFor('data', '/trades').map((b) => b.name)).to.deep.equal(['data', 'global']);
    expect(limiter.bucketsFor('data', '/trades')[0]!.ceiling).to.be.closeTo((50 * 0.985 - 1) / 10, 1e-9);
    expect(new RateLimiter({ profile: 'off' }).bucketsFor('data', '/trades')).to.deep.equal([]);
  });

  it('backs off with full jitter inside an exponentially growing ceiling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const policy = { attempts: 10, baseMs: 100, maxMs: 5_000 };
        const ms = backoffMs(policy, attempt, () => r);
        return ms >= 0 && ms <= Math.min(5_000, 100 * 2 ** (attempt - 1));
      }),
    );
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).to.equal(3_000);
    expect(parseRetryAfter('0.5')).to.equal(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).to.equal(7_000);
    expect(parseRetryAfter('soon')).to.equal(undefined);
    expect(parseRetryAfter(undefined)).to.equal(undefined);
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { DEFAULT_RESOLUTION, startResolution } from '../../producers/fetchers/prices/resolution.ts';
import { initialPriceState, newPriceKnowledge, type PricePoint, type PriceWindowRequest, type PriceWindowResult, walkPrices } from '../../producers/fetchers/prices/walk.ts';

/** A model of /prices-history: a window cap, points every `fidelity` minutes, a trailing "now" point. */
function model(series: (t: number) => number, capSec: number, now: number, log: PriceWindowRequest[] = []) {
  return async (req: PriceWindowRequest): Promise<PriceWindowResult> => {
    log.push(req);
    if (req.endTs - req.startTs > capSec) return { kind: 'window-refused', message: "invalid filters: 'startTs' and 'endTs' interval is too long" };
    const points: PricePoint[] = [];
    const step = req.fidelity * 60;
    for (let t = Math.ceil(req.startTs / step) * step; t <= req.endTs; t += step) points.push({ t, p: series(t), raw: {} });
    points.push({ t: now, p: series(now), raw: {} });
    return { kind: 'points', points };
  };
}

describe('producers/fetchers/prices', () => {
  it('covers the whole range in non-overlapping windows no longer than the learned cap', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 3_600, max: 2_000_000 }), async (startDay, days, cap) => {
        const start = 1_700_000_000 + startDay * 86_400;
        const end = start + days * 86_400;
        const log: PriceWindowRequest[] = [];
        const k = newPriceKnowledge();
        const policy = { ...DEFAULT_RESOLUTION, mode: 'fixed' as const, fixedFidelity: 60 };
        const ts: number[] = [];
        for await (const step of walkPrices(
          initialPriceState(policy, start, end, undefined),
          model(() => 0.5, cap, end + 999_999, log),
          k,
          policy,
        )) {
          ts.push(...step.points.map((p) => p.t));
        }
        const accepted = log.filter((r) => r.endTs - r.startTs <= cap);
        expect(accepted[0]!.startTs).to.equal(start);
        expect(accepted.at(-1)!.endTs).to.equal(end);
        for (let i = 1; i < accepted.length; i++) expect(accepted[i]!.startTs).to.equal(accepted[i - 1]!.endTs + 1);
        expect(new Set(ts).size).to.equal(ts.length);
        expect(ts.every((t) => t >= start && t <= end)).to.equal(true);
        if (accepted.length < log.length) expect(k.maxWindowSec).to.be.at.most(cap);
      }),
      { numRuns: 60 },
    );
  });

  it('picks hourly for small markets and minutes for large ones, and switches a middle one on a large move', async () => {
    expect(startResolution(DEFAULT_RESOLUTION, 5_000)).to.deep.equal({ tier: 'low', fidelity: 60 });
    expect(startResolution(DEFAULT_RESOLUTION, 500_000)).to.deep.equal({ tier: 'high', fidelity: 1 });
    expect(startResolution(DEFAULT_RESOLUTION, undefined)).to.deep.equal({ tier: 'mid', fidelity: 60 });
    const start = 1_700_000_000;
    const end = start + 40 * 86_400;
    const log: PriceWindowRequest[] = [];
    // Flat for 20 days, then a 20% jump.
    const series = (t: number) => (t < start + 20 * 86_400 ? 0.5 : 0.6);
    const fidelities: number[] = [];
    for await (const step of walkPrices(initialPriceState(DEFAULT_RESOLUTION, start, end, 50_000), model(series, 1_296_000, end, log), newPriceKnowledge(), DEFAULT_RESOLUTION)) {
      fidelities.push(step.request.fidelity);
      expect(step.state.fidelity).to.be.oneOf([1, 60]);
    }
    expect(fidelities[0]).to.equal(60);
    expect(fidelities.at(-1)).to.equal(1);
    // The window where the move showed is read again finely.
    const switchAt = fidelities.indexOf(1);
    expect(log[switchAt]!.startTs).to.equal(log[switchAt - 1]!.startTs);
  });
});

describe('producers/fetchers/prices (fine re-read)', () => {
  it('does not publish a point twice when a window is re-read finely', async () => {
    const start = 1_700_000_000;
    const end = start + 20 * 86_400;
    const series = (t: number) => (t < start + 86_400 ? 0.3 : 0.5);
    const seen: number[] = [];
    for await (const step of walkPrices(initialPriceState(DEFAULT_RESOLUTION, start, end, 50_000), model(series, 1_296_000, end), newPriceKnowledge(), DEFAULT_RESOLUTION)) {
      seen.push(...step.points.map((p) => p.t));
    }
    expect(new Set(seen).size).to.equal(seen.length);
    expect(seen.every((t) => t >= start && t <= end)).to.equal(true);
  });
});

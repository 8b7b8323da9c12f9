import { expect } from 'chai';
import fc from 'fast-check';
import {
  type EndpointKnowledge,
  initialWalkState,
  newKnowledge,
  type TradeGap,
  type TradePageRequest,
  type TradePageResult,
  type TradeRow,
  type TradeWalkState,
  walkTrades,
} from '../../producers/fetchers/trades/walk.ts';

interface ApiModel {
  /** Largest accepted offset. */
  cap: number;
  capMode: 'refuse' | 'repeat' | 'empty';
  clamp: number;
  windows: boolean;
  endExclusive: boolean;
}

/** A model of the /trades paging rules (newest first, offset cap, clamp), just enough to drive the walk. */
function model(rows: TradeRow[], api: ApiModel, log: TradePageRequest[] = []) {
  const sorted = [...rows].sort((a, b) => b.ts - a.ts);
  return async (req: TradePageRequest): Promise<TradePageResult> => {
    log.push(req);
    const inWindow = api.windows ? sorted.filter((r) => r.ts >= req.start && (api.endExclusive ? r.ts < req.end : r.ts <= req.end)) : sorted;
    const size = Math.min(req.limit, api.clamp);
    if (req.offset > api.cap) {
      if (api.capMode === 'refuse') return { kind: 'offset-refused', maxOffset: api.cap, message: `max historical trades offset of ${api.cap} exceeded` };
      if (api.capMode === 'empty') return { kind: 'rows', rows: [] };
      const last = Math.floor(api.cap / size) * size;
      return { kind: 'rows', rows: inWindow.slice(last, last + size) };
    }
    return { kind: 'rows', rows: inWindow.slice(req.offset, req.offset + size) };
  };
}

async function run(initial: TradeWalkState, fetch: ReturnType<typeof model>, k: EndpointKnowledge, limit: number) {
  const published: TradeRow[] = [];
  const gaps: TradeGap[] = [];
  let last = initial;
  let steps = 0;
  for await (const step of walkTrades(initial, fetch, k, limit)) {
    published.push(...step.rows);
    if (step.gap) gaps.push(step.gap);
    last = step.state;
    if (++steps > 10_000) throw new Error('walk does not end');
  }
  return { published, gaps, last };
}

const tradesArb = fc.array(fc.integer({ min: 1_000, max: 1_400 }), { maxLength: 400 }).map((times) => times.map((ts, i): TradeRow => ({ key: `k${i}`, ts, raw: {} })));

const apiArb = fc.record({
  cap: fc.integer({ min: 10, max: 80 }),
  capMode: fc.constantFrom<ApiModel['capMode']>('refuse', 'repeat', 'empty'),
  clamp: fc.integer({ min: 5, max: 60 }),
  windows: fc.constant(true),
  endExclusive: fc.boolean(),
});

describe('producers/fetchers/trades/walk', () => {
  it('reads every row exactly once past any offset cap when windows are honoured', async () => {
    await fc.assert(
      fc.asyncProperty(tradesArb, apiArb, fc.integer({ min: 5, max: 100 }), async (rows, api, limit) => {
        // One second holding more rows than one walk can reach is a reported gap, tested below.
        const perSecond = new Map<number, number>();
        for (const r of rows) perSecond.set(r.ts, (perSecond.get(r.ts) ?? 0) + 1);
        fc.pre([...perSecond.values()].every((n) => n <= api.cap));
        const { published, gaps } = await run(initialWalkState(1, 2_000), model(rows, api), newKnowledge(), limit);
        expect(gaps).to.deep.equal([]);
        const keys = published.map((r) => r.key);
        expect(new Set(keys).size).to.equal(keys.length);
        expect(new Set(keys)).to.deep.equal(new Set(rows.map((r) => r.key)));
      }),
      { numRuns: 300 },
    );
  });

  it('learns the cap from the refusal and splits before passing it again', async () => {
    const rows = Array.from({ length: 95 }, (_, i): TradeRow => ({ key: `k${i}`, ts: 1_000 + i, raw: {} }));
    const log: TradePageRequest[] = [];
    const k = newKnowledge();
    const { published } = await run(initialWalkState(1, 5_000), model(rows, { cap: 20, capMode: 'refuse', clamp: 10, windows: true, endExclusive: false }, log), k, 10);
    expect(published).to.have.length(95);
    expect(k.maxOffset).to.equal(20);
    expect(k.windows).to.equal('honoured');
    // Exactly one refused request: afterwards every walk splits at the learned cap.
    expect(log.filter((r) => r.offset > 20)).to.have.length(1);
  });

  it('reports a gap instead of losing rows silently when the API ignores start/end', async () => {
    const rows = Array.from({ length: 50 }, (_, i): TradeRow => ({ key: `k${i}`, ts: 1_000 + i, raw: {} }));
    const k = newKnowledge();
    const { published, gaps, last } = await run(initialWalkState(1, 5_000), model(rows, { cap: 20, capMode: 'refuse', clamp: 10, windows: false, endExclusive: false }), k, 10);
    expect(k.windows).to.equal('ignored');
    expect(published.map((r) => r.ts).sort()).to.deep.equal(rows.slice(-30).map((r) => r.ts));
    expect(gaps).to.have.length(1);
    expect(gaps[0]).to.include({ start: 1, end: 1_020, reason: 'offset-cap' });
    expect(last.complete).to.equal(true);
  });

  it('reports the second whose rows exceed the cap and goes on below it', async () => {
    const rows = [
      ...Array.from({ length: 30 }, (_, i): TradeRow => ({ key: `hot${i}`, ts: 1_500, raw: {} })),
      ...Array.from({ length: 15 }, (_, i): TradeRow => ({ key: `old${i}`, ts: 1_000 + i, raw: {} })),
    ];
    const { published, gaps } = await run(initialWalkState(1, 1_500), model(rows, { cap: 19, capMode: 'refuse', clamp: 10, windows: true, endExclusive: false }), newKnowledge(), 10);
    expect(gaps.map((g) => [g.start, g.end, g.reason])).to.deep.equal([[1_500, 1_500, 'offset-cap-one-second']]);
    expect(published.filter((r) => r.key.startsWith('old'))).to.have.length(15);
  });

  it('resumes from any stored state without losing rows, re-reading at most the page in flight', async () => {
    const rows = Array.from({ length: 120 }, (_, i): TradeRow => ({ key: `k${i}`, ts: 1_000 + Math.floor(i / 3), raw: {} }));
    const api: ApiModel = { cap: 25, capMode: 'refuse', clamp: 10, windows: true, endExclusive: false };
    const states: TradeWalkState[] = [];
    const k = newKnowledge();
    for await (const step of walkTrades(initialWalkState(1, 2_000), model(rows, api), k, 10)) states.push(step.state);
    for (let i = 0; i < states.length; i++) {
      const before = new Set<string>();
      for await (const step of walkTrades(initialWalkState(1, 2_000), model(rows, api), newKnowledge(), 10)) {
        for (const r of step.rows) before.add(r.key);
        if (step.state.pages === states[i]!.pages && step.state.end === states[i]!.end && step.state.offset === states[i]!.offset) break;
      }
      const log: TradePageRequest[] = [];
      const after = await run(states[i]!, model(rows, api, log), k, 10);
      const union = new Set([...before, ...after.published.map((r) => r.key)]);
      expect(union.size, `resumed from step ${i}`).to.equal(rows.length);
    }
  });

  it('ends on a short page only once the server is known to serve longer ones', async () => {
    const rows = Array.from({ length: 7 }, (_, i): TradeRow => ({ key: `k${i}`, ts: 1_000 + i, raw: {} }));
    const log: TradePageRequest[] = [];
    const k: EndpointKnowledge = { ...newKnowledge(), honouredLimit: 50 };
    await run(initialWalkState(1, 2_000), model(rows, { cap: 100, capMode: 'refuse', clamp: 50, windows: true, endExclusive: false }, log), k, 50);
    expect(log).to.have.length(1);
  });
});

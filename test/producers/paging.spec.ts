import { expect } from 'chai';
import fc from 'fast-check';
import { CLOB_END_CURSOR, type CursorPageResult, initialOffsetState, type OffsetKnowledge, type OffsetPageResult, walkCursor, walkOffset } from '../../producers/fetchers/paging.ts';
import { BoundedQueue, drainWith } from '../../producers/pipeline/queue.ts';

async function collect<T>(gen: AsyncGenerator<{ rows: T[] }>): Promise<{ rows: T[]; steps: number }> {
  const rows: T[] = [];
  let steps = 0;
  for await (const s of gen) {
    rows.push(...s.rows);
    steps++;
  }
  return { rows, steps };
}

describe('producers/fetchers/paging', () => {
  it('offset walks read every row whatever the silent clamp, and stop at a refused offset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 120 }), async (total, clamp, limit) => {
        const all = Array.from({ length: total }, (_, i) => i);
        const fetch = async (offset: number, l: number): Promise<OffsetPageResult<number>> => ({
          kind: 'rows',
          rows: all.slice(offset, offset + Math.min(l, clamp)),
        });
        const { rows } = await collect(walkOffset(initialOffsetState(), fetch, { honouredLimit: 0 }, limit));
        expect(rows).to.deep.equal(all);
      }),
    );
    const k: OffsetKnowledge = { honouredLimit: 0 };
    const all = Array.from({ length: 500 }, (_, i) => i);
    const fetch = async (offset: number, l: number): Promise<OffsetPageResult<number>> =>
      offset > 100 ? { kind: 'offset-refused', message: 'offset too large' } : { kind: 'rows', rows: all.slice(offset, offset + l) };
    const steps = [];
    for await (const s of walkOffset(initialOffsetState(), fetch, k, 50)) steps.push(s);
    expect(steps.flatMap((s) => s.rows)).to.have.length(150);
    expect(steps.at(-1)!.state).to.include({ complete: true, capped: true });
    expect(k.maxOffset).to.equal(149);
  });

  it('cursor walks follow next_cursor to the CLOB end marker, processing the page that carries it', async () => {
    const pages: Record<string, { rows: number[]; next: string }> = {
      first: { rows: [1, 2], next: 'MTAwMA==' },
      'MTAwMA==': { rows: [3], next: CLOB_END_CURSOR },
    };
    const sent: Array<string | undefined> = [];
    const fetch = async (c: string | undefined): Promise<CursorPageResult<number>> => {
      sent.push(c);
      return { kind: 'page', page: pages[c ?? 'first']! };
    };
    const { rows } = await collect(walkCursor({ pages: 0, records: 0, complete: false }, fetch, CLOB_END_CURSOR));
    expect(rows).to.deep.equal([1, 2, 3]);
    expect(sent).to.deep.equal([undefined, 'MTAwMA==']);
    // Resuming from a stored end marker asks for nothing.
    const again = await collect(walkCursor({ cursor: CLOB_END_CURSOR, pages: 2, records: 3, complete: false }, fetch, CLOB_END_CURSOR));
    expect(again.rows).to.deep.equal([]);
    expect(sent).to.have.length(2);
  });

  it('cursor walks end on a missing or empty next_cursor, an empty page, or a past-the-end refusal', async () => {
    for (const last of [{ rows: [9], next: '' }, { rows: [9], next: null }, { rows: [9] }, { rows: [], next: 'more' }]) {
      let n = 0;
      const fetch = async (): Promise<CursorPageResult<number>> => ({ kind: 'page', page: n++ === 0 ? { rows: [1], next: 'c2' } : last });
      const { rows } = await collect(walkCursor({ pages: 0, records: 0, complete: false }, fetch));
      expect(rows).to.deep.equal([1, ...last.rows]);
    }
    let m = 0;
    const pastEnd = async (): Promise<CursorPageResult<number>> => (m++ === 0 ? { kind: 'page', page: { rows: [1], next: 'x' } } : { kind: 'past-end' });
    expect((await collect(walkCursor({ pages: 0, records: 0, complete: false }, pastEnd))).rows).to.deep.equal([1]);
  });
});

describe('producers/pipeline/queue', () => {
  it('applies backpressure at capacity and delivers every item once to concurrent workers', async () => {
    const q = new BoundedQueue<number>(3);
    const seen: number[] = [];
    let maxSize = 0;
    const consumers = drainWith(q, 4, async (n) => {
      maxSize = Math.max(maxSize, q.size);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(n);
    });
    for (let i = 0; i < 50; i++) {
      await q.push(i);
      maxSize = Math.max(maxSize, q.size);
    }
    q.close();
    await consumers;
    expect(seen.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    expect(maxSize).to.be.at.most(3);
  });

  it('refuses pushes after close and rethrows the first worker error after all workers end', async () => {
    const q = new BoundedQueue<number>(10);
    q.close();
    expect(await q.push(1).catch((e: unknown) => (e as Error).message)).to.equal('queue closed');
    const q2 = new BoundedQueue<number>(10);
    for (let i = 0; i < 5; i++) await q2.push(i);
    q2.close();
    const err = await drainWith(q2, 2, async (n) => {
      if (n === 2) throw new Error('boom');
    }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('boom');
  });
});

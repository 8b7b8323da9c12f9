import { expect } from 'chai';
import { AbortedError } from '../../runtime/errors.ts';
import { Limiter } from '../../tagger/ollama/limiter.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('tagger/ollama/limiter', () => {
  it('never runs more than the limit at once, and runs everything', async () => {
    const limiter = new Limiter(3);
    let now = 0;
    let max = 0;
    const done = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          now++;
          max = Math.max(max, now);
          await new Promise((r) => setTimeout(r, 2 + (i % 3)));
          now--;
          return i;
        }),
      ),
    );
    expect(max).to.equal(3);
    expect(done).to.deep.equal(Array.from({ length: 20 }, (_, i) => i));
  });

  it('lets more run at once as soon as it is raised', async () => {
    const limiter = new Limiter(1);
    const gates: Array<() => void> = [];
    const work = Array.from({ length: 3 }, () => limiter.run(() => new Promise<void>((r) => gates.push(r))));
    await tick();
    expect(limiter.active).to.equal(1);
    limiter.resize(3);
    await tick();
    expect(limiter.active).to.equal(3);
    for (const g of gates) g();
    await Promise.all(work);
    expect(limiter.active).to.equal(0);
  });

  it('drops an aborted waiter from the queue with AbortedError', async () => {
    const limiter = new Limiter(1);
    let release!: () => void;
    const first = limiter.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    const second = limiter.run(async () => 'ran', controller.signal).catch((e) => e);
    await tick();
    expect(limiter.waiting).to.equal(1);
    controller.abort();
    expect(await second).to.be.instanceOf(AbortedError);
    expect(limiter.waiting).to.equal(0);
    release();
    await first;
  });

  it('refuses a limit below one', () => {
    expect(() => new Limiter(0)).to.throw(RangeError);
  });
});

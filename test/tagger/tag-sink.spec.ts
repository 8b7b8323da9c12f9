import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { humanDecision, type TagDecisionEvent, type TagEvent, tagEvent } from '../../tagger/events.ts';
import { EventPublisher } from '../../tagger/publisher.ts';
import { TagSink } from '../../tagger/sink/tag-sink.ts';
import { TagStore } from '../../tagger/store/tag-store.ts';
import { type Harness, market, openHarness } from './harness.ts';

function modelDecision(tag: string, mkt: string, decision: 'YES' | 'NO' | 'UNSURE', id: string, previous: string | null = null): TagDecisionEvent {
  return {
    decisionId: id,
    tag,
    market: mkt,
    decision,
    deciderKind: 'model',
    decider: 'pool[a,b] majority(quorum=2)',
    confidence: decision === 'UNSURE' ? null : 0.9,
    reason: '2 yes, 0 no under majority(quorum=2)',
    decidedAt: 1_700_000_100_000,
    previous,
    votes: [{ model: 'a', answer: decision === 'UNSURE' ? null : decision, confidence: 0.9, reason: 'r', error: null, attempts: 1, elapsedMs: 12.5 }],
    rule: 'majority(quorum=2)',
    leaning: null,
    promptVersion: 'tag-v1',
    via: 'classifier',
  };
}

async function runSinkUntilCaughtUp(h: Harness, store: TagStore, groupId: string): Promise<void> {
  const sink = new TagSink({ transport: h.transport, store, decisions: h.codecs.decisions, catalog: h.codecs.catalog, logger: silentLogger, groupId });
  const highs = await sink.start();
  const controller = new AbortController();
  await sink.catchUp(highs, controller.signal);
  controller.abort();
  await sink.close();
}

describe('tagger/sink: the tag tables are a fold of the tag topics', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await openHarness();
  });
  afterEach(() => h.close());

  it('applies tags, examples, settings and decisions, keeps every decision, and lets a person win over a model', async () => {
    const producer = h.transport.producer();
    const catalog = new EventPublisher<TagEvent>(producer, h.codecs.catalog);
    const decisions = new EventPublisher<TagDecisionEvent>(producer, h.codecs.decisions);
    const m1 = market(1, 'Will Bitcoin hit 100k?').condition_id;
    const m2 = market(2, 'Will the Lakers win?').condition_id;
    const m3 = market(3, 'Will ETH flip BTC?').condition_id;

    await catalog.publish('crypto', tagEvent('ann', { 'polymarket.TagDefined': { tag: 'crypto', name: 'Crypto', description: 'crypto assets', active: true } }));
    await catalog.publish('crypto', tagEvent('ann', { 'polymarket.TagExampleSet': { tag: 'crypto', market: m1, polarity: 'POSITIVE' } }));
    await catalog.publish('crypto', tagEvent('ann', { 'polymarket.TagExampleSet': { tag: 'crypto', market: m2, polarity: 'NEGATIVE' } }));
    await catalog.publish('crypto', tagEvent('bob', { 'polymarket.TagExampleSet': { tag: 'crypto', market: m2, polarity: 'REMOVED' } }));
    await catalog.publish('crypto', tagEvent('bob', { 'polymarket.TagDefined': { tag: 'crypto', name: 'Crypto assets', description: 'coins', active: false } }));
    await catalog.publish('settings', tagEvent('bob', { 'polymarket.TaggerSettingsSet': { settings: '{"models":["a","b"]}' } }));

    await decisions.publish('k', modelDecision('crypto', m1, 'YES', 'd1'));
    await decisions.publish('k', modelDecision('crypto', m2, 'UNSURE', 'd2'));
    await decisions.publish('k', humanDecision('crypto', m2, 'NO', 'ann', 'd2', 'judge', null, 1_700_000_200_000));
    await decisions.publish('k', modelDecision('crypto', m2, 'YES', 'd4', null)); // a later model run must not displace the person
    await decisions.publish('k', modelDecision('crypto', m3, 'YES', 'd5'));
    await decisions.publish('k', humanDecision('crypto', m3, 'NO', 'bob', 'd5', 'history', 'not a flip market', 1_700_000_300_000));

    const store = await TagStore.open(join(h.dir, 'tags.duckdb'));
    try {
      await runSinkUntilCaughtUp(h, store, 'g1');
      const snap = await store.snapshot();
      expect(snap.Tags).to.have.length(1);
      expect(snap.Tags![0]).to.include({ tag_id: 'crypto', name: 'Crypto assets', description: 'coins', is_active: false, created_by: 'ann', updated_by: 'bob' });
      expect(snap.TagExamples!.map((e) => [e.market_id, e.is_positive])).to.deep.equal([[m1, true]]);
      expect(snap.JudgeHistory).to.have.length(6);
      const state = Object.fromEntries(snap.MarketTagState!.map((s) => [s.market_id as string, [s.decision, s.decider_kind]]));
      expect(state).to.deep.equal({ [m1]: ['YES', 'model'], [m2]: ['NO', 'human'], [m3]: ['NO', 'human'] });
      expect(snap.MarketTagDim!.map((r) => r.market_id)).to.deep.equal([m1]);
      expect(JSON.parse(snap.TaggerSettings![0]!.value as string)).to.deep.equal({ models: ['a', 'b'] });
      const history = await store.history({ limit: 10, offset: 0, tagId: 'crypto' });
      expect(history.map((r) => r.decider)).to.deep.equal([
        'bob',
        'pool[a,b] majority(quorum=2)',
        'pool[a,b] majority(quorum=2)',
        'ann',
        'pool[a,b] majority(quorum=2)',
        'pool[a,b] majority(quorum=2)',
      ]);
      expect(history.find((r) => r.decisionId === 'd5')!.current).to.equal(false);
      expect(history[0]!.reason).to.equal('not a flip market');
    } finally {
      store.close();
    }
  });

  it('replaying the topics into an empty store gives the same tables as a sink that stopped and resumed', async () => {
    const producer = h.transport.producer();
    const catalog = new EventPublisher<TagEvent>(producer, h.codecs.catalog);
    const decisions = new EventPublisher<TagDecisionEvent>(producer, h.codecs.decisions);
    const incremental = await TagStore.open(join(h.dir, 'incremental.duckdb'));
    try {
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 3; i++) {
          const tag = `t${i}`;
          await catalog.publish(tag, tagEvent('ann', { 'polymarket.TagDefined': { tag, name: `Tag ${i} r${round}`, description: `d${round}`, active: round % 2 === 0 } }));
          const mkt = market(round * 10 + i, `Q${round}-${i}`).condition_id;
          await catalog.publish(tag, tagEvent('ann', { 'polymarket.TagExampleSet': { tag, market: mkt, polarity: i % 2 ? 'NEGATIVE' : 'POSITIVE' } }));
          const id = `d-${round}-${i}`;
          await decisions.publish(id, modelDecision(tag, mkt, (['YES', 'NO', 'UNSURE'] as const)[(round + i) % 3]!, id));
          if (i === 1) await decisions.publish(`h${id}`, humanDecision(tag, mkt, 'YES', 'bob', id, 'judge', null, 1_700_000_000_000 + round));
        }
        // The incremental sink runs between rounds, with a fresh consumer each time (a restart).
        await runSinkUntilCaughtUp(h, incremental, 'incremental');
      }
      const replayed = await TagStore.open(join(h.dir, 'replayed.duckdb'));
      try {
        await runSinkUntilCaughtUp(h, replayed, 'replay');
        const a = await incremental.snapshot();
        const b = await replayed.snapshot();
        expect(a.JudgeHistory).to.have.length(16);
        expect(b).to.deep.equal(a);
        expect(await replayed.progress(TOPICS.tagDecisions.name)).to.deep.equal(await incremental.progress(TOPICS.tagDecisions.name));
      } finally {
        replayed.close();
      }
    } finally {
      incremental.close();
    }
  });

  it('refuses a second process-wide writer of the same file with a clear error', async () => {
    const path = join(h.dir, 'tags.duckdb');
    const first = await TagStore.open(path);
    try {
      const { spawnSync } = await import('node:child_process');
      const script = `import { TagStore } from ${JSON.stringify(new URL('../../tagger/store/tag-store.ts', import.meta.url).pathname)};
        try { await TagStore.open(${JSON.stringify(path)}); console.log('opened'); } catch (e) { console.log(e.message); }`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(r.stdout).to.contain('open in another process');
    } finally {
      first.close();
    }
  });
});

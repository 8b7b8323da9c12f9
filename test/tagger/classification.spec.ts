import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { type FakeOllama, type FakeReply, marketInPrompt, startFakeOllama } from '../../tagger/ollama/fake-server.ts';
import { CLASSIFIER_GROUP } from '../../tagger/processor/market-feed.ts';
import { TaggerService } from '../../tagger/service.ts';
import { until } from '../until.ts';
import { type Harness, market, openHarness } from './harness.ts';

/** Model "a" says yes to anything about Bitcoin; model "b" agrees except on ETH markets (a disagreement). */
function scripted(request: { model: string; messages: { role: 'system' | 'user' | 'assistant'; content: string }[] }): FakeReply {
  const q = marketInPrompt(request.messages)?.question ?? '';
  const crypto = /bitcoin|eth/i.test(q);
  if (request.model === 'b' && /eth/i.test(q)) return { answer: 'no', confidence: 0.7, reason: 'not sure it is crypto' };
  return { answer: crypto ? 'yes' : 'no', confidence: 0.9, reason: 'scripted' };
}

describe('tagger: classification as a stream processor', () => {
  let h: Harness;
  let fake: FakeOllama;
  let service: TaggerService | undefined;
  let delay: Promise<void> | null;

  beforeEach(async () => {
    h = await openHarness();
    delay = null;
    fake = await startFakeOllama({
      models: ['a', 'b'],
      reply: async (r) => {
        if (delay) await delay;
        return scripted(r);
      },
    });
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    await fake.close();
    await h.close();
  });

  async function publishMarkets(list: ReturnType<typeof market>[]): Promise<void> {
    const producer = h.transport.producer();
    await producer.send(
      TOPICS.markets.name,
      list.map((m) => ({ key: Buffer.from(m.condition_id), value: h.codecs.markets.encode(m) })),
    );
    await producer.close();
  }

  async function committed(): Promise<number> {
    const offsets = await h.transport.admin().groupOffsets(CLASSIFIER_GROUP, TOPICS.markets.name);
    return offsets.reduce((s, o) => s + o.offset, 0);
  }

  it('classifies every market for every active tag, sends disagreements to the judge queue, and commits after the decisions', async () => {
    const markets = [market(1, 'Will Bitcoin hit 100k?'), market(2, 'Will the Lakers win?'), market(3, 'Will ETH flip BTC?'), market(4, 'Bitcoin ETF by June?')];
    await publishMarkets(markets);
    service = await TaggerService.start({
      transport: h.transport,
      serde: h.serde,
      dataDir: h.dir,
      logger: silentLogger,
      overrides: { ollamaUrl: fake.url, models: ['a', 'b'], rule: 'majority', quorum: 2, concurrency: 4, minExamples: 0 },
    });
    const s = service;
    const tagId = await s.createTag('Crypto', 'markets about crypto assets', 'tester');
    await until(async () => (await s.store.tag(tagId))!.yes + (await s.store.tag(tagId))!.no + (await s.store.tag(tagId))!.unsure === 4, 'four decisions');
    const tag = (await s.store.tag(tagId))!;
    expect([tag.yes, tag.no, tag.unsure]).to.deep.equal([2, 1, 1]);
    const queue = await s.store.judgeQueue(10);
    expect(queue.map((q) => q.market.question)).to.deep.equal(['Will ETH flip BTC?']);
    expect(queue[0]!.history.votes.map((v) => v.answer)).to.deep.equal(['YES', 'NO']);
    await until(async () => (await committed()) === 4, 'the offsets to be committed');

    // A person resolves the judge item; the model does not displace it on a re-run.
    await s.decide(tagId, markets[2]!.condition_id, 'YES', 'judge', null);
    expect(await s.store.judgeCount()).to.equal(0);
    await s.reclassifyTag(tagId);
    await until(async () => (await s.store.history({ limit: 100, offset: 0, tagId })).length === 4 + 1 + 3, 'the re-run of the three model decisions');
    const current = await s.store.currentDecision(markets[2]!.condition_id, tagId);
    expect(current).to.include({ decision: 'YES', deciderKind: 'human' });

    // New markets arriving on the stream are classified for the tag; already decided ones are skipped.
    const before = fake.requests.length;
    await publishMarkets([market(5, 'Will Bitcoin dominance rise?'), markets[0]!]);
    await until(async () => (await committed()) === 6, 'the new records to be committed');
    expect(fake.requests.length - before).to.equal(2); // one new market x two models
  });

  it('waits for two examples of each kind before classifying a tag, and never classifies its examples', async () => {
    const markets = [1, 2, 3, 4, 5, 6].map((i) => market(i, i % 2 ? `Will Bitcoin reach ${i}0k?` : `Will the Lakers win game ${i}?`));
    await publishMarkets(markets);
    service = await TaggerService.start({
      transport: h.transport,
      serde: h.serde,
      dataDir: h.dir,
      logger: silentLogger,
      overrides: { ollamaUrl: fake.url, models: ['a'], rule: 'confidence', quorum: 1, threshold: 0.8 },
      rerunDelayMs: 200,
    });
    const s = service;
    expect(s.settings.minExamples).to.equal(2);
    const tagId = await s.createTag('Crypto', 'markets about crypto assets', 'tester');
    await until(async () => s.feed.stats.consumed === 6, 'the markets in the catalogue');
    const [m1, m2, m3, m4, m5, m6] = markets.map((m) => m.condition_id) as [string, string, string, string, string, string];
    await s.setExample(tagId, m1, 'POSITIVE', 'tester');
    await s.setExample(tagId, m3, 'POSITIVE', 'tester');
    await s.setExample(tagId, m2, 'NEGATIVE', 'tester');
    // Every example so far asked for a re-run; once they are all done, nothing may have been asked.
    await until(async () => s.reruns.pending === 0 && s.reruns.started > 0 && s.sweeper.idle, 'the re-runs the examples asked for');
    expect(s.sweeper.status.lastFinishedAt).to.not.equal(null);
    expect(fake.requests, 'requests before the tag has 2 + 2 examples').to.have.length(0);

    await s.setExample(tagId, m4, 'NEGATIVE', 'tester');
    await until(async () => (await s.store.tag(tagId))!.yes + (await s.store.tag(tagId))!.no === 2, 'the two markets that are not examples decided');
    const asked = fake.requests.map((r) => marketInPrompt(r.messages)?.question);
    expect(asked.sort()).to.deep.equal(['Will Bitcoin reach 50k?', 'Will the Lakers win game 6?']);
    for (const example of [m1, m2, m3, m4]) expect(await s.store.currentDecision(example, tagId), example).to.equal(undefined);
    expect((await s.store.currentDecision(m5, tagId))!.decision).to.equal('YES');
    expect((await s.store.currentDecision(m6, tagId))!.decision).to.equal('NO');

    // An example arriving again on the stream is still not classified; a new market is.
    await publishMarkets([markets[0]!, market(7, 'Will Bitcoin reach 70k?')]);
    await until(async () => (await s.store.tag(tagId))!.yes === 2, 'the new market decided');
    await until(async () => (await committed()) === 8, 'both records committed');
    expect(fake.requests).to.have.length(3);
    expect(await s.store.currentDecision(m1, tagId)).to.equal(undefined);
  });

  it('re-runs the models once after a burst of example and description edits, keeping people’s decisions and never classifying examples', async () => {
    const markets = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => market(i, i % 2 ? `Will Bitcoin reach ${i}0k?` : `Will the Lakers win game ${i}?`));
    await publishMarkets(markets);
    service = await TaggerService.start({
      transport: h.transport,
      serde: h.serde,
      dataDir: h.dir,
      logger: silentLogger,
      overrides: { ollamaUrl: fake.url, models: ['a'], rule: 'confidence', quorum: 1, threshold: 0.8, minExamples: 0 },
      // Long enough that six edits in a row, each waiting for the sink, land inside one quiet period.
      rerunDelayMs: 1_500,
    });
    const s = service;
    const ids = markets.map((m) => m.condition_id);
    const [m1, m2, m3, m4, , , , m8] = ids as [string, string, string, string, string, string, string, string];
    const tagId = await s.createTag('Crypto', 'markets about crypto assets', 'tester');
    const reruns = async () => (await s.store.history({ limit: 1_000, offset: 0, tagId })).filter((r) => r.via === 'reclassify');
    await until(async () => (await s.store.history({ limit: 100, offset: 0, tagId })).length === 8, 'every market decided once');
    await s.decide(tagId, m8, 'YES', 'judge', null);
    const asked = fake.requests.length;

    // Six edits in a row: add, add, add, switch, add, remove. The examples end as m1, m2, m3.
    await s.setExample(tagId, m1, 'POSITIVE', 'tester');
    await s.setExample(tagId, m2, 'NEGATIVE', 'tester');
    await s.setExample(tagId, m3, 'POSITIVE', 'tester');
    await s.setExample(tagId, m3, 'NEGATIVE', 'tester');
    await s.setExample(tagId, m4, 'POSITIVE', 'tester');
    await s.setExample(tagId, m4, 'REMOVED', 'tester');
    expect(await reruns(), 'nothing re-runs while the edits go on').to.have.length(0);
    await until(async () => (await reruns()).length === 4, 'the re-run of the four markets that are neither examples nor decided by a person');
    await until(async () => s.reruns.pending === 0 && s.sweeper.idle && s.classifier.stats.inFlight === 0, 'the re-run to finish');
    expect(s.reruns.started, 'one re-run for the burst').to.equal(1);
    const redone = (await reruns()).map((r) => r.marketId).sort();
    expect(redone).to.deep.equal(ids.slice(3, 7).sort());
    expect(fake.requests.length - asked, 'each re-run market asked once').to.equal(4);
    // The one re-run saw every edit: all three examples are in each of its prompts.
    for (const r of fake.requests.slice(asked)) {
      const prompt = r.messages.map((m) => m.content).join('\n');
      for (const q of [markets[0]!.question, markets[1]!.question, markets[2]!.question]) expect(prompt).to.include(q);
    }
    expect(await s.store.currentDecision(m8, tagId)).to.include({ decision: 'YES', deciderKind: 'human' });
    for (const r of await reruns()) expect(r.previous, 'a re-run supersedes the model decision').to.be.a('string');

    // A new description re-runs them too; a new name alone does not.
    await s.updateTag(tagId, { name: 'Crypto assets' }, 'tester');
    expect(s.reruns.pending).to.equal(0);
    await s.updateTag(tagId, { description: 'markets about crypto assets and their prices' }, 'tester');
    expect(s.reruns.pending).to.equal(1);
    await until(async () => (await reruns()).length === 8, 'the re-run after the description changed');
    await until(async () => s.reruns.pending === 0 && s.sweeper.idle && s.classifier.stats.inFlight === 0, 'the second re-run to finish');
    expect(s.reruns.started).to.equal(2);
    expect(await s.store.currentDecision(m8, tagId)).to.include({ decision: 'YES', deciderKind: 'human' });
    for (const example of [m1, m2, m3])
      expect(
        (await s.store.history({ limit: 100, offset: 0, tagId, text: example })).filter((r) => r.via === 'reclassify'),
        example,
      ).to.have.length(0);
  });

  it('does not commit a market while Ollama is down, and resumes without losing it', async () => {
    service = await TaggerService.start({
      transport: h.transport,
      serde: h.serde,
      dataDir: h.dir,
      logger: silentLogger,
      overrides: { ollamaUrl: fake.url, models: ['a'], rule: 'confidence', quorum: 1, threshold: 0.8, minExamples: 0 },
    });
    const s = service;
    const tagId = await s.createTag('Crypto', '', 'tester');
    await fake.pause();
    await publishMarkets([market(7, 'Will Bitcoin hit 200k?')]);
    await until(async () => s.classifier.ollama.up === false, 'the gate to see Ollama down');
    await new Promise((r) => setTimeout(r, 300));
    expect(await committed()).to.equal(0);
    await fake.resume();
    await until(async () => (await committed()) === 1, 'the commit after Ollama came back');
    // The decision is durable on pma.tag-decisions before the offset commits; the store applies it from there.
    await until(async () => (await s.store.tag(tagId))!.yes === 1, 'the store to apply the decision');
    expect(await s.store.tag(tagId)).to.include({ yes: 1, no: 0, unsure: 0 });
  });
});

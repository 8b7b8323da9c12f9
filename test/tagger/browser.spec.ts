/**
 * The whole Tag Manager loop in a real browser (Debian's chromium through playwright-core), on
 * the simulator's markets brought in by the real ingest and processors: create a tag, add
 * examples, let the models classify, resolve a Judge item by key press, change it in History,
 * change Settings, and watch Pipeline while an ingest runs. Screenshots of each page go to
 * test-artifacts/tagger/. Outside CI the suite is pending if chromium is missing.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { runProcessors } from '../../processors/runner.ts';
import { runIngest } from '../../producers/run.ts';
import { ingestSettingsSchema } from '../../producers/settings.ts';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { type Simulator, startSimulator } from '../../simulator/index.ts';
import { type FakeOllama, marketInPrompt, startFakeOllama } from '../../tagger/ollama/fake-server.ts';
import { CLASSIFIER_GROUP } from '../../tagger/processor/market-feed.ts';
import { TaggerService } from '../../tagger/service.ts';
import type { MarketRow } from '../../tagger/store/tag-store.ts';
import { startWebServer, type WebServer } from '../../tagger/web/server.ts';
import { chromiumPath, describeNeeding } from '../prerequisite.ts';
import { until } from '../until.ts';
import { openPage } from './browser-page.ts';
import { type Harness, openHarness } from './harness.ts';
import { overflows } from './page-fit.ts';

const { chromium: CHROMIUM, missing } = chromiumPath();
const ARTIFACTS = new URL('../../test-artifacts/tagger/', import.meta.url).pathname;

/**
 * Two scripted models on an "Elections" tag: "a" says yes to any race, election or nomination;
 * "b" only to questions ending in "race?" or "election?". Where they differ, the market goes to
 * the Judge queue.
 */
const saysA = (q: string) => /election|race|nomination/i.test(q);
const saysB = (q: string) => /\b(race|election)\?$/i.test(q);
function model(request: { model: string; messages: { role: 'system' | 'user' | 'assistant'; content: string }[] }) {
  const q = marketInPrompt(request.messages)?.question ?? '';
  const yes = request.model === 'a' ? saysA(q) : saysB(q);
  return { answer: yes ? ('yes' as const) : ('no' as const), confidence: 0.9, reason: yes ? 'an <b>electoral</b> contest' : 'not about an election' };
}

describeNeeding('tagger in a browser: the whole loop', missing, function () {
  this.timeout(120_000);
  let h: Harness;
  let fake: FakeOllama;
  let service: TaggerService;
  let web: WebServer;
  let browser: Browser;
  let page: Page;
  let sim: Simulator;
  let catalogue: MarketRow[];
  let judged = '';
  const problems: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    h = await openHarness();
    sim = await startSimulator({ port: 0, seed: 7, markets: 24 });
    const once = new AbortController();
    await runIngest(
      { ...ingestSettingsSchema.parse({ source: 'sim', mode: 'markets', rateLimits: 'off' }), urls: sim.urls },
      { transport: h.transport, serde: h.serde, logger: silentLogger, signal: once.signal, metrics: new Registry() },
    );
    await runProcessors({}, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: once.signal, until: 'caught-up' });
    fake = await startFakeOllama({ models: ['a', 'b'], reply: model });
    service = await TaggerService.start({
      transport: h.transport,
      serde: h.serde,
      dataDir: h.dir,
      logger: silentLogger,
      // The loop adds one example of each kind, then expects the models to start.
      overrides: { ollamaUrl: fake.url, models: ['a', 'b'], rule: 'majority', quorum: 2, reviewer: 'tester', minExamples: 1 },
    });
    const markets = (await h.transport.admin().offsets(TOPICS.markets.name)).reduce((n, o) => n + o.high, 0);
    await until(async () => (await h.transport.admin().groupOffsets(CLASSIFIER_GROUP, TOPICS.markets.name)).reduce((n, o) => n + o.offset, 0) === markets, 'the market catalogue');
    catalogue = await service.store.searchMarkets('', 1_000);
    expect(catalogue.filter((m) => saysA(m.question ?? '') !== saysB(m.question ?? '')).length, 'a disagreement among the simulator markets').to.be.greaterThan(0);
    web = await startWebServer({ service, serde: h.serde, logger: silentLogger, port: 0 });
    ({ browser, page } = await openPage(CHROMIUM, problems));
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await service?.close();
    await fake?.close();
    await sim?.close();
    await h?.close();
  });

  const shot = async (name: string) => {
    await page.mouse.wheel(0, -100_000);
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  it('creates a tag on the Tags page', async () => {
    await page.goto(`${web.url}/tags`);
    await page.fill('form.create input[name=name]', 'Elections');
    await page.fill('form.create input[name=description]', 'Markets on who wins an election, a race or a nomination');
    await page.click('form.create button[type=submit]');
    await page.waitForSelector('text=Tag created');
    expect(await page.textContent('#tag-elections .tag-name')).to.equal('Elections');
  });

  it('adds a positive and a negative example found by text', async () => {
    const positive = catalogue.find((m) => saysA(m.question ?? '') && saysB(m.question ?? ''))!;
    const negative = catalogue.find((m) => !saysA(m.question ?? '') && (m.question ?? '').length > 12)!;
    const search = async (words: string, question: string) => {
      await page.fill('input[name=q]', words);
      await page.waitForSelector(`#results tr:has-text(${JSON.stringify(question)})`);
    };
    await page.goto(`${web.url}/examples?tag=elections`);
    await search(positive.question!.split(' ').slice(1, 3).join(' '), positive.question!);
    await page.click(`#results tr:has-text(${JSON.stringify(positive.question!)}) button:has-text("+ Positive")`);
    await page.waitForSelector('h2:has-text("1 positive, 0 negative")');
    await search(negative.question!.slice(0, 12), negative.question!);
    await page.click(`#results tr:has-text(${JSON.stringify(negative.question!)}) button:has-text("− Negative")`);
    await page.waitForSelector('h2:has-text("1 positive, 1 negative")');
    await page.fill('input[name=q]', 'win');
    await page.waitForSelector(`#results >> text=${positive.question!}`);
    await shot('examples');
    const examples = await service.store.examples('elections');
    expect(examples.map((e) => [e.marketId, e.positive])).to.have.deep.members([
      [positive.marketId, true],
      [negative.marketId, false],
    ]);
  });

  it('classifies the markets with the models and counts them per state on the Tags page', async () => {
    // The two examples (one that belongs, one that does not) are never classified.
    const yes = catalogue.filter((m) => saysA(m.question ?? '') && saysB(m.question ?? '')).length - 1;
    const unsure = catalogue.filter((m) => saysA(m.question ?? '') !== saysB(m.question ?? '')).length;
    const no = catalogue.length - 2 - yes - unsure;
    await until(async () => {
      const t = await service.store.tag('elections');
      return t !== undefined && t.yes + t.no + t.unsure === catalogue.length - 2;
    }, 'every market but the examples to be classified');
    await page.goto(`${web.url}/tags`);
    const cells = await page.locator('#tag-elections td.num').allTextContents();
    expect(cells.map((c) => c.trim())).to.deep.equal(['+1 / −1', String(yes), String(no), String(unsure), '0']);
    await shot('tags');
  });

  it('resolves the Judge item with a key press, and the next item loads at once', async () => {
    const disputed = catalogue.filter((m) => saysA(m.question ?? '') !== saysB(m.question ?? ''));
    await page.goto(`${web.url}/judge`);
    const first = (await page.textContent('#judge-item h2.question'))!;
    expect(disputed.map((m) => m.question)).to.include(first);
    // Model text is shown as text, never as markup.
    expect(await page.locator('#judge-item').innerHTML()).to.contain('an &lt;b&gt;electoral&lt;/b&gt; contest');
    await shot('judge');
    await page.keyboard.press('y');
    if (disputed.length === 1) await page.waitForSelector('#judge-item >> text=Nothing to review');
    else await until(async () => (await page.textContent('#judge-item h2.question')) !== first, 'the next Judge item');
    const decided = await service.store.history({ limit: 1, offset: 0, tagId: 'elections', deciderKind: 'human' });
    expect(decided[0]).to.include({ decision: 'YES', decider: 'tester', via: 'judge', current: true, question: first });
    judged = first;
  });

  it('changes that decision in History as a new decision, keeping the old one', async () => {
    await page.goto(`${web.url}/history?tag=elections&kind=human`);
    const row = page.locator('tr.current', { hasText: judged });
    await row.locator('input[name=note]').fill('a nomination is not an election');
    await row.locator('button:has-text("Set does not belong")').click();
    await page.waitForSelector('text=Decision recorded');
    const rows = await service.store.history({ limit: 10, offset: 0, tagId: 'elections', deciderKind: 'human' });
    expect(rows.map((r) => [r.decision, r.current, r.via])).to.deep.equal([
      ['NO', true, 'history'],
      ['YES', false, 'judge'],
    ]);
    expect(rows[0]!.previous).to.equal(rows[1]!.decisionId);
    await page.goto(`${web.url}/history?tag=elections`);
    await shot('history');
  });

  it('tests the Ollama connection and saves new Settings', async () => {
    await page.goto(`${web.url}/settings`);
    await page.click('button:has-text("Test connection")');
    await page.waitForSelector('#test-result >> text=answers with 2 models');
    await page.check('input[name=rule][value=confidence]');
    await page.fill('input[name=threshold]', '0.85');
    await page.fill('input[name=quorum]', '1');
    await page.fill('input[name=concurrency]', '3');
    await shot('settings');
    await page.click('button:has-text("Save settings")');
    await page.waitForSelector('text=Settings saved');
    expect(service.settings).to.include({ rule: 'confidence', threshold: 0.85, quorum: 1, concurrency: 3 });
    expect(service.classifier.settings.concurrency).to.equal(3);
  });

  it('shows the Pipeline live while an ingest runs', async () => {
    const stop = new AbortController();
    const deps = { transport: h.transport, serde: h.serde, logger: silentLogger, signal: stop.signal };
    const ingest = runIngest(
      { ...ingestSettingsSchema.parse({ source: 'sim', mode: 'trades,prices,leaderboard', rateLimits: 'off', attempts: 1 }), urls: sim.urls },
      { ...deps, metrics: new Registry() },
    );
    const processing = runProcessors({}, { ...deps, until: 'signal' });
    // A record no reader can decode: the processors dead-letter it, and the page must show why.
    const producer = h.transport.producer();
    await producer.send(TOPICS.rawTrades.name, [{ key: null, value: Buffer.from([1, 0, 0, 0, 1, 2]) }]);
    await producer.close();
    try {
      await page.goto(`${web.url}/pipeline`);
      await page.waitForSelector('#pipeline >> text=data:/trades', { timeout: 20_000 });
      await page.waitForSelector('#pipeline >> text=bad-magic-byte', { timeout: 20_000 });
      await page.waitForSelector('#pipeline >> text=pma-tagger-classifier');
      const records = async () => Number((await page.locator('.card .value').first().textContent())!.replace(/,/g, ''));
      const first = await records();
      // The panel refreshes itself every 2 s. The ingest may already have finished its small
      // backfill, so add records ourselves and wait for the page to show them without a reload.
      const more = h.transport.producer();
      await more.send(
        TOPICS.rawTrades.name,
        [1, 2, 3].map(() => ({ key: null, value: Buffer.from([1, 0, 0, 0, 1, 2]) })),
      );
      await more.close();
      await until(async () => (await records()) > first, 'a live refresh', 20_000);
      // With real cursors, groups and dead letters in it, nothing on the page is clipped at 1280 px.
      expect(await overflows(page)).to.deep.equal([]);
      await shot('pipeline');
    } finally {
      stop.abort();
      await Promise.allSettled([ingest, processing]);
    }
  });

  it('ran without a script error or a Content-Security-Policy violation', () => {
    expect(problems).to.deep.equal([]);
  });
});

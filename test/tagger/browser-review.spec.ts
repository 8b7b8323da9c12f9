/**
 * A reviewer's day in a real browser (Debian's chromium through playwright-core), on markets
 * published straight to pma.markets and two scripted models that disagree on some of them:
 *   - every count (the navigation's Judge count, "N waiting", the tag filter's counts, the
 *     Tags page's Unsure column) agrees with the store after each kind of decision: a key, a
 *     click, a History change, and for an inactive tag;
 *   - at 1280 px no page is wider than the window, no panel clips or scrolls what it holds, long
 *     texts wrap at a readable width, and a History row has one note box; a screenshot of every
 *     page goes to a temp dir (its path is printed).
 * Outside CI the suite is pending if chromium is missing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { type FakeOllama, marketInPrompt, startFakeOllama } from '../../tagger/ollama/fake-server.ts';
import { TaggerService } from '../../tagger/service.ts';
import { startWebServer, type WebServer } from '../../tagger/web/server.ts';
import { chromiumPath, describeNeeding } from '../prerequisite.ts';
import { until } from '../until.ts';
import { openPage } from './browser-page.ts';
import { type Harness, market, openHarness } from './harness.ts';
import { narrowestText, overflows } from './page-fit.ts';

const { chromium: CHROMIUM, missing } = chromiumPath();

const LONG_QUESTION = `Will the race ${'for the long and winding nomination of a candidate '.repeat(60)}end?`.slice(0, 3_000);
const LONG_TOKEN = `https://example.com/${'resolution-source-'.repeat(20)}`;
const QUESTIONS = [
  'Will Chen win the Ohio Senate race?',
  'Will Silva win the Texas election?',
  'Will Rossi win the Lisbon Mayor race?',
  'Will Quinn win the Nevada election?',
  'Will Tanaka win the Kyoto Governor race?',
  'Will Okafor win the Lagos Governor race?',
  'Will Petrov win the Quebec Parliament race?',
  'Will Bitcoin close above $100k?',
  'Will the Lakers win the title?',
  LONG_QUESTION,
  `Will ${LONG_TOKEN} be cited?`,
];

/** "a" says yes to any race or election; "b" only to elections, so every "race" waits in Judge. */
function model(request: { model: string; messages: { role: 'system' | 'user' | 'assistant'; content: string }[] }) {
  const q = marketInPrompt(request.messages)?.question ?? '';
  const yes = request.model === 'a' ? /race|election/i.test(q) : /election\?$/i.test(q);
  return { answer: yes ? ('yes' as const) : ('no' as const), confidence: 0.9, reason: `${yes ? 'an electoral contest' : 'not an election'}, see ${LONG_TOKEN}` };
}

describeNeeding('tagger in a browser: counts and layout for a day of review', missing, function () {
  this.timeout(120_000);
  let h: Harness;
  let fake: FakeOllama;
  let service: TaggerService;
  let web: WebServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const shots = mkdtempSync(join(tmpdir(), 'pma-tagger-shots-'));

  before(async () => {
    h = await openHarness();
    const producer = h.transport.producer();
    await producer.send(
      TOPICS.markets.name,
      QUESTIONS.map((q, i) => market(i + 1, q, { description: i === 9 ? `${LONG_QUESTION}\n\n${LONG_TOKEN}` : `Resolves per the rules for: ${q}` })).map((m) => ({
        key: Buffer.from(m.condition_id),
        value: h.codecs.markets.encode(m),
      })),
    );
    await producer.close();
    fake = await startFakeOllama({ models: ['a', 'b'], reply: model });
    service = await TaggerService.start({
      transport: h.transport,
      serde: h.serde,
      dataDir: h.dir,
      logger: silentLogger,
      overrides: { ollamaUrl: fake.url, models: ['a', 'b'], rule: 'majority', quorum: 2, reviewer: 'tester', minExamples: 0 },
    });
    for (const [name, description] of [
      ['Elections', 'Markets on who wins an election or a race'],
      ['Politics', 'Anything political'],
      ['Old', 'A tag that is switched off after the models ran'],
    ])
      await service.createTag(name!, description!, 'tester');
    await until(async () => (await service.store.tags()).every((t) => t.yes + t.no + t.unsure === QUESTIONS.length), 'every market classified for every tag');
    await service.updateTag('old', { active: false }, 'tester');
    web = await startWebServer({ service, serde: h.serde, logger: silentLogger, port: 0 });
    ({ browser, page } = await openPage(CHROMIUM, problems));
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await service?.close();
    await fake?.close();
    await h?.close();
  });

  /** The navigation's Judge count as the page shows it (0 when hidden). */
  async function navCount(): Promise<number> {
    const badge = page.locator('#judge-count');
    return (await badge.isHidden()) ? 0 : Number(await badge.textContent());
  }

  /** Every count on the current page against the store. */
  async function expectCountsMatchStore(where: string): Promise<void> {
    const store = service.store;
    expect(await navCount(), `${where}: navigation count`).to.equal(await store.judgeCount());
    if (new URL(page.url()).pathname === '/judge') {
      const filter = new URL(page.url()).searchParams.get('tag') ?? '';
      const waiting = (await page.locator('#judge-item .waiting').count()) > 0 ? await page.locator('#judge-item .waiting').textContent() : null;
      if (waiting !== null) expect(Number(waiting.split(' ')[0]), `${where}: N waiting`).to.equal(await store.judgeCount(filter || undefined));
      const options = await page.locator('#judge-tags option').allTextContents();
      const active = (await store.tags()).filter((t) => t.active);
      expect(options, `${where}: the tag filter`).to.deep.equal([`all active tags (${await store.judgeCount()})`, ...active.map((t) => `${t.name} (${t.unsure})`)]);
      for (const t of active) expect(t.unsure).to.equal(await store.judgeCount(t.tagId));
    }
  }

  /** Waits for the Judge card to show another decision than `before`. */
  async function nextCard(before: string | null): Promise<void> {
    await until(async () => (await page.locator('#judge-item').getAttribute('data-decision')) !== before, 'the next Judge card');
  }

  it('keeps every Judge count equal to the store after a key press and after a click', async () => {
    await page.goto(`${web.url}/judge?tag=elections`);
    await expectCountsMatchStore('Judge, filtered, on load');
    // Two active tags wait in Judge: the filtered count is not the total.
    expect(await service.store.judgeCount('elections')).to.be.lessThan(await service.store.judgeCount());

    for (const [how, act] of [
      ['key Y', () => page.keyboard.press('y')],
      ['click "Does not belong"', () => page.click('#judge-item button:has-text("Does not belong")')],
      ['key N', () => page.keyboard.press('n')],
      ['click "Belongs"', () => page.click('#judge-item button.yes')],
    ] as const) {
      const before = await page.locator('#judge-item').getAttribute('data-decision');
      const total = await service.store.judgeCount();
      await act();
      await nextCard(before);
      expect(await service.store.judgeCount(), how).to.equal(total - 1);
      await expectCountsMatchStore(`Judge after ${how}`);
    }

    await page.goto(`${web.url}/judge`);
    const before = await page.locator('#judge-item').getAttribute('data-decision');
    await page.keyboard.press('y');
    await nextCard(before);
    await expectCountsMatchStore('Judge, unfiltered, after key Y');
  });

  it('keeps the counts equal to the store after a History change', async () => {
    await page.goto(`${web.url}/history?tag=politics&decision=UNSURE&current=1`);
    const total = await service.store.judgeCount();
    await page.locator('tr.current').first().locator('button:has-text("Set belongs")').click();
    await page.waitForSelector('text=Decision recorded');
    expect(await service.store.judgeCount()).to.equal(total - 1);
    await expectCountsMatchStore('History after a change');
  });

  it('shows on Tags the unsure counts Judge has, and says why an inactive tag is not in Judge', async () => {
    await page.goto(`${web.url}/tags`);
    await expectCountsMatchStore('Tags');
    for (const t of await service.store.tags()) {
      const cell = page.locator(`#tag-${t.tagId} td.num`).nth(3);
      expect(Number(await cell.textContent()), `${t.name} unsure`).to.equal(t.unsure);
      expect(await cell.locator('a').count(), `${t.name}: a link to Judge only where Judge shows them`).to.equal(t.active && t.unsure > 0 ? 1 : 0);
      if (t.active) expect(t.unsure).to.equal(await service.store.judgeCount(t.tagId));
    }
    const old = (await service.store.tag('old'))!;
    expect(old.unsure).to.be.greaterThan(0);
    await page.goto(`${web.url}/judge?tag=old`);
    await page.waitForSelector(`#judge-item >> text=its ${old.unsure} unsure markets are reviewed once it is active again`);
    await expectCountsMatchStore('Judge for an inactive tag');
  });

  it('fits every page in 1280 px with long texts wrapped, and takes a screenshot of each', async () => {
    const pages: Array<[string, string]> = [
      ['tags', '/tags'],
      ['examples', `/examples?tag=elections&q=${encodeURIComponent('race')}`],
      ['history', '/history'],
      ['history-unsure', '/history?decision=UNSURE'],
      ['settings', '/settings'],
      ['pipeline', '/pipeline'],
    ];
    const queue = await service.store.judgeQueue(100);
    const long = queue.findIndex((q) => q.market.question === LONG_QUESTION);
    expect(long, 'the long question waits in Judge').to.be.at.least(0);
    pages.push(['judge-long', `/judge?skip=${long}`]);
    pages.push(['judge', '/judge']);
    const found: Record<string, string[]> = {};
    for (const [name, path] of pages) {
      await page.goto(`${web.url}${path}`);
      if (name === 'examples') await page.waitForSelector('#results tr');
      if (name === 'pipeline') await page.waitForSelector('#pipeline table');
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      const bad = await overflows(page);
      const narrow = await narrowestText(page, LONG_QUESTION.slice(0, 40));
      if (narrow < 300) bad.push(`the long question is ${Math.round(narrow)} px wide`);
      if (bad.length > 0) found[name] = bad;
    }
    console.log(`      screenshots: ${shots}`);
    expect(found).to.deep.equal({});
  });

  it('gives each History row one note box, whatever its decision', async () => {
    await page.goto(`${web.url}/history?current=1`);
    const notes = await page.locator('table.history tbody tr').evaluateAll((rows) => rows.map((r) => r.querySelectorAll('input[name=note]').length));
    expect(notes.length).to.be.greaterThan(0);
    expect(notes.every((n) => n <= 1)).to.equal(true);
  });

  it('ran without a script error or a Content-Security-Policy violation', () => {
    expect(problems).to.deep.equal([]);
  });
});

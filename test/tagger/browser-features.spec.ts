/**
 * Issue 18's review features in a real browser (Debian's chromium through playwright-core), on
 * markets published to pma.markets and two scripted models that disagree on some of them:
 *   - the Examples page and a tag's edit form say what saving re-runs, with the store's numbers;
 *   - Judge offers to undo the decision just made (click or U), which brings the market back;
 *   - the home page sums up markets, tags, both queues and each model's state;
 *   - Tags finds tags by text, hides inactive ones, archives a tag and brings it back;
 *   - History filters by category and pages in a chosen size; example search pages past 20;
 *   - Settings lists the server's installed models with a box each to pick the judge pool;
 *   - Examples tries the prompt on one model: its raw reply (escaped, cut short) and parsed vote;
 *   - every page fits 1280 px; a screenshot of each goes to $TAGGER_SHOTS or a temp dir.
 * Outside CI the suite is pending if chromium is missing.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { type FakeOllama, type FakeReply, marketInPrompt, startFakeOllama } from '../../tagger/ollama/fake-server.ts';
import { TaggerService } from '../../tagger/service.ts';
import { startWebServer, type WebServer } from '../../tagger/web/server.ts';
import { chromiumPath, describeNeeding } from '../prerequisite.ts';
import { until } from '../until.ts';
import { openPage } from './browser-page.ts';
import { type Harness, market, openHarness } from './harness.ts';
import { overflows } from './page-fit.ts';

const { chromium: CHROMIUM, missing } = chromiumPath();

const QUESTIONS = [
  'Will Chen win the Ohio Senate race?',
  'Will Silva win the Texas election?',
  'Will Rossi win the Lisbon Mayor race?',
  'Will Quinn win the Nevada election?',
  'Will Tanaka win the Kyoto Governor race?',
  'Will Bitcoin close above $100k?',
  'Will the Lakers win the title?',
  `Will the race ${'for the long and winding nomination of a candidate '.repeat(8)}end?`,
  // Enough more political markets that History's Politics filter pages past 25 decisions.
  ...[1, 2, 3, 4, 5, 6].map((n) => `Will Lee hold Ohio House seat ${n}?`),
];

/** Model "c" answers the Lakers market with markup and junk: what a prompt trial must show as text, cut short. */
const JUNK = `<script>alert("c")</script>${'x'.repeat(5_000)}`;

/** "a" says yes to any race or election; "b" only to elections, so every "race" waits in Judge. */
function model(request: { model: string; messages: { role: 'system' | 'user' | 'assistant'; content: string }[] }): FakeReply {
  const q = marketInPrompt(request.messages)?.question ?? '';
  if (request.model === 'c' && /Lakers/.test(q)) return { content: JUNK };
  const yes = request.model === 'a' ? /race|election/i.test(q) : /election\?$/i.test(q);
  return { answer: yes ? ('yes' as const) : ('no' as const), confidence: 0.9, reason: yes ? 'an electoral contest' : 'not an election' };
}

describeNeeding('tagger in a browser: re-run notice, Judge undo, home summary, tag search and archive', missing, function () {
  this.timeout(120_000);
  let h: Harness;
  let fake: FakeOllama;
  let service: TaggerService;
  let web: WebServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const shots = process.env.TAGGER_SHOTS ?? mkdtempSync(join(tmpdir(), 'pma-tagger-shots-'));

  before(async () => {
    mkdirSync(shots, { recursive: true });
    h = await openHarness();
    const producer = h.transport.producer();
    await producer.send(
      TOPICS.markets.name,
      QUESTIONS.map((q, i) => market(i + 1, q, { category: /Bitcoin|Lakers/.test(q) ? 'Other' : 'Politics' })).map((m) => ({ key: Buffer.from(m.condition_id), value: h.codecs.markets.encode(m) })),
    );
    await producer.close();
    fake = await startFakeOllama({ models: ['a', 'b', 'c'], reply: model });
    service = await TaggerService.start({
      transport: h.transport,
      serde: h.serde,
      dataDir: h.dir,
      logger: silentLogger,
      overrides: { ollamaUrl: fake.url, models: ['a', 'b'], rule: 'majority', quorum: 2, reviewer: 'tester', minExamples: 0 },
      rerunDelayMs: 60_000,
    });
    for (const [name, description] of [
      ['Elections', 'Markets on who wins an election or a race'],
      ['Old', 'A tag that is switched off'],
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

  it('says on Examples and in the tag editor how many markets saving re-runs and how many human decisions stay', async () => {
    const ids = QUESTIONS.map((_, i) => market(i + 1, '').condition_id);
    await service.setExample('elections', ids[0]!, 'POSITIVE', 'tester');
    await service.decide('elections', ids[1]!, 'NO', 'history', null);
    await service.decide('elections', ids[0]!, 'YES', 'history', null); // an example a person also decided counts once
    const rerun = QUESTIONS.length - 2;
    await page.goto(`${web.url}/examples?tag=elections`);
    const notice = await page.locator('.rerun-notice').textContent();
    expect(notice).to.include(`re-runs the models on ${rerun} markets`);
    expect(notice).to.include('2 human decisions are kept');
    await page.goto(`${web.url}/tags`);
    await page.click('#tag-elections details.edit summary');
    expect(await page.locator('#tag-elections .rerun-notice').textContent()).to.include(`Saving a changed description re-runs the models on ${rerun} markets`);
    expect(await page.locator('#tag-old .rerun-notice').textContent()).to.include('The tag is inactive');
  });

  it('undoes the last Judge decision by click and by key, bringing its market back', async () => {
    await page.goto(`${web.url}/judge`);
    const total = await service.store.judgeCount();
    expect(total).to.be.greaterThan(1);
    for (const how of ['click', 'key'] as const) {
      const first = (await page.locator('#judge-item').getAttribute('data-decision'))!;
      const question = await page.locator('#judge-item h2.question').textContent();
      await page.keyboard.press('y');
      await page.waitForSelector('#judge-item .undo-bar');
      expect(await service.store.judgeCount()).to.equal(total - 1);
      expect(await page.locator('#judge-item .undo-question').textContent()).to.equal(question);
      if (how === 'click') await page.click('#judge-item .undo-bar button');
      else await page.keyboard.press('u');
      await until(async () => (await page.locator('#judge-item .undo-bar').count()) === 0, `the card after undo by ${how}`);
      expect(await page.locator('#judge-item h2.question').textContent(), how).to.equal(question);
      expect(await service.store.judgeCount(), how).to.equal(total);
      expect(await page.locator('#judge-count').textContent(), how).to.equal(String(total));
      const restored = (await page.locator('#judge-item').getAttribute('data-decision'))!;
      const row = (await service.store.decision(restored))!;
      const original = (await service.store.decision(first))!;
      expect(row).to.include({ decision: 'UNSURE', deciderKind: 'model', via: 'undo', current: true, leaning: original.leaning });
      expect(row.votes).to.deep.equal(original.votes);
      // The undone decision stays in the history, superseded.
      expect((await service.store.decision(row.previous!))!).to.include({ deciderKind: 'human', current: false });
    }
  });

  it('refuses to undo a decision that is not the current Judge decision', async () => {
    await page.goto(`${web.url}/judge`);
    const csrf = JSON.parse((await page.locator('body').getAttribute('hx-headers'))!)['x-csrf-token'] as string;
    const post = (decision: string) =>
      page.evaluate(
        async ([d, token]) => {
          const r = await fetch('/judge/undo', {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': token!, 'hx-request': 'true' },
            body: `decision=${encodeURIComponent(d!)}`,
          });
          return { status: r.status, text: await r.text() };
        },
        [decision, csrf],
      );
    const total = await service.store.judgeCount();
    const unknown = await post(`'; DROP TABLE JudgeHistory; --<script>`);
    expect(unknown.text).to.include('no such Judge decision to undo');
    expect(unknown.text).to.not.include('<script>');
    const model = (await service.store.judgeQueue(1))[0]!.history.decisionId;
    expect((await post(model)).text, 'a model decision').to.include('no such Judge decision to undo');
    expect(await service.store.judgeCount()).to.equal(total);
  });

  it('sums up markets, tags, both queues and the models on the home page', async () => {
    await page.goto(`${web.url}/`);
    const value = async (id: string) => Number((await page.locator(`#home-${id} .value`).textContent())!.replace(/,/g, ''));
    expect(await value('markets')).to.equal(await service.store.marketCount());
    expect(await value('tags')).to.equal((await service.store.tags()).filter((t) => t.active).length);
    expect(await value('judge')).to.equal(await service.store.judgeCount());
    expect(await value('waiting')).to.equal(0);
    expect(await page.locator('#home-models tbody tr').allTextContents()).to.deep.equal(['aready', 'bready']);
    await page.click('#home-judge');
    await page.waitForURL(/\/judge$/);
  });

  it('finds tags by text, hides inactive ones, and archives a tag and brings it back', async () => {
    await page.goto(`${web.url}/tags`);
    await page.fill('form.tag-filter input[name=q]', 'ELECT');
    await page.click('form.tag-filter button');
    await page.waitForURL(/q=ELECT/);
    expect(await page.locator('table.tags tbody tr').evaluateAll((rows) => rows.map((r) => r.id))).to.deep.equal(['tag-elections']);
    expect(await page.locator('.shown-count').textContent()).to.include('1 of 2 tags shown');
    await page.fill('form.tag-filter input[name=q]', 'switched off');
    await page.click('form.tag-filter button');
    await page.waitForURL(/q=switched/);
    expect(await page.locator('table.tags tbody tr').evaluateAll((rows) => rows.map((r) => r.id))).to.deep.equal(['tag-old']);
    await page.fill('form.tag-filter input[name=q]', '');
    await page.check('form.tag-filter input[name=hide]');
    await page.click('form.tag-filter button');
    await page.waitForURL(/hide=inactive/);
    expect(await page.locator('table.tags tbody tr').evaluateAll((rows) => rows.map((r) => r.id))).to.deep.equal(['tag-elections']);

    await page.goto(`${web.url}/tags`);
    await page.click('#tag-old button:has-text("Archive")');
    await page.waitForSelector('text=Tag archived');
    expect(await page.locator('#tag-old').count(), 'an archived tag is not listed').to.equal(0);
    expect(await service.store.tag('old')).to.include({ archived: true, active: false });
    let refused: unknown;
    await service.updateTag('old', { active: true }, 'tester').catch((err) => {
      refused = err;
    });
    expect(String(refused)).to.include('archived');
    await page.goto(`${web.url}/examples`);
    expect(await page.locator('select[name=tag] option').allTextContents()).to.deep.equal(['Elections']);
    await page.goto(`${web.url}/history`);
    expect(await page.locator('select[name=tag] option').allTextContents()).to.include('Old (archived)');
    await page.goto(`${web.url}/`);
    expect(await page.locator('#home-tags').textContent()).to.include('1 archived');

    await page.goto(`${web.url}/tags`);
    await page.check('form.tag-filter input[name=archived]');
    await page.click('form.tag-filter button');
    await page.waitForSelector('#tag-old .pill:has-text("archived")');
    await page.click('#tag-old button:has-text("Bring back")');
    await page.waitForSelector('text=Tag brought back');
    expect(await service.store.tag('old')).to.include({ archived: false, active: false });
    expect(await page.locator('#tag-old .pill').textContent()).to.equal('inactive');
  });

  it('filters History by market category and pages it in the chosen size, with counts', async () => {
    const politics = QUESTIONS.filter((q) => !/Bitcoin|Lakers/.test(q));
    await page.goto(`${web.url}/history`);
    expect(await page.locator('select[name=category] option').allTextContents()).to.deep.equal(['any', `Politics (${politics.length})`, 'Other (2)']);
    await page.selectOption('select[name=category]', 'Politics');
    await page.selectOption('select[name=size]', '25');
    await page.click('form.toolbar button:has-text("Filter")');
    await page.waitForURL(/category=Politics/);
    const total = await service.store.historyCount({ category: 'Politics', limit: 0, offset: 0 });
    expect(total).to.be.greaterThan(25);
    const markets = await page.locator('table.history tbody tr td:nth-child(3)').allTextContents();
    expect(markets).to.have.length(25);
    for (const m of markets)
      expect(
        politics.some((q) => q.startsWith(m.trim().slice(0, 30))),
        m,
      ).to.equal(true);
    expect(await page.locator('.pager .shown-count').textContent()).to.equal(`1–25 of ${total} decisions · page 1 of ${Math.ceil(total / 25)}`);
    await page.click('.pager a:has-text("older")');
    await page.waitForURL(/page=1/);
    expect(await page.locator('table.history tbody tr').count()).to.equal(Math.min(25, total - 25));
    expect(await page.locator('.pager .shown-count').textContent()).to.match(new RegExp(`^26–${Math.min(50, total)} of ${total} decisions`));
    expect(await page.locator('select[name=category]').inputValue(), 'the filter stays on the next page').to.equal('Politics');
  });

  it('pages example search results past the first 20, and keeps the page after setting an example', async () => {
    // Straight into the catalogue (not the stream), so the models leave them alone.
    await service.store.upsertMarkets([...Array(30).keys()].map((n) => market(100 + n, `Will team ${n} win the cup?`, { volume: 10_000 - n })));
    await page.goto(`${web.url}/examples?tag=elections&q=cup`);
    expect(await page.locator('#results tbody tr').count()).to.equal(20);
    expect(await page.locator('#results .shown-count').first().textContent()).to.equal('1–20 of 30 markets');
    await page.locator('#results a:has-text("more →")').first().click();
    await page.waitForSelector('#results .shown-count:has-text("21–30 of 30 markets")');
    expect(await page.locator('#results tbody tr td:first-child .clamp').allTextContents()).to.deep.equal([...Array(10).keys()].map((n) => `Will team ${n + 20} win the cup?`));
    expect(await page.locator('#results a:has-text("more →")').count(), 'no page past the last').to.equal(0);
    expect(new URL(page.url()).searchParams.get('page')).to.equal('1');
    await page.locator('#results tbody tr').first().locator('button:has-text("+ Positive")').click();
    await page.waitForSelector('#results tbody tr:first-child .badge.yes');
    expect(new URL(page.url()).searchParams.get('page'), 'still on the second page').to.equal('1');
    expect(await page.locator('#results .shown-count').first().textContent()).to.equal('21–30 of 30 markets');
    await page.goto(`${web.url}/examples?tag=elections&q=cup&page=-3`);
    expect(await page.locator('#results .shown-count').first().textContent(), 'a bad page number is the first page').to.equal('1–20 of 30 markets');
  });

  it('picks the judge pool from the models the server has installed', async () => {
    await page.goto(`${web.url}/settings`);
    await page.waitForSelector('#test-result input[data-model-pick]');
    const boxes = page.locator('#test-result input[data-model-pick]');
    expect(await boxes.evaluateAll((els) => els.map((e) => `${(e as unknown as { value: string }).value}:${(e as unknown as { checked: boolean }).checked}`))).to.deep.equal([
      'a:true',
      'b:true',
      'c:false',
    ]);
    await page.uncheck('#test-result input[value=b]');
    await page.check('#test-result input[value=c]');
    expect(await page.inputValue('input[name=models]')).to.equal('a, c');
    await page.click('button:has-text("Save settings")');
    await page.waitForSelector('text=Settings saved');
    expect(service.settings.models).to.deep.equal(['a', 'c']);
    await page.waitForSelector('#test-result input[value=c]:checked');
    expect(await page.isChecked('#test-result input[value=b]')).to.equal(false);
  });

  it('tries the prompt on one model and shows its raw reply and parsed vote, escaped and cut short', async () => {
    // The Lakers market's decisions (the sweep may be deciding other markets meanwhile).
    const lakers = { text: 'Lakers', limit: 0, offset: 0 };
    const decisions = await service.store.historyCount(lakers);
    await page.goto(`${web.url}/examples?tag=elections&q=Lakers`);
    expect(await page.locator('form.try select[name=model] option').allTextContents()).to.deep.equal(service.settings.models);
    await page.selectOption('form.try select[name=model]', 'a');
    await page.click('form.try button:has-text("Send")');
    await page.waitForSelector('#try-result .badge');
    expect(await page.locator('#try-result p').first().textContent()).to.match(/^a voted does not belong with confidence 0\.90: not an election/);
    expect(JSON.parse((await page.locator('#try-result .raw-reply').textContent())!)).to.include({ answer: 'no' });

    await page.selectOption('form.try select[name=model]', 'c');
    await page.click('form.try button:has-text("Send")');
    await page.waitForSelector('#try-result .try-error');
    expect(await page.locator('#try-result .try-error').textContent()).to.include('not JSON');
    const raw = (await page.locator('#try-result .raw-reply').textContent())!;
    expect(raw).to.equal(JUNK.slice(0, 2_000));
    expect(await page.locator('#try-result').textContent()).to.include(`Raw reply (${JUNK.length.toLocaleString('en-US')} characters, the first 2,000 shown)`);
    expect(await page.locator('#try-result script').count(), 'the reply is text, not markup').to.equal(0);

    const csrf = JSON.parse((await page.locator('body').getAttribute('hx-headers'))!)['x-csrf-token'] as string;
    // Through the page's own session (its cookie), outside the page, so a 422 is no console error.
    const response = await page.request.post(`${web.url}/examples/try`, {
      headers: { 'x-csrf-token': csrf, 'hx-request': 'true', origin: web.url },
      form: { tag: 'elections', model: 'not-chosen', market: market(7, '').condition_id },
    });
    const refused = { status: response.status(), text: await response.text() };
    expect(refused.status).to.equal(422);
    expect(refused.text).to.include('pick one of the chosen models');
    expect(await service.store.historyCount(lakers), 'a trial records nothing').to.equal(decisions);
  });

  it('fits every page in 1280 px, and takes a screenshot of each', async () => {
    const pages: Array<[string, string]> = [
      ['home', '/'],
      ['tags', '/tags'],
      ['examples', `/examples?tag=elections&q=${encodeURIComponent('race')}`],
      ['examples-trial', '/examples?tag=elections&q=Lakers'],
      ['judge', '/judge'],
      ['history', '/history'],
      ['settings', '/settings'],
      ['pipeline', '/pipeline'],
    ];
    const found: Record<string, string[]> = {};
    for (const [name, path] of pages) {
      await page.goto(`${web.url}${path}`);
      if (name === 'examples') await page.waitForSelector('#results tr');
      if (name === 'examples-trial') {
        await page.selectOption('form.try select[name=model]', 'c');
        await page.click('form.try button:has-text("Send")');
        await page.waitForSelector('#try-result .raw-reply');
      }
      if (name === 'pipeline') await page.waitForSelector('#pipeline table');
      if (name === 'tags') for (const summary of await page.locator('details.edit summary').all()) await summary.click();
      if (name === 'judge') {
        await page.keyboard.press('n');
        await page.waitForSelector('#judge-item .undo-bar');
      }
      await page.evaluate('window.scrollTo(0, 0)'); // the sticky header stays on top in a full-page shot
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      const bad = await overflows(page);
      if (bad.length > 0) found[name] = bad;
    }
    console.log(`      screenshots: ${shots}`);
    expect(found).to.deep.equal({});
  });

  it('ran without a script error or a Content-Security-Policy violation', () => {
    expect(problems).to.deep.equal([]);
  });
});

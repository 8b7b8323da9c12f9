/** Examples: attach markets found by text as positive or negative examples of a tag. */
import type { Context } from 'hono';
import { TaggerInputError } from '../../../runtime/errors.ts';
import type { PromptTrial } from '../../classify/try-prompt.ts';
import type { MarketRow, TagRow } from '../../store/tag-store.ts';
import { isHtmx, type RegisterPage, rerunNotices, type WebDeps } from '../deps.ts';
import { html, type SafeHtml } from '../html.ts';
import { badge, csrfField, fmtNum } from '../layout.ts';

const RESULTS = 20;
/** How much of a model's raw reply a trial shows: enough to see what went wrong, never a page of it. */
const RAW_SHOWN = 2_000;
/** The last results page offered: past it, a narrower search is the better tool. */
const MAX_PAGE = 500;

export const registerExamples: RegisterPage = (app, deps) => {
  app.get('/examples', async (c) => deps.page(c, { title: 'Examples', page: 'examples', body: await page(c, deps) }));

  app.get('/examples/results', async (c) => {
    const tags = await deps.service.store.tags();
    const tag = tags.find((t) => t.tagId === c.req.query('tag'));
    return deps.fragment(c, tag ? await results(deps, c, tag, c.req.query('q') ?? '', pageOf(c.req.query('page'))) : html``);
  });

  app.post('/examples', async (c) => {
    const form = await deps.form(c);
    const polarity = form.polarity === 'POSITIVE' || form.polarity === 'NEGATIVE' || form.polarity === 'REMOVED' ? form.polarity : null;
    if (!polarity) return c.text('polarity must be POSITIVE, NEGATIVE or REMOVED', 400);
    await deps.service.setExample(form.tag ?? '', form.market ?? '', polarity, deps.service.settings.reviewer);
    const q = form.q ? `&q=${encodeURIComponent(form.q)}` : '';
    const pageNo = pageOf(form.page);
    return c.redirect(`/examples?tag=${encodeURIComponent(form.tag ?? '')}${q}${pageNo > 0 ? `&page=${pageNo}` : ''}`, 303);
  });

  // A trial of the prompt: one chosen model, one market, once; nothing is recorded.
  app.post('/examples/try', async (c) => {
    const form = await deps.form(c);
    let body: SafeHtml;
    let status: 200 | 422 = 200;
    try {
      body = trialView(await deps.service.tryPrompt(form.tag ?? '', form.market ?? '', form.model ?? ''));
    } catch (err) {
      if (!(err instanceof TaggerInputError)) throw err;
      body = html`<div id="try-result" class="message error">${err.message}</div>`;
      status = 422;
    }
    if (isHtmx(c)) return deps.fragment(c, body, status);
    return deps.page(c, {
      title: 'Prompt trial',
      page: 'examples',
      status,
      body: html`<section class="panel"><h1>Prompt trial</h1>${body}<p><a href="/examples">Back to the examples</a></p></section>`,
    });
  });
};

function trialView(t: PromptTrial): SafeHtml {
  const raw = t.raw ?? '';
  return html`<div id="try-result" class="try-result">
    <p><code>${t.model}</code> ${
      t.answer
        ? html`voted ${badge(t.answer.answer === 'yes' ? 'YES' : t.answer.answer === 'no' ? 'NO' : 'UNSURE')} with confidence ${fmtNum(t.answer.confidence, 2)}: <span class="try-reason">${t.answer.reason}</span>`
        : html`gave no vote: <span class="error-text try-error">${t.error ?? ''}</span>`
    } <span class="muted small">(${fmtNum(t.elapsedMs)} ms)</span></p>
    ${
      t.raw === null
        ? ''
        : html`<div class="muted small">Raw reply (${fmtNum(raw.length)} characters${raw.length > RAW_SHOWN ? `, the first ${fmtNum(RAW_SHOWN)} shown` : ''}):</div><pre class="raw-reply">${raw.slice(0, RAW_SHOWN)}</pre>`
    }
  </div>`;
}

function pageOf(value: string | undefined): number {
  const n = Math.trunc(Number(value ?? 0));
  return Number.isFinite(n) && n > 0 ? Math.min(n, MAX_PAGE) : 0;
}

async function page(c: Context, deps: WebDeps): Promise<SafeHtml> {
  // Archived tags are retired: not offered for examples.
  const tags = (await deps.service.store.tags()).filter((t) => !t.archived);
  const tag = tags.find((t) => t.tagId === c.req.query('tag')) ?? tags.find((t) => t.active) ?? tags[0];
  const q = c.req.query('q') ?? '';
  if (!tag) return html`<section class="panel"><h1>Examples</h1><p class="empty">Create a tag first, on the <a href="/tags">Tags</a> page.</p></section>`;
  const examples = await deps.service.store.examples(tag.tagId);
  return html`
<section class="panel">
  <h1>Examples for <span class="tag-name">${tag.name}</span></h1>
  <form method="get" action="/examples" class="toolbar">
    <label>Tag <select name="tag">${tags.map((t) => html`<option value="${t.tagId}" ${t.tagId === tag.tagId ? html`selected` : ''}>${t.name}${t.active ? '' : ' (inactive)'}</option>`)}</select></label>
    <label class="grow">Find markets <input type="search" name="q" value="${q}" placeholder="words in the question, or a condition id" autofocus
      hx-get="/examples/results" hx-trigger="input changed delay:300ms, search" hx-target="#results" hx-include="closest form"></label>
    <button type="submit">Search</button>
  </form>
  ${(await rerunNotices(deps, [tag], 'Saving an example (adding, removing or switching one)')).get(tag.tagId)}
  <div id="results">${await results(deps, c, tag, q, pageOf(c.req.query('page')))}</div>
</section>
<section class="panel">
  <h2>Current examples <span class="muted">(${examples.filter((e) => e.positive).length} positive, ${examples.filter((e) => !e.positive).length} negative; the newest five of each go into every prompt; the models classify for the tag once it has ${String(deps.service.settings.minExamples)} of each, and never classify an example)</span></h2>
  ${
    examples.length === 0
      ? html`<p class="empty">No examples yet.</p>`
      : html`<table><thead><tr><th>Kind</th><th>Market</th><th></th></tr></thead><tbody>
    ${examples.map(
      (e) => html`<tr>
      <td>${e.positive ? html`<span class="badge yes">positive</span>` : html`<span class="badge no">negative</span>`}</td>
      <td><div class="clamp" title="${e.question ?? e.marketId}">${e.question ?? e.marketId}</div></td>
      <td class="actions">${exampleButton(deps.token(c), tag.tagId, e.marketId, 'REMOVED', 'Remove', q)}</td>
    </tr>`,
    )}
  </tbody></table>`
  }
</section>`;
}

async function results(deps: WebDeps, c: Context, tag: TagRow, q: string, pageNo: number): Promise<SafeHtml> {
  const text = q.trim();
  const [found, total] = await Promise.all([deps.service.store.searchMarkets(text, RESULTS, pageNo * RESULTS), deps.service.store.countMarkets(text)]);
  const examples = new Map((await deps.service.store.examples(tag.tagId)).map((e) => [e.marketId, e.positive]));
  const token = deps.token(c);
  if (found.length === 0 && pageNo > 0 && total > 0) return html`<p class="empty">No more markets match. ${pager(tag.tagId, q, 0, total)}</p>`;
  if (found.length === 0) return html`<p class="empty">${q ? 'No market matches.' : 'No markets in the catalogue yet: they arrive from pma.markets (run an ingest).'}</p>`;
  return html`${pager(tag.tagId, q, pageNo, total)}<table class="results"><thead><tr><th>Market</th><th class="num">Volume</th><th>Example?</th><th></th></tr></thead><tbody>
  ${found.map((m: MarketRow) => {
    const state = examples.get(m.marketId);
    return html`<tr>
      <td><div class="clamp" title="${m.question ?? m.marketId}">${m.question ?? m.marketId}</div><div class="muted small">${m.category ?? ''} ${m.closed ? '· closed' : ''}</div></td>
      <td class="num">${fmtNum(m.volume)}</td>
      <td>${state === undefined ? '—' : state ? html`<span class="badge yes">positive</span>` : html`<span class="badge no">negative</span>`}</td>
      <td class="actions">
        ${state === true ? '' : exampleButton(token, tag.tagId, m.marketId, 'POSITIVE', '+ Positive', q, pageNo)}
        ${state === false ? '' : exampleButton(token, tag.tagId, m.marketId, 'NEGATIVE', '− Negative', q, pageNo)}
        ${state === undefined ? '' : exampleButton(token, tag.tagId, m.marketId, 'REMOVED', 'Remove', q, pageNo)}
      </td>
    </tr>`;
  })}
  </tbody></table>${total > RESULTS ? pager(tag.tagId, q, pageNo, total) : ''}${tryForm(token, tag.tagId, deps.service.settings.models, found)}`;
}

/** Send one of these markets to one model with the tag's prompt, and see its raw reply and vote. */
function tryForm(token: string, tagId: string, models: readonly string[], found: readonly MarketRow[]): SafeHtml {
  if (models.length === 0) return html``;
  return html`<form method="post" action="/examples/try" class="toolbar try" hx-post="/examples/try" hx-target="#try-result" hx-swap="outerHTML">
    ${csrfField(token)}<input type="hidden" name="tag" value="${tagId}">
    <strong class="try-title">Test the prompt</strong>
    <label>Model <select name="model">${models.map((m) => html`<option value="${m}">${m}</option>`)}</select></label>
    <label class="grow">Market <select name="market">${found.map((m) => html`<option value="${m.marketId}">${(m.question ?? m.marketId).slice(0, 150)}</option>`)}</select></label>
    <button type="submit">Send</button>
  </form>
  <div id="try-result"></div>`;
}

/** "21–40 of 57 markets", with links to the pages either side (swapped into #results). */
function pager(tagId: string, q: string, pageNo: number, total: number): SafeHtml {
  const first = pageNo * RESULTS;
  const link = (n: number, label: string) => {
    const query = `tag=${encodeURIComponent(tagId)}&q=${encodeURIComponent(q)}&page=${n}`;
    return html`<a href="/examples?${query}" hx-get="/examples/results?${query}" hx-target="#results" hx-push-url="/examples?${query}">${label}</a>`;
  };
  return html`<nav class="pager results-pager">
    ${pageNo > 0 ? link(pageNo - 1, '← previous') : ''}
    <span class="muted shown-count">${fmtNum(Math.min(first + 1, total))}–${fmtNum(Math.min(first + RESULTS, total))} of ${fmtNum(total)} market${total === 1 ? '' : 's'}</span>
    ${first + RESULTS < total && pageNo < MAX_PAGE ? link(pageNo + 1, 'more →') : ''}
  </nav>`;
}

function exampleButton(token: string, tagId: string, marketId: string, polarity: string, label: string, q: string, pageNo = 0): SafeHtml {
  return html`<form method="post" action="/examples" class="inline">
    ${csrfField(token)}<input type="hidden" name="tag" value="${tagId}"><input type="hidden" name="market" value="${marketId}">
    <input type="hidden" name="polarity" value="${polarity}"><input type="hidden" name="q" value="${q}"><input type="hidden" name="page" value="${String(pageNo)}">
    <button type="submit">${label}</button></form>`;
}

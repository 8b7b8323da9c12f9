/**
 * Judge: the review queue of markets the models disagreed on or were unsure about. One item at
 * a time with the question, the tag's description, and each model's answer and reason; a click
 * or a key (A accept the models' leaning, R reject it, Y belongs, N does not, S skip) decides,
 * and the next item replaces it at once, offering to undo (U) the decision just made.
 */
import type { Context } from 'hono';
import { TaggerInputError } from '../../../runtime/errors.ts';
import { describeSign, instructionSign } from '../../classify/instruction-signs.ts';
import type { JudgeItem } from '../../store/tag-store.ts';
import { isHtmx, type RegisterPage, type WebDeps } from '../deps.ts';
import { html, type SafeHtml } from '../html.ts';
import { badge, csrfField, fmtNum, fmtTime, judgeBadge } from '../layout.ts';

const MAX_SKIP = 1_000;
/** Past this many characters a question is set in body size: a headline of a page of text is hard to read. */
const LONG_QUESTION = 200;

export const registerJudge: RegisterPage = (app, deps) => {
  app.get('/judge', async (c) => {
    const filter = c.req.query('tag') ?? '';
    const body = html`
<section class="panel">
  <form method="get" action="/judge" class="toolbar">
    <h1>Judge</h1>
    <label>Tag ${await tagSelect(deps, filter)}</label>
    <button type="submit">Show</button>
    <span class="hint keys">Keys: <kbd>A</kbd> accept leaning · <kbd>R</kbd> reject leaning · <kbd>Y</kbd> belongs · <kbd>N</kbd> does not · <kbd>S</kbd> skip · <kbd>U</kbd> undo</span>
  </form>
</section>
${await item(c, deps, filter, skipOf(c.req.query('skip')))}`;
    return deps.page(c, { title: 'Judge', page: 'judge', body });
  });

  app.get('/judge/item', async (c) => {
    const filter = c.req.query('tag') ?? '';
    return deps.fragment(c, await withCounts(deps, filter, await item(c, deps, filter, skipOf(c.req.query('skip')))));
  });

  app.post('/judge/decide', async (c) => {
    const form = await deps.form(c);
    const decision = form.decision === 'YES' || form.decision === 'NO' ? form.decision : null;
    const filter = form.filter ?? '';
    const skip = skipOf(form.skip);
    let notice: string | null = null;
    let undo: Undo | null = null;
    if (!decision) return c.text('decision must be YES or NO', 400);
    try {
      const decisionId = await deps.service.decide(form.tag ?? '', form.market ?? '', decision, 'judge', null, form.expect ?? '');
      const market = await deps.service.store.market(form.market ?? '');
      undo = { decisionId, decision, question: market?.question ?? form.market ?? '' };
    } catch (err) {
      if (!(err instanceof TaggerInputError)) throw err;
      notice = err.message;
    }
    if (!isHtmx(c)) return c.redirect(`/judge?tag=${encodeURIComponent(filter)}&skip=${skip}`, 303);
    return deps.fragment(c, await withCounts(deps, filter, await item(c, deps, filter, skip, notice, undo)));
  });

  // Takes back the decision just made: its market comes back as the card, whatever its place in the queue.
  app.post('/judge/undo', async (c) => {
    const form = await deps.form(c);
    const filter = form.filter ?? '';
    const skip = skipOf(form.skip);
    let notice: string | null = null;
    let restored: JudgeItem | undefined;
    try {
      const pair = await deps.service.undoJudgeDecision(form.decision ?? '');
      restored = await deps.service.store.judgeItem(pair.marketId, pair.tagId);
    } catch (err) {
      if (!(err instanceof TaggerInputError)) throw err;
      notice = err.message;
    }
    if (!isHtmx(c)) return c.redirect(`/judge?tag=${encodeURIComponent(filter)}&skip=${skip}`, 303);
    const card = restored ? render(deps.token(c), restored, filter, skip, await deps.service.store.judgeCount(filter || undefined), null, null) : await item(c, deps, filter, skip, notice);
    return deps.fragment(c, await withCounts(deps, filter, card));
  });
};

/** The decision just made on Judge, offered for undoing on the next card. */
interface Undo {
  decisionId: string;
  decision: 'YES' | 'NO';
  question: string;
}

function undoBar(token: string, undo: Undo | null, filter: string, skip: number): SafeHtml {
  if (!undo) return html``;
  return html`<div class="undo-bar" role="status">
    <span class="undo-what">Recorded ${badge(undo.decision)} for <span class="undo-question">${undo.question}</span></span>
    <form method="post" action="/judge/undo" class="inline" hx-post="/judge/undo" hx-target="#judge-item" hx-swap="outerHTML">
      ${csrfField(token)}<input type="hidden" name="decision" value="${undo.decisionId}">
      <input type="hidden" name="filter" value="${filter}"><input type="hidden" name="skip" value="${String(skip)}">
      <button type="submit" data-key="u">Undo <kbd>U</kbd></button></form>
  </div>`;
}

function skipOf(value: string | undefined): number {
  const n = Number(value ?? 0);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, MAX_SKIP) : 0;
}

/**
 * The tag filter with each active tag's queue length. Re-sent out of band with every card, as is
 * the navigation count, so no count on the page is older than the last decision.
 */
async function tagSelect(deps: WebDeps, filter: string, oob = false): Promise<SafeHtml> {
  const tags = (await deps.service.store.tags()).filter((t) => t.active);
  const all = await deps.service.store.judgeCount();
  return html`<select name="tag" id="judge-tags" ${oob ? html`hx-swap-oob="true"` : ''}><option value="">all active tags (${all})</option>${tags.map(
    (t) => html`<option value="${t.tagId}" ${t.tagId === filter ? html`selected` : ''}>${t.name} (${t.unsure})</option>`,
  )}</select>`;
}

async function item(c: Context, deps: WebDeps, filter: string, skip: number, notice: string | null = null, undo: Undo | null = null): Promise<SafeHtml> {
  const store = deps.service.store;
  const queue = await store.judgeQueue(skip + 1, filter || undefined);
  const waiting = await store.judgeCount(filter || undefined);
  const current = queue[skip];
  if (!current) {
    const tag = filter ? await store.tag(filter) : undefined;
    const why =
      tag && !tag.active
        ? html`The tag <strong>${tag.name}</strong> is inactive: its ${fmtNum(tag.unsure)} unsure markets are reviewed once it is active again (Tags page).`
        : skip > 0 && waiting > 0
          ? html`You skipped the rest. <a href="/judge?tag=${encodeURIComponent(filter)}">Start over</a>.`
          : 'Nothing to review. The models agreed on everything so far.';
    return html`<section id="judge-item" class="panel judge empty-queue">
      ${notice ? html`<p class="message error">${notice}</p>` : ''}
      ${undoBar(deps.token(c), undo, filter, skip)}
      <p class="empty">${why}</p>
    </section>`;
  }
  return render(deps.token(c), current, filter, skip, waiting, notice, undo);
}

/** A card for an htmx swap, with the navigation count and the tag filter replaced beside it. */
async function withCounts(deps: WebDeps, filter: string, card: SafeHtml): Promise<SafeHtml> {
  return html`${card}${judgeBadge(await deps.service.store.judgeCount(), true)}${await tagSelect(deps, filter, true)}`;
}

function render(token: string, { history: h, market, tag }: JudgeItem, filter: string, skip: number, waiting: number, notice: string | null, undo: Undo | null): SafeHtml {
  const leaning = h.leaning === 'YES' || h.leaning === 'NO' ? h.leaning : null;
  const opposite = leaning === 'YES' ? 'NO' : 'YES';
  // Recomputed from the text shown, so the warning also covers decisions made before the check existed.
  const sign = instructionSign({ question: market.question ?? market.marketId, description: market.description, outcomes: market.outcomes });
  const button = (decision: 'YES' | 'NO', key: string, label: string, cls = '') => html`<form method="post" action="/judge/decide" class="inline"
      hx-post="/judge/decide" hx-target="#judge-item" hx-swap="outerHTML">
      ${csrfField(token)}
      <input type="hidden" name="tag" value="${tag.tagId}"><input type="hidden" name="market" value="${market.marketId}">
      <input type="hidden" name="decision" value="${decision}"><input type="hidden" name="expect" value="${h.decisionId}">
      <input type="hidden" name="filter" value="${filter}"><input type="hidden" name="skip" value="${String(skip)}">
      <button type="submit" class="${cls}" data-key="${key}">${label} <kbd>${key.toUpperCase()}</kbd></button></form>`;
  return html`<section id="judge-item" class="panel judge" data-decision="${h.decisionId}">
  ${notice ? html`<p class="message error">${notice}</p>` : ''}
  ${undoBar(token, undo, filter, skip)}
  <div class="judge-head"><span>Tag <strong class="tag-name">${tag.name}</strong></span><span class="muted waiting">${fmtNum(waiting)} waiting${filter ? html` for ${tag.name}` : ''} · item ${skip + 1}</span></div>
  <p class="tag-desc">${tag.description || html`<em class="muted">no description</em>`}</p>
  ${sign ? html`<p class="message warn injection" role="note">Careful: ${describeSign(sign)}. The models' answers below may be what the text told them to say.</p>` : ''}
  <h2 class="question ${(market.question ?? '').length > LONG_QUESTION ? 'long' : ''}">${market.question ?? market.marketId}</h2>
  <div class="market-meta muted small">${market.category ? `${market.category} · ` : ''}volume ${fmtNum(market.volume)} · <code>${market.marketId}</code></div>
  ${market.description ? html`<div class="market-desc">${market.description}</div>` : ''}
  <table class="votes">
    <thead><tr><th>Model</th><th>Answer</th><th class="num">Confidence</th><th>Reason</th></tr></thead>
    <tbody>${h.votes.map(
      (v) => html`<tr>
        <td><code>${v.model}</code></td>
        <td>${v.answer ? badge(v.answer) : html`<span class="badge failed">failed</span>`}</td>
        <td class="num">${v.confidence === null ? '—' : fmtNum(v.confidence, 2)}</td>
        <td>${v.error ? html`<span class="error-text">${v.error}</span>` : v.reason}</td>
      </tr>`,
    )}</tbody>
  </table>
  <p class="basis">${leaning ? html`Models lean <strong>${leaning === 'YES' ? 'belongs' : 'does not belong'}</strong>.` : 'No leaning.'} <span class="muted">${h.reason ?? ''} · ${fmtTime(h.decidedAt)}</span></p>
  <div class="decide">
    ${leaning ? button(leaning, 'a', 'Accept', 'primary') : ''}
    ${leaning ? button(opposite, 'r', 'Reject') : ''}
    ${button('YES', 'y', 'Belongs', 'yes')}
    ${button('NO', 'n', 'Does not belong', 'no')}
    <a class="button" href="/judge?tag=${encodeURIComponent(filter)}&skip=${String(skip + 1)}" hx-get="/judge/item?tag=${encodeURIComponent(filter)}&skip=${String(skip + 1)}" hx-target="#judge-item" hx-swap="outerHTML" data-key="s">Skip <kbd>S</kbd></a>
  </div>
</section>`;
}

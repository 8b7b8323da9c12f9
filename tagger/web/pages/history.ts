/**
 * History: every decision, the models' and people's, newest first, filterable. Changing a
 * decision records a new one that names the one it supersedes; nothing is overwritten.
 */
import type { Context } from 'hono';
import type { HistoryFilter, HistoryRow } from '../../store/tag-store.ts';
import { type RegisterPage, safeBack, type WebDeps } from '../deps.ts';
import { html, type SafeHtml } from '../html.ts';
import { badge, csrfField, fmtNum, fmtTime } from '../layout.ts';

/** The page sizes offered; the first is the default. */
const PAGE_SIZES = [50, 25, 100, 200];

export const registerHistory: RegisterPage = (app, deps) => {
  app.get('/history', async (c) => {
    const done = c.req.query('done') === 'changed' ? { kind: 'ok' as const, text: 'Decision recorded; the earlier one stays in the history.' } : null;
    return deps.page(c, { title: 'History', page: 'history', body: await page(c, deps), message: done });
  });

  app.post('/history/decide', async (c) => {
    const form = await deps.form(c);
    const decision = form.decision === 'YES' || form.decision === 'NO' ? form.decision : null;
    if (!decision) return c.text('decision must be YES or NO', 400);
    await deps.service.decide(form.tag ?? '', form.market ?? '', decision, 'history', form.note?.trim() || null, form.expect ?? '');
    const back = safeBack(form.back, '/history');
    return c.redirect(`${back}${back.includes('?') ? '&' : '?'}done=changed`, 303);
  });
};

function filterOf(c: Context): HistoryFilter & { page: number; size: number } {
  const q = (k: string) => c.req.query(k)?.trim().slice(0, 500) || undefined;
  const oneOf = (v: string | undefined, allowed: string[]) => (v && allowed.includes(v) ? v : undefined);
  const pageNo = Math.max(0, Math.min(10_000, Math.trunc(Number(q('page') ?? 0)) || 0));
  const size = PAGE_SIZES.find((n) => String(n) === q('size')) ?? PAGE_SIZES[0]!;
  return {
    tagId: q('tag'),
    decision: oneOf(q('decision'), ['YES', 'NO', 'UNSURE']),
    deciderKind: oneOf(q('kind'), ['model', 'human']),
    text: q('q'),
    category: q('category'),
    currentOnly: q('current') === '1',
    limit: size,
    offset: pageNo * size,
    page: pageNo,
    size,
  };
}

async function page(c: Context, deps: WebDeps): Promise<SafeHtml> {
  const f = filterOf(c);
  const [tags, rows, total, categories] = await Promise.all([deps.service.store.tags(), deps.service.store.history(f), deps.service.store.historyCount(f), deps.service.store.categories()]);
  const more = f.offset + rows.length < total;
  const token = deps.token(c);
  const here = c.req.url.slice(new URL(c.req.url).origin.length).replace(/([?&])done=changed&?/, '$1');
  const link = (pageNo: number) => {
    const u = new URL(c.req.url);
    u.searchParams.set('page', String(pageNo));
    u.searchParams.delete('done');
    return `${u.pathname}${u.search}`;
  };
  const option = (value: string, label: string, selected: string | undefined) => html`<option value="${value}" ${value === (selected ?? '') ? html`selected` : ''}>${label}</option>`;
  return html`
<section class="panel">
  <h1>History</h1>
  <form method="get" action="/history" class="toolbar">
    <label>Tag <select name="tag">${option('', 'all', f.tagId)}${tags.map((t) => option(t.tagId, t.archived ? `${t.name} (archived)` : t.name, f.tagId))}</select></label>
    <label>Decision <select name="decision">${option('', 'any', f.decision)}${option('YES', 'belongs', f.decision)}${option('NO', 'does not belong', f.decision)}${option('UNSURE', 'unsure', f.decision)}</select></label>
    <label>By <select name="kind">${option('', 'anyone', f.deciderKind)}${option('model', 'models', f.deciderKind)}${option('human', 'people', f.deciderKind)}</select></label>
    <label>Category <select name="category">${option('', 'any', f.category)}${categories.map((k) => option(k.category, `${k.category} (${fmtNum(k.markets)})`, f.category))}${
      f.category && !categories.some((k) => k.category === f.category) ? option(f.category, `${f.category} (0)`, f.category) : ''
    }</select></label>
    <label class="grow">Market <input type="search" name="q" value="${f.text ?? ''}" placeholder="words in the question, or a condition id"></label>
    <label>Per page <select name="size">${PAGE_SIZES.map((n) => option(String(n), String(n), String(f.size)))}</select></label>
    <label class="check"><input type="checkbox" name="current" value="1" ${f.currentOnly ? html`checked` : ''}> current only</label>
    <button type="submit">Filter</button>
  </form>
  ${
    rows.length === 0
      ? html`<p class="empty">No decision matches.</p>`
      : html`<table class="history">
    <colgroup><col class="when"><col class="tag"><col class="market"><col class="decision"><col class="by"><col class="why"><col class="change"></colgroup>
    <thead><tr><th>When</th><th>Tag</th><th>Market</th><th>Decision</th><th>By</th><th>Why</th><th>Change</th></tr></thead>
    <tbody>${rows.map((r) => row(token, r, here))}</tbody>
  </table>`
  }
  <nav class="pager">
    ${f.page > 0 ? html`<a href="${link(f.page - 1)}">← newer</a>` : ''}
    <span class="muted shown-count">${rows.length === 0 ? `none of ${fmtNum(total)}` : `${fmtNum(f.offset + 1)}–${fmtNum(f.offset + rows.length)} of ${fmtNum(total)} decisions`} · page ${f.page + 1} of ${fmtNum(Math.max(1, Math.ceil(total / f.size)))}</span>
    ${more ? html`<a href="${link(f.page + 1)}">older →</a>` : ''}
  </nav>
</section>`;
}

function row(token: string, r: HistoryRow, back: string): SafeHtml {
  const by = r.deciderKind === 'human' ? html`<span class="who human">${r.decider}</span>` : html`<span class="who model">${r.decider}</span>`;
  // One form per row: the button pressed says the decision, so an UNSURE row has one note box, not one per side.
  const change = (decisions: Array<['YES' | 'NO', string]>) => html`<form method="post" action="/history/decide" class="change">
    ${csrfField(token)}<input type="hidden" name="tag" value="${r.tagId}"><input type="hidden" name="market" value="${r.marketId}">
    <input type="hidden" name="expect" value="${r.decisionId}"><input type="hidden" name="back" value="${back}">
    <input name="note" placeholder="note (optional)" maxlength="500" class="note">
    ${decisions.map(([decision, label]) => html`<button type="submit" name="decision" value="${decision}">${label}</button>`)}</form>`;
  const sides: Array<['YES' | 'NO', string]> = [
    ['YES', 'Set belongs'],
    ['NO', 'Set does not belong'],
  ];
  return html`<tr class="${r.current ? 'current' : 'superseded'}" data-decision="${r.decisionId}">
    <td class="small">${fmtTime(r.decidedAt)}</td>
    <td>${r.tagName ?? r.tagId}</td>
    <td><div class="clamp" title="${r.question ?? r.marketId}">${r.question ?? r.marketId}</div></td>
    <td>${badge(r.decision)} ${r.current ? html`<span class="pill on">current</span>` : html`<span class="pill off">superseded</span>`}</td>
    <td>${by}<div class="muted small">${r.via ?? ''}</div></td>
    <td>
      ${r.reason ?? ''}
      ${
        r.votes.length > 0
          ? html`<details><summary>${r.votes.length} vote${r.votes.length === 1 ? '' : 's'}</summary><ul class="votes-list">${r.votes.map(
              (v) => html`<li><code>${v.model}</code>: ${v.answer ?? 'failed'}${v.confidence === null ? '' : ` (${fmtNum(v.confidence, 2)})`} — ${v.error ?? v.reason ?? ''}</li>`,
            )}</ul></details>`
          : ''
      }
    </td>
    <td>${r.current ? change(sides.filter(([side]) => side !== r.decision)) : ''}</td>
  </tr>`;
}

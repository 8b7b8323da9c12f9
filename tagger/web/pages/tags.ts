/** Tags: create, rename, describe, activate and deactivate; counts per decision state. */

import { missingExamples } from '../../processor/readiness.ts';
import type { TagRow } from '../../store/tag-store.ts';
import { type RegisterPage, rerunNotices, type WebDeps } from '../deps.ts';
import { html } from '../html.ts';
import { csrfField, fmtNum, fmtTime } from '../layout.ts';

const DONE: Record<string, string> = {
  created: 'Tag created. Add examples on the Examples page: the models classify the catalogue for it once it has enough of each kind.',
  saved: 'Tag saved.',
  activated: 'Tag activated; its markets are classified once it has enough examples.',
  deactivated: 'Tag deactivated; no more markets are classified for it.',
  rerun: 'The models will decide this tag again (people’s decisions stay).',
  archived: 'Tag archived: it is no longer classified nor listed (tick “show archived” to see it); its decisions stay in History.',
  restored: 'Tag brought back, inactive: activate it to classify its markets again.',
};

export const registerTags: RegisterPage = (app, deps) => {
  app.get('/tags', async (c) => {
    const done = c.req.query('done');
    return deps.page(c, {
      title: 'Tags',
      page: 'tags',
      body: await body(deps, deps.token(c), await deps.service.store.tags(), {}, viewOf(c.req.query('q'), c.req.query('hide'), c.req.query('archived'))),
      message: done && DONE[done] ? { kind: 'ok', text: DONE[done] } : null,
    });
  });

  app.post('/tags', async (c) => {
    const form = await deps.form(c);
    const id = await deps.service.createTag(form.name ?? '', form.description ?? '', deps.service.settings.reviewer).catch((err) => err as Error);
    if (id instanceof Error) {
      return deps.page(c, {
        title: 'Tags',
        page: 'tags',
        status: 422,
        message: { kind: 'error', text: id.message },
        body: await body(deps, deps.token(c), await deps.service.store.tags(), form),
      });
    }
    return c.redirect('/tags?done=created', 303);
  });

  app.post('/tags/:id', async (c) => {
    const form = await deps.form(c);
    const error = await deps.service.updateTag(c.req.param('id'), { name: form.name ?? '', description: form.description ?? '' }, deps.service.settings.reviewer).then(
      () => null,
      (err: Error) => err,
    );
    if (error)
      return deps.page(c, {
        title: 'Tags',
        page: 'tags',
        status: 422,
        message: { kind: 'error', text: error.message },
        body: await body(deps, deps.token(c), await deps.service.store.tags(), {}),
      });
    return c.redirect('/tags?done=saved', 303);
  });

  app.post('/tags/:id/active', async (c) => {
    const form = await deps.form(c);
    const active = form.active === 'true';
    await deps.service.updateTag(c.req.param('id'), { active }, deps.service.settings.reviewer);
    return c.redirect(`/tags?done=${active ? 'activated' : 'deactivated'}`, 303);
  });

  app.post('/tags/:id/archive', async (c) => {
    const form = await deps.form(c);
    const archived = form.archived === 'true';
    await deps.service.archiveTag(c.req.param('id'), archived, deps.service.settings.reviewer);
    return c.redirect(`/tags?done=${archived ? 'archived' : 'restored'}${archived ? '' : '&archived=1'}`, 303);
  });

  app.post('/tags/:id/reclassify', async (c) => {
    await deps.form(c);
    await deps.service.reclassifyTag(c.req.param('id'));
    return c.redirect('/tags?done=rerun', 303);
  });
};

/**
 * Which tags the list shows: those whose name, id or description contains `q`; inactive ones
 * unless hidden; archived ones only when asked for.
 */
interface TagView {
  q: string;
  hideInactive: boolean;
  showArchived: boolean;
}

const DEFAULT_VIEW: TagView = { q: '', hideInactive: false, showArchived: false };

function viewOf(q: string | undefined, hide: string | undefined, archived: string | undefined): TagView {
  return { q: (q ?? '').trim().slice(0, 200), hideInactive: hide === 'inactive', showArchived: archived === '1' };
}

function shown(tags: TagRow[], view: TagView): TagRow[] {
  const q = view.q.toLowerCase();
  return tags.filter(
    (t) => (view.showArchived || !t.archived) && (!view.hideInactive || t.active || t.archived) && (q === '' || [t.name, t.tagId, t.description].some((text) => text.toLowerCase().includes(q))),
  );
}

async function body(deps: WebDeps, token: string, all: TagRow[], draft: Record<string, string>, view: TagView = DEFAULT_VIEW) {
  const minExamples = deps.service.settings.minExamples;
  const tags = shown(all, view);
  const notices = await rerunNotices(deps, tags, 'Saving a changed description');
  const hidden = all.length - tags.length;
  return html`
<section class="panel">
  <h1>Tags</h1>
  <p class="hint">A tag is a question the models answer for every market: does this market belong? Describe it well and give examples; the models see both.</p>
  <form method="post" action="/tags" class="create">
    ${csrfField(token)}
    <label>Name <input name="name" required maxlength="80" value="${draft.name ?? ''}" placeholder="e.g. US elections"></label>
    <label class="grow">Description <input name="description" maxlength="2000" value="${draft.description ?? ''}" placeholder="What belongs, what does not"></label>
    <button type="submit" class="primary">Create tag</button>
  </form>
</section>
<section class="panel">
  ${
    all.length === 0
      ? ''
      : html`<form method="get" action="/tags" class="toolbar tag-filter">
    <label class="grow">Find tags <input type="search" name="q" value="${view.q}" maxlength="200" placeholder="words in the name or description"></label>
    <label class="check"><input type="checkbox" name="hide" value="inactive" ${view.hideInactive ? html`checked` : ''}> hide inactive tags</label>
    <label class="check"><input type="checkbox" name="archived" value="1" ${view.showArchived ? html`checked` : ''}> show archived tags (${all.filter((t) => t.archived).length})</label>
    <button type="submit">Show</button>
    <span class="muted small shown-count">${tags.length} of ${all.length} tags shown${hidden > 0 ? html` · <a href="/tags">show all</a>` : ''}</span>
  </form>`
  }
  ${
    all.length === 0
      ? html`<p class="empty">No tags yet. Create one above.</p>`
      : tags.length === 0
        ? html`<p class="empty">No tag matches.</p>`
        : html`<table class="tags">
    <thead><tr><th>Tag</th><th>Status</th><th class="num">Examples</th><th class="num">Belongs</th><th class="num">Does not</th><th class="num">Unsure</th><th class="num">By people</th><th>Actions</th></tr></thead>
    <tbody>
    ${tags.map(
      (t) => html`<tr id="tag-${t.tagId}" class="${t.active ? '' : 'inactive'} ${t.archived ? 'archived' : ''}">
      <td>
        <strong class="tag-name">${t.name}</strong> <code class="muted">${t.tagId}</code>
        <div class="desc">${t.description || html`<em class="muted">no description</em>`}</div>
        <details class="edit">
          <summary>Edit</summary>
          <form method="post" action="/tags/${encodeURIComponent(t.tagId)}">
            ${csrfField(token)}
            <label>Name <input name="name" required maxlength="80" value="${t.name}"></label>
            <label>Description <textarea name="description" maxlength="2000" rows="3">${t.description}</textarea></label>
            ${notices.get(t.tagId)}
            <button type="submit" class="edit-save">Save</button>
          </form>
        </details>
        <div class="muted small">changed ${fmtTime(t.updatedAt)} by ${t.updatedBy}</div>
      </td>
      <td>${t.archived ? html`<span class="pill off">archived</span>` : t.active ? html`<span class="pill on">active</span>` : html`<span class="pill off">inactive</span>`}${
        t.active && missingExamples(t, minExamples) ? html`<div class="small waiting">Waiting for examples: ${missingExamples(t, minExamples)}</div>` : ''
      }</td>
      <td class="num"><a href="/examples?tag=${encodeURIComponent(t.tagId)}">+${t.positives} / −${t.negatives}</a></td>
      <td class="num">${fmtNum(t.yes)}</td>
      <td class="num">${fmtNum(t.no)}</td>
      <td class="num">${
        t.unsure === 0
          ? '0'
          : t.active
            ? html`<a href="/judge?tag=${encodeURIComponent(t.tagId)}">${fmtNum(t.unsure)}</a>`
            : html`<span title="Judge reviews active tags only: activate the tag to review these">${fmtNum(t.unsure)}</span>`
      }</td>
      <td class="num">${fmtNum(t.human)}</td>
      <td class="actions">${t.archived ? restoreAction(token, t) : actions(token, t)}<a href="/history?tag=${encodeURIComponent(t.tagId)}">History</a></td>
    </tr>`,
    )}
    </tbody>
  </table>`
  }
</section>`;
}

function actions(token: string, t: TagRow) {
  const id = encodeURIComponent(t.tagId);
  return html`<form method="post" action="/tags/${id}/active">
          ${csrfField(token)}<input type="hidden" name="active" value="${t.active ? 'false' : 'true'}">
          <button type="submit">${t.active ? 'Deactivate' : 'Activate'}</button>
        </form>
        <form method="post" action="/tags/${id}/reclassify">
          ${csrfField(token)}<button type="submit" title="The models decide again; people’s decisions stay">Re-run models</button>
        </form>
        <form method="post" action="/tags/${id}/archive">
          ${csrfField(token)}<input type="hidden" name="archived" value="true">
          <button type="submit" title="Stop classifying it and leave it out of the lists; its decisions stay">Archive</button>
        </form>`;
}

function restoreAction(token: string, t: TagRow) {
  return html`<form method="post" action="/tags/${encodeURIComponent(t.tagId)}/archive">
          ${csrfField(token)}<input type="hidden" name="archived" value="false">
          <button type="submit" title="Back in the lists, inactive">Bring back</button>
        </form>`;
}

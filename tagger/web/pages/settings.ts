/**
 * Settings: Ollama URL, models, voting rule, threshold, quorum, concurrency. The server's installed
 * models are listed on load (and again on "Test connection") with a box each: ticking one puts it
 * in the models field (app.js), so no name has to be typed; a name can still be typed.
 */
import type { Context } from 'hono';
import { describeError } from '../../../runtime/errors.ts';
import type { ModelInfo } from '../../ollama/types.ts';
import type { TaggerSettings } from '../../settings.ts';
import type { RegisterPage, WebDeps } from '../deps.ts';
import { html, type SafeHtml } from '../html.ts';
import { csrfField } from '../layout.ts';

/** The most installed models listed with a box; a server's list is outside input, and a page of thousands helps no one. */
const MAX_LISTED = 200;

export const registerSettings: RegisterPage = (app, deps) => {
  app.get('/settings', async (c) => {
    const saved = c.req.query('done') === 'saved' ? { kind: 'ok' as const, text: 'Settings saved; they apply to the next request.' } : null;
    return deps.page(c, { title: 'Settings', page: 'settings', body: await form(c, deps, deps.service.settings), message: saved });
  });

  app.post('/settings', async (c) => {
    const f = await deps.form(c);
    const value = {
      ollamaUrl: f.ollamaUrl?.trim(),
      models: (f.models ?? '').split(/[\s,]+/).filter(Boolean),
      rule: f.rule,
      quorum: Number(f.quorum),
      threshold: Number(f.threshold),
      concurrency: Number(f.concurrency),
      timeoutSeconds: Number(f.timeoutSeconds),
      minExamples: f.minExamples === undefined ? deps.service.settings.minExamples : Number(f.minExamples),
      stream: f.stream === 'on',
      reviewer: f.reviewer?.trim(),
    };
    try {
      await deps.service.saveSettings(value, value.reviewer || deps.service.settings.reviewer);
    } catch (err) {
      const draft = { ...deps.service.settings, ...value } as TaggerSettings;
      return deps.page(c, { title: 'Settings', page: 'settings', status: 422, message: { kind: 'error', text: (err as Error).message }, body: await form(c, deps, draft) });
    }
    return c.redirect('/settings?done=saved', 303);
  });

  app.post('/settings/test', async (c) => {
    const f = await deps.form(c);
    const chosen = f.models === undefined ? deps.service.settings.models : f.models.split(/[\s,]+/).filter(Boolean);
    return deps.fragment(c, await testResult(deps, f.ollamaUrl?.trim() || deps.service.settings.ollamaUrl, chosen));
  });
};

async function testResult(deps: WebDeps, url: string, chosen: readonly string[]): Promise<SafeHtml> {
  let models: ModelInfo[];
  try {
    models = await deps.service.testConnection(url);
  } catch (err) {
    return html`<div id="test-result" class="message error">Cannot list models at ${url}: ${describeError(err)}</div>`;
  }
  const missing = chosen.filter((m) => !models.some((x) => x.name === m));
  return html`<div id="test-result" class="message ok">
    <p>${url} answers with ${models.length} model${models.length === 1 ? '' : 's'}:</p>
    <ul class="models picker">${models
      .slice(0, MAX_LISTED)
      .map(
        (m) =>
          html`<li><label class="check"><input type="checkbox" data-model-pick value="${m.name}" ${chosen.includes(m.name) ? html`checked` : ''}> <code>${m.name}</code> <span class="muted">${m.parameterSize ?? ''} ${m.family ?? ''}</span></label></li>`,
      )}</ul>
    ${models.length > MAX_LISTED ? html`<p class="hint">and ${models.length - MAX_LISTED} more: type their names below.</p>` : ''}
    <p class="hint">Tick the models of the judge pool; the models field below follows.</p>
    ${missing.length > 0 ? html`<p class="error-text">Not on this server: ${missing.join(', ')}</p>` : ''}
  </div>`;
}

async function form(c: Context, deps: WebDeps, s: TaggerSettings): Promise<SafeHtml> {
  const token = deps.token(c);
  const rule = (value: string, label: string, help: string) =>
    html`<label class="radio"><input type="radio" name="rule" value="${value}" ${s.rule === value ? html`checked` : ''}> <strong>${label}</strong> <span class="muted">${help}</span></label>`;
  return html`
<section class="panel">
  <h1>Settings</h1>
  <form method="post" action="/settings" class="settings">
    ${csrfField(token)}
    <fieldset>
      <legend>Ollama</legend>
      <label>Base URL <input name="ollamaUrl" value="${s.ollamaUrl}" required></label>
      <button type="button" hx-post="/settings/test" hx-include="closest form" hx-target="#test-result" hx-swap="outerHTML">Test connection</button>
      <div id="test-result" hx-post="/settings/test" hx-trigger="load" hx-include="closest form" hx-swap="outerHTML"></div>
      <label>Models (the judge pool; comma or space separated) <input name="models" value="${s.models.join(', ')}" placeholder="llama3.2:3b, qwen2.5:7b"></label>
      <label>Request timeout (s) <input type="number" name="timeoutSeconds" min="1" max="3600" value="${String(s.timeoutSeconds)}"></label>
      <p class="hint">A single reply must be complete within the timeout; a streamed reply may never be silent longer (a cold model load included), and ends at ten times it in all.</p>
      <label>Concurrent requests <input type="number" name="concurrency" min="1" max="64" value="${String(s.concurrency)}"></label>
      <label class="check"><input type="checkbox" name="stream" ${s.stream ? html`checked` : ''}> stream replies</label>
    </fieldset>
    <fieldset>
      <legend>Voting rule</legend>
      ${rule('unanimous', 'Unanimous', 'every model (at least two) answers, all the same')}
      ${rule('majority', 'Majority', 'at least the quorum of yes/no votes, one side more than half; ties go to a person')}
      ${rule('confidence', 'Confidence', 'only votes at or above the threshold count; at least the quorum, all agreeing')}
      <label>Quorum <input type="number" name="quorum" min="1" max="8" value="${String(s.quorum)}"></label>
      <label>Confidence threshold <input type="number" name="threshold" min="0.01" max="1" step="0.01" value="${String(s.threshold)}"></label>
      <label>Examples needed of each kind <input type="number" name="minExamples" min="0" max="5" value="${String(s.minExamples)}"></label>
      <p class="hint">The models classify for a tag only once it has this many examples that belong and as many that do not; examples themselves are never classified. Anything the rule does not decide goes to the Judge queue. Failed calls and "unsure" answers never count for a side.</p>
    </fieldset>
    <fieldset>
      <legend>You</legend>
      <label>Reviewer name (recorded with your decisions) <input name="reviewer" value="${s.reviewer}" required maxlength="100"></label>
    </fieldset>
    <button type="submit" class="primary">Save settings</button>
  </form>
</section>`;
}

/**
 * Home: the state of the Tag Manager at a glance: markets in the catalogue, tags, what waits
 * for the models and for people, and whether each chosen model can vote. Every number links to
 * the page where it can be acted on.
 */
import { readyToClassify } from '../../processor/readiness.ts';
import { navState, type RegisterPage, type WebDeps } from '../deps.ts';
import { html, type SafeHtml } from '../html.ts';
import { fmtNum, ollamaStatus } from '../layout.ts';

export const registerHome: RegisterPage = (app, deps) => {
  app.get('/', async (c) => deps.page(c, { title: 'Home', page: 'home', body: await body(deps) }));
};

const MODEL_STATE: Record<string, string> = {
  ok: 'ready',
  missing: 'not installed on the server: classification waits',
  failing: 'failing: its votes are skipped until it answers again',
  probing: 'recovering: one trial request at a time',
};

async function body(deps: WebDeps): Promise<SafeHtml> {
  const { service } = deps;
  const [markets, tags, judge, coverage] = await Promise.all([service.store.marketCount(), service.store.tags(), service.store.judgeCount(), service.store.tagCoverage()]);
  const min = service.settings.minExamples;
  const active = tags.filter((t) => t.active);
  const archived = tags.filter((t) => t.archived).length;
  const ready = active.filter((t) => readyToClassify(t, min));
  const undecided = ready.reduce((sum, t) => sum + (coverage.get(t.tagId)?.undecided ?? 0), 0);
  const stats = service.classifier.stats;
  const status = ollamaStatus(await navState(service));
  const card = (id: string, label: string, value: string, href: string, detail: SafeHtml | string = '', warn = false) =>
    html`<a class="card ${warn ? 'warn' : ''}" id="home-${id}" href="${href}"><div class="label">${label}</div><div class="value">${value}</div><div class="muted small">${detail}</div></a>`;
  return html`
<section class="panel"><h1>Tag Manager</h1><p class="hint">Local models tag every market; people review what they are unsure of.</p></section>
<section class="cards home">
  ${card('markets', 'Markets in the catalogue', fmtNum(markets), '/examples', 'from pma.markets')}
  ${card('tags', 'Tags', fmtNum(active.length), '/tags', `active, ${fmtNum(ready.length)} with enough examples; ${fmtNum(tags.length - active.length - archived)} inactive, ${fmtNum(archived)} archived`)}
  ${card('waiting', 'Waiting for the models', fmtNum(undecided), '/pipeline', `${fmtNum(stats.inFlight)} being decided · ${service.sweeper.status.running ? 'sweep running' : 'sweep idle'}${service.reruns.pending > 0 ? ` · ${service.reruns.pending} re-run${service.reruns.pending === 1 ? '' : 's'} due` : ''}`)}
  ${card('judge', 'Waiting for people (Judge)', fmtNum(judge), '/judge', 'unsure decisions of active tags', judge > 0)}
</section>
<section class="panel" id="home-models">
  <h2>Models</h2>
  <p class="${status.ok ? '' : 'error-text'}">${status.text}</p>
  ${
    service.settings.models.length === 0
      ? html`<p class="empty">No model chosen: pick them on <a href="/settings">Settings</a>.</p>`
      : html`<table><thead><tr><th>Model</th><th>State</th></tr></thead><tbody>${service.classifier.models.map(
          (m) =>
            html`<tr><td><code>${m.model}</code></td><td class="${m.state === 'ok' ? '' : 'error-text'}">${MODEL_STATE[m.state]}${m.detail && m.state !== 'ok' ? html` <span class="muted small">(${m.detail})</span>` : ''}</td></tr>`,
        )}</tbody></table>`
  }
  <p class="muted small">Server ${service.settings.ollamaUrl} · ${fmtNum(stats.decided)} decisions this run · ${fmtNum(stats.failedVotes)} failed votes</p>
</section>`;
}

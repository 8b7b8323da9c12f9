/**
 * Pipeline (read-only, refreshed every 2 s): producer progress per endpoint from pma.cursors,
 * lag per topic and consumer group, dead letters and failures with the latest reasons, and
 * records per second over the last hour.
 */
import { CLEAN_TOPIC_KEYS } from '../../../schemas/clean-records.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { type PipelineSnapshot, pipelineSnapshot } from '../../pipeline/snapshot.ts';
import { lineChart, sparkline } from '../chart.ts';
import type { RegisterPage, WebDeps } from '../deps.ts';
import { html, type SafeHtml } from '../html.ts';
import { fmtNum, fmtTime } from '../layout.ts';

export const registerPipeline: RegisterPage = (app, deps) => {
  app.get('/pipeline', async (c) => {
    const body = html`<div id="pipeline" hx-get="/pipeline/panel" hx-trigger="every 2s" hx-swap="innerHTML">${await panel(deps)}</div>`;
    return deps.page(c, { title: 'Pipeline', page: 'pipeline', body });
  });
  app.get('/pipeline/panel', async (c) => deps.fragment(c, await panel(deps)));
};

const sum = (rows: PipelineSnapshot['topics'], pick: (name: string) => boolean): number[] => {
  const picked = rows.filter((r) => pick(r.name));
  const n = picked[0]?.rate.perSecond.length ?? 60;
  return Array.from({ length: n }, (_, i) => picked.reduce((s, r) => s + (r.rate.perSecond[i] ?? 0), 0));
};

async function panel(deps: WebDeps): Promise<SafeHtml> {
  const snap = await pipelineSnapshot(deps.service.transport.admin(), deps.view, deps.rates);
  const cls = deps.service.classifier;
  const stats = cls.stats;
  const ollama = cls.ollama;
  const isRaw = (n: string) => n.startsWith('pma.raw.');
  const isClean = (n: string) => CLEAN_TOPIC_KEYS.some((k) => TOPICS[k].name === n);
  const totalLag = snap.groups.reduce((s, g) => s + g.lag, 0);
  return html`
<section class="cards">
  <div class="card"><div class="label">Records in the log</div><div class="value">${fmtNum(snap.topics.reduce((s, t) => s + t.records, 0))}</div></div>
  <div class="card"><div class="label">Total lag</div><div class="value">${fmtNum(totalLag)}</div></div>
  <div class="card ${snap.deadLetters.count > 0 ? 'warn' : ''}"><div class="label">Dead letters</div><div class="value">${fmtNum(snap.deadLetters.count)}</div></div>
  <div class="card ${snap.failures.count > 0 ? 'warn' : ''}"><div class="label">Failed requests</div><div class="value">${fmtNum(snap.failures.count)}</div></div>
  <div class="card"><div class="label">Tag decisions (this run)</div><div class="value">${fmtNum(stats.decided)}</div><div class="muted small">${stats.inFlight} in flight · ${stats.failedVotes} failed votes</div></div>
  <div class="card ${ollama.up ? '' : 'warn'}"><div class="label">Ollama</div><div class="value small-value">${ollama.up ? 'answering' : 'not answering'}</div><div class="muted small">${ollama.url}</div></div>
</section>
<section class="panel">
  <h2>Records per second, last hour</h2>
  ${lineChart(
    [
      { label: 'raw topics', cls: 's1', values: sum(snap.topics, isRaw) },
      { label: 'clean topics', cls: 's2', values: sum(snap.topics, isClean) },
      { label: 'tag decisions', cls: 's3', values: sum(snap.topics, (n) => n === 'pma.tag-decisions') },
    ],
    { xLabels: ['60 min ago', '30 min ago', 'now'], unit: 'rec/s' },
  )}
  <p class="muted small">Updated ${fmtTime(snap.takenAt)}</p>
</section>
<div class="columns">
<section class="panel">
  <h2>Producer progress (pma.cursors)</h2>
  ${
    snap.endpoints.length === 0
      ? html`<p class="empty">No cursors yet: no ingest has run on this log.</p>`
      : html`<table><thead><tr><th>Endpoint</th><th class="num">Scopes</th><th class="num">Complete</th><th>Progress</th><th class="num">Records</th><th>Last update</th></tr></thead><tbody>
    ${snap.endpoints.map(
      (e) => html`<tr><td><code>${e.endpoint}</code></td><td class="num">${fmtNum(e.scopes)}</td><td class="num">${fmtNum(e.complete)}</td>
        <td><progress max="${String(e.scopes)}" value="${String(e.complete)}"></progress></td>
        <td class="num">${fmtNum(e.records)}</td><td class="time">${fmtTime(e.updatedAt)}</td></tr>`,
    )}</tbody></table>`
  }
</section>
<section class="panel">
  <h2>Consumer lag</h2>
  ${
    snap.groups.length === 0
      ? html`<p class="empty">No consumer group has committed yet.</p>`
      : html`<table><thead><tr><th>Group</th><th>Topic</th><th class="num">Committed</th><th class="num">End</th><th class="num">Lag</th></tr></thead><tbody>
    ${snap.groups.map((g) => html`<tr class="${g.lag > 0 ? 'lagging' : ''}"><td><code>${g.group}</code></td><td><code>${g.topic}</code></td><td class="num">${fmtNum(g.committed)}</td><td class="num">${fmtNum(g.high)}</td><td class="num">${fmtNum(g.lag)}</td></tr>`)}
    </tbody></table>`
  }
</section>
</div>
<div class="columns">
<section class="panel">
  <h2>Dead letters <span class="muted">(pma.dlq: ${fmtNum(snap.deadLetters.count)})</span></h2>
  ${problems(snap.deadLetters.latest)}
</section>
<section class="panel">
  <h2>Failed requests <span class="muted">(pma.failures: ${fmtNum(snap.failures.count)})</span></h2>
  ${problems(snap.failures.latest)}
</section>
</div>
<section class="panel">
  <h2>Topics</h2>
  <table><thead><tr><th>Topic</th><th class="num">Records</th><th class="num">Last hour</th><th>Rate</th><th class="num">Now (rec/s)</th></tr></thead><tbody>
  ${snap.topics.map(
    (t) => html`<tr><td><code>${t.name}</code></td><td class="num">${fmtNum(t.records)}</td><td class="num">${fmtNum(t.rate.total)}</td>
      <td>${sparkline(t.rate.perSecond)}</td><td class="num">${fmtNum(t.rate.perSecond[t.rate.perSecond.length - 1] ?? 0, 1)}</td></tr>`,
  )}
  </tbody></table>
</section>`;
}

function problems(list: PipelineSnapshot['failures']['latest']): SafeHtml {
  if (list.length === 0) return html`<p class="empty">None.</p>`;
  return html`<ul class="problems">${list.map((p) => html`<li><span class="nowrap muted small">${fmtTime(p.at)}</span> <code>${p.where}</code><div class="reason">${p.reason}</div></li>`)}</ul>`;
}

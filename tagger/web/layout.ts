/** The page shell shared by every page: head, navigation, Ollama status, messages. */
import { html, type SafeHtml } from './html.ts';

export interface NavState {
  judgeCount: number;
  ollamaUp: boolean;
  ollamaUrl: string;
  models: readonly string[];
  /** Configured models that are not fine: missing from the server, or failing (breaker open or probing). */
  troubled: ReadonlyArray<{ model: string; state: 'missing' | 'failing' | 'probing'; detail: string | null }>;
}

/** The header's status line and whether it is a warning: every page says when a model cannot vote. */
export function ollamaStatus(nav: NavState): { text: string; ok: boolean; title: string } {
  if (nav.models.length === 0) return { text: 'Ollama: no models chosen', ok: false, title: nav.ollamaUrl };
  if (!nav.ollamaUp) return { text: 'Ollama not answering', ok: false, title: nav.ollamaUrl };
  const missing = nav.troubled.filter((t) => t.state === 'missing').map((t) => t.model);
  const failing = nav.troubled.filter((t) => t.state !== 'missing').map((t) => t.model);
  const parts = [missing.length > 0 ? `not installed: ${missing.join(', ')} (classification waits)` : '', failing.length > 0 ? `failing: ${failing.join(', ')}` : ''].filter(Boolean);
  if (parts.length === 0) return { text: `Ollama: ${nav.models.join(', ')}`, ok: true, title: nav.ollamaUrl };
  const title = [nav.ollamaUrl, ...nav.troubled.map((t) => `${t.model}: ${t.detail ?? t.state}`)].join('\n');
  return { text: `Models ${parts.join('; ')}`, ok: false, title };
}

export type PageName = 'home' | 'tags' | 'examples' | 'judge' | 'history' | 'settings' | 'pipeline';

const PAGES: Array<[PageName, string, string]> = [
  ['home', '/', 'Home'],
  ['tags', '/tags', 'Tags'],
  ['examples', '/examples', 'Examples'],
  ['judge', '/judge', 'Judge'],
  ['history', '/history', 'History'],
  ['settings', '/settings', 'Settings'],
  ['pipeline', '/pipeline', 'Pipeline'],
];

// htmx must not inject inline styles or evaluate code: the CSP forbids both.
const HTMX_CONFIG =
  '{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"selfRequestsOnly":true,' +
  '"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}';

export interface Message {
  kind: 'ok' | 'error';
  text: string;
}

export function layout(options: { title: string; page: PageName; csrf: string; nav: NavState; message?: Message | null; body: SafeHtml }): SafeHtml {
  const { nav } = options;
  const status = ollamaStatus(nav);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${options.title} · PMA Tag Manager</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/htmx.min.js" defer></script>
<script src="/assets/app.js" defer></script>
</head>
<body hx-boost="true" hx-headers="${JSON.stringify({ 'x-csrf-token': options.csrf })}">
<header class="topbar">
  <a class="brand" href="/">PMA Tag Manager</a>
  <nav>
    ${PAGES.map(([name, href, label]) => html`<a href="${href}" class="${name === options.page ? 'active' : ''}">${label}${name === 'judge' ? html` ${judgeBadge(nav.judgeCount)}` : ''}</a>`)}
  </nav>
  <span class="ollama ${status.ok ? 'up' : 'down'}" title="${status.title}" role="status">${status.text}</span>
</header>
<main>
${options.message ? html`<p class="message ${options.message.kind}" role="status">${options.message.text}</p>` : ''}
${options.body}
</main>
</body>
</html>`;
}

/**
 * The Judge count in the navigation. Always present (hidden at zero) so a Judge decision, which
 * swaps only the card, can replace it out of band (`oob`) and the header never shows a stale count.
 */
export function judgeBadge(count: number, oob = false): SafeHtml {
  return html`<span id="judge-count" class="count" ${count === 0 ? html`hidden` : ''} ${oob ? html`hx-swap-oob="true"` : ''}>${count}</span>`;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export function fmtTime(value: Date | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const d = typeof value === 'number' ? new Date(value) : value;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function fmtNum(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function badge(decision: string): SafeHtml {
  const label = decision === 'YES' ? 'belongs' : decision === 'NO' ? 'does not belong' : 'unsure';
  return html`<span class="badge ${decision.toLowerCase()}">${label}</span>`;
}

/** What every page module gets from the server: the service, rendering and form handling. */
import type { Context, Hono } from 'hono';
import type { LogView } from '../pipeline/log-view.ts';
import type { RateHistory } from '../pipeline/rates.ts';
import type { TaggerService } from '../service.ts';
import type { TagRow } from '../store/tag-store.ts';
import type { SafeHtml } from './html.ts';
import type { Message, NavState, PageName } from './layout.ts';
import { rerunNotice } from './rerun-notice.ts';

export interface PageOptions {
  title: string;
  page: PageName;
  body: SafeHtml;
  message?: Message | null;
  status?: 200 | 400 | 403 | 404 | 409 | 422;
}

export interface WebDeps {
  service: TaggerService;
  view: LogView;
  rates: RateHistory;
  /** The CSRF token of the request's session (for forms). */
  token(c: Context): string;
  /** A full page. */
  page(c: Context, options: PageOptions): Promise<Response>;
  /** A fragment (htmx swaps). */
  fragment(c: Context, body: SafeHtml, status?: 200 | 400 | 404 | 409 | 422): Response;
  /** The POSTed form, after its CSRF token was checked (throws CsrfRefused otherwise). */
  form(c: Context): Promise<Record<string, string>>;
}

export type RegisterPage = (app: Hono, deps: WebDeps) => void;

/** Whether the request came from htmx (swap a fragment) rather than a plain form post. */
export function isHtmx(c: Context): boolean {
  return c.req.header('hx-request') === 'true' && c.req.header('hx-boosted') !== 'true';
}

/** A same-site path to go back to, or the fallback (never an absolute URL: no open redirect). */
export function safeBack(value: string | undefined, prefix: string): string {
  return value?.startsWith(prefix) && !value.startsWith('//') && !/[\r\n\\]/.test(value) ? value : prefix;
}

/** The "saving re-runs the models on N markets" notice of each tag, by id. */
export async function rerunNotices(deps: WebDeps, tags: readonly TagRow[], saving: string): Promise<Map<string, SafeHtml>> {
  const coverage = await deps.service.store.tagCoverage();
  const s = deps.service.settings;
  const context = { minExamples: s.minExamples, modelsChosen: s.models.length > 0, delayMs: deps.service.reruns.delayMs };
  return new Map(tags.map((t) => [t.tagId, rerunNotice(t, { ...context, markets: coverage.get(t.tagId)?.rerun ?? 0 }, saving)]));
}

/** What the header shows on every page: the Judge count and whether each chosen model can vote. */
export async function navState(service: TaggerService): Promise<NavState> {
  return {
    judgeCount: await service.store.judgeCount(),
    ollamaUp: service.classifier.ollama.up,
    ollamaUrl: service.settings.ollamaUrl,
    models: service.settings.models,
    troubled: service.classifier.models.flatMap((m) => (m.state === 'ok' ? [] : [{ model: m.model, state: m.state, detail: m.detail }])),
  };
}

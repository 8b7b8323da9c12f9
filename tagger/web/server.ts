/**
 * The Tag Manager's HTTP server: hono on Node's http server, server-rendered pages, htmx and
 * our own CSS/JS served from this process (no CDN: it works offline). Binds to 127.0.0.1
 * unless told otherwise.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import type { Serde } from '../../registry/serde.ts';
import { describeError, TaggerInputError } from '../../runtime/errors.ts';
import type { Logger } from '../../runtime/logger.ts';
import { LogView } from '../pipeline/log-view.ts';
import { RateHistory } from '../pipeline/rates.ts';
import type { TaggerService } from '../service.ts';
import { navState, type WebDeps } from './deps.ts';
import { CSRF_REFUSED, checkedForm, formGuard } from './form-guard.ts';
import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import { registerExamples } from './pages/examples.ts';
import { registerHistory } from './pages/history.ts';
import { registerHome } from './pages/home.ts';
import { registerJudge } from './pages/judge.ts';
import { registerPipeline } from './pages/pipeline.ts';
import { registerSettings } from './pages/settings.ts';
import { registerTags } from './pages/tags.ts';
import { loadOrCreateSecret } from './secret-file.ts';
import { Csrf, hostCheck, originCheck, securityHeaders } from './security.ts';

export const DEFAULT_PORT = 8790;
export const DEFAULT_HOST = '127.0.0.1';

class CsrfRefused extends Error {}

export interface WebServerOptions {
  service: TaggerService;
  serde: Serde;
  logger: Logger;
  host?: string;
  port?: number;
}

export interface WebServer {
  readonly url: string;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
  'app.js': { file: new URL('./assets/app.js', import.meta.url).pathname, type: 'text/javascript; charset=utf-8' },
  'app.css': { file: new URL('./assets/app.css', import.meta.url).pathname, type: 'text/css; charset=utf-8' },
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function createApp(deps: WebDeps, csrf: Csrf, allowedHosts: () => ReadonlySet<string> | null, logger: Logger): Hono {
  const app = new Hono();
  app.use('*', securityHeaders());
  app.use('*', hostCheck(allowedHosts));
  app.use('*', originCheck());
  app.use('*', formGuard(csrf));

  const assets = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { body: readFileSync(a.file), type: a.type }]));
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/assets/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.text('not found', 404);
    return c.body(new Uint8Array(asset.body), 200, { 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=300' });
  });

  for (const register of [registerHome, registerTags, registerExamples, registerJudge, registerHistory, registerSettings, registerPipeline]) register(app, deps);

  app.notFound((c) => deps.page(c, { title: 'Not found', page: 'tags', status: 404, body: html`<section class="panel"><h1>Not found</h1><p><a href="/tags">Back to the tags</a></p></section>` }));
  app.onError((err, c) => {
    if (err instanceof CsrfRefused) return c.text(CSRF_REFUSED, 403);
    if (err instanceof TaggerInputError) {
      const back = html`<section class="panel"><p><a href="/tags">Back to the tags</a></p></section>`;
      return deps.page(c, { title: 'Cannot do that', page: 'tags', status: err.status, message: { kind: 'error', text: err.message }, body: back });
    }
    logger.error('request failed', { path: c.req.path, error: describeError(err) });
    return c.text(`internal error: ${describeError(err)}`, 500);
  });
  return app;
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { service, logger } = options;
  const host = options.host ?? DEFAULT_HOST;
  const csrf = new Csrf(loadOrCreateSecret(service.secretPath, logger));
  const view = new LogView(service.transport, options.serde, logger.child({ component: 'pipeline-view' }));
  const viewStop = new AbortController();
  const viewTask = view.run(viewStop.signal).catch((err) => logger.warn('pipeline view stopped', { error: describeError(err) }));
  let port = options.port ?? DEFAULT_PORT;

  const deps: WebDeps = {
    service,
    view,
    rates: new RateHistory(service.transport.admin()),
    token: (c) => csrf.token(csrf.session(c)),
    async page(c, o) {
      const nav = await navState(service);
      return c.html(layout({ title: o.title, page: o.page, csrf: deps.token(c), nav, message: o.message ?? null, body: o.body }).value, o.status ?? 200);
    },
    fragment: (c: Context, body: SafeHtml, status = 200) => c.html(body.value, status),
    async form(c) {
      // The guard read the body under its cap and checked the token; no form means it did not pass.
      const fields = checkedForm(c);
      if (!fields) throw new CsrfRefused();
      return fields;
    },
  };

  const loopback = LOOPBACK.has(host);
  const allowed = () => (loopback ? new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) : null);
  const app = createApp(deps, csrf, allowed, logger);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, (info: AddressInfo) => {
      port = info.port;
      resolve(s);
    });
    s.once('error', reject);
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info('Tag Manager listening', { url });
  return {
    url,
    async close() {
      viewStop.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await viewTask;
    },
  };
}

/**
 * Prometheus metrics for every stage: one prom-client registry per process and an HTTP exporter
 * (`--metrics-port`) serving it in the Prometheus text format at /metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConfigError } from './errors.ts';
import type { Logger } from './logger.ts';

export interface MetricsRegistryOptions {
  /** Process metrics (CPU, memory, event-loop lag, GC) with the `pma_` prefix. Default true. */
  processMetrics?: boolean;
  /** Labels on every series, e.g. `{ stage: 'ingest' }`. */
  labels?: Record<string, string>;
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'pma_' });
  return registry;
}

const perRegistry = new WeakMap<Registry, Map<unknown, unknown>>();

/**
 * The series object of kind `key` on a registry, made on first use: prom-client refuses a second
 * series of the same name, and a stage may run more than once in a process (or beside others
 * sharing its series) with one registry.
 */
export function onePerRegistry<T>(registry: Registry, key: unknown, make: () => T): T {
  let made = perRegistry.get(registry);
  if (!made) {
    made = new Map();
    perRegistry.set(registry, made);
  }
  if (!made.has(key)) made.set(key, make());
  return made.get(key) as T;
}

export interface MetricsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Serves the registry on `host:port` (port 0 picks a free one); resolves once listening. */
export async function serveMetrics(registry: Registry, options: { port: number; host?: string }, logger?: Logger): Promise<MetricsServer> {
  const host = options.host ?? '0.0.0.0';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics collection failed: ${(err as Error).message}\n`);
        },
      );
      return;
    }
    res.writeHead(path === '/' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(path === '/' ? 'pma metrics: see /metrics\n' : 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(`cannot serve metrics on ${host}:${options.port}: ${err.code ?? err.message}`, {
          flag: '--metrics-port',
          value: options.port,
        }),
      ),
    );
    server.listen(options.port, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host;
  logger?.info('metrics served', { url: `http://${shown}:${port}/metrics` });
  return {
    port,
    url: `http://${shown}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Control endpoints under `/__sim` (JSON):
 *
 * | method | path                 | what                                                            |
 * |--------|----------------------|-----------------------------------------------------------------|
 * | GET    | /__sim/info          | options, profile, base URLs, world sizes, clock                 |
 * | GET    | /__sim/stats         | counters: requests per route and status, throttling, faults, WS |
 * | GET    | /__sim/requests      | the request log (`?limit=N`, `?route=data:/trades`, `?since=seq`) |
 * | DELETE | /__sim/requests      | clears the request log                                          |
 * | GET    | /__sim/faults        | the fault configuration `{seed, rules}`                         |
 * | PUT    | /__sim/faults        | replaces it (POST does the same); DELETE clears it              |
 * | POST   | /__sim/clock         | `{"advance": seconds}` moves a live world's clock forward       |
 * | POST   | /__sim/ws/drop       | cuts every WebSocket connection                                 |
 * | GET    | /__sim/truth         | ground truth as JSON lines (`?type=trade&type=gap`, `?asOf=`)   |
 */
import { ZodError } from 'zod';
import { type FaultInjector, faultConfigSchema } from './http/faults.ts';
import type { RateLimiter } from './http/limits.ts';
import type { RequestLog, SimStats } from './http/observe.ts';
import { json, type SimResponse, text } from './http/types.ts';
import type { Profile } from './profiles.ts';
import { TRUTH_TYPES, type TruthType, truthCounts, truthRecords } from './truth.ts';
import type { World } from './world/world.ts';
import type { MarketChannel } from './ws/market-channel.ts';

export interface ControlDeps {
  world: World;
  profile: Profile;
  faults: FaultInjector;
  limiter: RateLimiter | null;
  log: RequestLog;
  stats: SimStats;
  channel: MarketChannel;
  info: () => Record<string, unknown>;
}

const bad = (message: string) => json(400, JSON.stringify({ error: message }));

export function controlHandler(d: ControlDeps) {
  return (method: string, path: string, query: URLSearchParams, body: unknown): SimResponse | null => {
    const route = `${method} ${path.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /__sim/info':
        return json(200, JSON.stringify(d.info()));
      case 'GET /__sim/stats':
        return json(
          200,
          JSON.stringify(
            d.stats.toJSON({
              faults: Object.fromEntries(d.faults.counts),
              limits: d.limiter ? d.limiter.describe() : 'off',
              clock: { now: d.world.clock.now(), live: d.world.clock.isLive },
              wsOpen: d.channel.openConnections,
            }),
          ),
        );
      case 'GET /__sim/requests': {
        const limit = Number(query.get('limit') ?? '1000');
        const routeFilter = query.get('route');
        // `since=<seq>`: only entries after that one, so a watcher can poll without re-reading the ring.
        const since = Number(query.get('since') ?? '-1');
        if (!Number.isInteger(since)) return json(400, JSON.stringify({ error: `since must be an integer sequence number, got ${JSON.stringify(query.get('since'))}` }));
        const entries = d.log.entries().filter((e) => (!routeFilter || e.route === routeFilter) && e.seq > since);
        return json(200, JSON.stringify(entries.slice(-Math.max(0, limit))));
      }
      case 'DELETE /__sim/requests':
        d.log.clear();
        return json(200, '{"cleared":true}');
      case 'GET /__sim/faults':
        return json(200, JSON.stringify(d.faults.current));
      case 'PUT /__sim/faults':
      case 'POST /__sim/faults':
        try {
          d.faults.set(faultConfigSchema.parse(body ?? {}));
          return json(200, JSON.stringify(d.faults.current));
        } catch (err) {
          return bad(err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(err));
        }
      case 'DELETE /__sim/faults':
        d.faults.set({ seed: d.faults.current.seed, rules: [] });
        return json(200, JSON.stringify(d.faults.current));
      case 'POST /__sim/clock': {
        const advance = (body as { advance?: unknown } | undefined)?.advance;
        if (!d.world.clock.isLive) return bad('the world is not live (start with --live)');
        if (typeof advance !== 'number' || !Number.isFinite(advance) || advance < 0) return bad('advance must be a non-negative number of seconds');
        d.world.clock.advance(advance);
        return json(200, JSON.stringify({ now: d.world.clock.now() }));
      }
      case 'POST /__sim/ws/drop':
        return json(200, JSON.stringify({ dropped: d.channel.dropAll() }));
      case 'GET /__sim/truth': {
        const types = query.getAll('type');
        if (types.some((t) => !(TRUTH_TYPES as readonly string[]).includes(t))) return bad(`type must be one of ${TRUTH_TYPES.join(', ')}`);
        const asOf = query.has('asOf') ? Number(query.get('asOf')) : undefined;
        const opts = { ...(types.length ? { types: types as TruthType[] } : {}), ...(asOf !== undefined ? { asOf } : {}), takerOnly: query.get('takerOnly') === 'true' };
        if (query.get('count') === 'true') return json(200, JSON.stringify(truthCounts(d.world, d.profile, opts)));
        const lines: string[] = [];
        for (const r of truthRecords(d.world, d.profile, opts)) {
          lines.push(JSON.stringify(r));
          if (lines.length > 2_000_000) return bad('truth too large for one response: use `pma sim export-truth`');
        }
        return text(200, lines.length ? `${lines.join('\n')}\n` : '', 'application/x-ndjson');
      }
      default:
        return null;
    }
  };
}

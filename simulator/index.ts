/**
 * The Polymarket simulator, in-process. This is the stable API other parts (producers, tests,
 * benches) call:
 *
 * ```ts
 * import { startSimulator } from '../simulator/index.ts';
 * const sim = await startSimulator({ port: 0, seed: 7, markets: 500, profile: 'current' });
 * sim.url;                 // "http://127.0.0.1:54321"
 * sim.urls;                // { gamma: url+"/gamma", data: url+"/data", clob: url+"/clob", ws: "ws://…/ws/market" }
 * sim.baseUrls;            // the same object as `urls`
 * [...sim.truth({ types: ['trade'] })];   // ground truth records (keys as in simulator/keys.ts)
 * sim.truthCounts();       // sizes per record type, without enumerating rows
 * sim.requestLog.entries();// method, path, route, query, status, latencyMs, faults, …
 * sim.stats();             // the counters of GET /__sim/stats
 * sim.setFaults({ seed: 1, rules: [{ kind: 'error', rate: 0.1 }] });
 * sim.advance(60);         // live worlds: move the clock 60 simulated seconds
 * await sim.close();
 * ```
 *
 * Options: see `simOptionsSchema` in options.ts (world size, seed, clock, profile and overrides,
 * limits, faults). `createWorld(options)` builds the same world without a server (for truth
 * exports and tests). Everything is deterministic from the options: two processes with the same
 * options serve the same bytes and export the same truth.
 */
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../runtime/errors.ts';
import { type Logger, silentLogger } from '../runtime/logger.ts';
import { controlHandler } from './control.ts';
import { type FaultConfig, FaultInjector, faultConfigSchema } from './http/faults.ts';
import { RateLimiter } from './http/limits.ts';
import { RequestLog, type RequestLogEntry, SimStats } from './http/observe.ts';
import { Router } from './http/router.ts';
import { createSimServer } from './http/server.ts';
import type { SimContext } from './http/types.ts';
import { parseSimOptions, type SimOptions, type SimOptionsInput, simOptionsSchema } from './options.ts';
import { type Profile, resolveProfile } from './profiles.ts';
import { ListingIndexes } from './query/listing.ts';
import { CrowdInverse, NewestIndex } from './query/trades.ts';
import { accountRoutes } from './routes/accounts.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { clobRoutes } from './routes/clob.ts';
import { dataRoutes } from './routes/data.ts';
import { gammaRoutes } from './routes/gamma.ts';
import { searchRoutes } from './routes/search.ts';
import { type TruthOptions, type TruthRecord, type TruthType, truthCounts, truthRecords } from './truth.ts';
import { emptyFixtureWorld, loadFixtureWorld } from './world/fixtures.ts';
import { World } from './world/world.ts';
import { MarketChannel } from './ws/market-channel.ts';

export type { FaultConfig, FaultRule } from './http/faults.ts';
export type { RequestLogEntry } from './http/observe.ts';
export * as keys from './keys.ts';
export type { SimOptions, SimOptionsInput } from './options.ts';
export type { Profile, ProfileName } from './profiles.ts';
export type { TruthOptions, TruthRecord, TruthType } from './truth.ts';

export interface SimUrls {
  gamma: string;
  data: string;
  clob: string;
  ws: string;
}

export interface Simulator {
  /** `http://host:port` of the server. */
  url: string;
  urls: SimUrls;
  /** Alias of `urls`. */
  baseUrls: SimUrls;
  options: SimOptions;
  profile: Profile;
  world: World;
  requestLog: { entries(): RequestLogEntry[]; clear(): void; readonly size: number };
  stats(): Record<string, unknown>;
  faults(): FaultConfig;
  setFaults(config: Partial<FaultConfig>): void;
  truth(opts?: TruthOptions): Generator<TruthRecord>;
  truthCounts(opts?: TruthOptions): Record<TruthType, number>;
  /** Moves a live world's clock forward (simulated seconds). */
  advance(seconds: number): void;
  /** Cuts every WebSocket connection; returns how many. */
  dropWebSockets(): number;
  close(): Promise<void>;
}

/** Validates options, turning schema errors into a ConfigError that names the setting. */
export function resolveSimOptions(input: SimOptionsInput = {}): SimOptions {
  const parsed = simOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`simulator option ${issue.path.join('.') || '(root)'}: ${issue.message}`, { field: String(issue.path[0] ?? '') });
  }
  try {
    return parseSimOptions(input);
  } catch (err) {
    throw new ConfigError(`simulator options: ${(err as Error).message}`);
  }
}

/** The world (and its profile) for these options, without a server. */
export function createWorld(input: SimOptionsInput = {}): { world: World; profile: Profile; options: SimOptions } {
  const options = resolveSimOptions(input);
  const profile = resolveProfile(options.profile, options.overrides);
  if (options.limitMode) profile.limits = { ...profile.limits, mode: options.limitMode };
  const fixtures = options.fixtures ? loadFixtureWorld(options.seed) : emptyFixtureWorld();
  return { world: new World(options, profile, fixtures), profile, options };
}

export async function startSimulator(input: SimOptionsInput & { logger?: Logger } = {}): Promise<Simulator> {
  const { logger = silentLogger, ...rest } = input;
  const { world, profile, options } = createWorld(rest);
  const faults = new FaultInjector(faultConfigSchema.parse({ seed: options.faultSeed, rules: options.faults }));
  const limiter = options.limits ? new RateLimiter(profile.limits.rules, { scale: options.limitScale, mode: profile.limits.mode, maxDelayMs: profile.limits.maxDelayMs }) : null;
  const log = new RequestLog(options.requestLogSize);
  const stats = new SimStats();
  const idx = new ListingIndexes(world);
  const ctx: SimContext = { world, profile, newest: new NewestIndex(), crowd: new CrowdInverse(), faults };
  const router = new Router([...gammaRoutes(idx, profile.gamma.keysetRoutes), ...catalogRoutes(), ...searchRoutes(), ...dataRoutes(profile.data.v2Routes), ...accountRoutes(), ...clobRoutes(idx)]);
  const channel = new MarketChannel({ world, profile, faults, stats, tickMs: options.wsTickMs, handshakesPer10s: options.limits ? Math.round(200 * options.limitScale) : 0 });
  let urls: SimUrls = { gamma: '', data: '', clob: '', ws: '' };
  let url = '';
  const info = () => ({
    url,
    urls,
    options: { ...options, faults: undefined },
    profile,
    world: { markets: world.marketCount(), events: world.eventCount(), fixtureMarkets: world.F, wallets: world.P, worldStart: options.worldStart, worldEnd: options.worldEnd },
    clock: { now: world.clock.now(), live: world.clock.isLive },
  });
  const control = controlHandler({ world, profile, faults, limiter, log, stats, channel, info });
  const { server, hangingTimers } = createSimServer({ ctx, router, limiter, log, stats, overlays: world.fixtures.overlays, logger, control });
  server.on('upgrade', (req, socket, head) => {
    if (!channel.upgrade(req, socket, head)) socket.destroy();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    channel.close();
    throw new ConfigError(`the simulator cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`, { flag: '--port', value: options.port });
  }
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  url = `http://${host}:${addr.port}`;
  urls = { gamma: `${url}/gamma`, data: `${url}/data`, clob: `${url}/clob`, ws: `ws://${host}:${addr.port}/ws/market` };
  logger.info('simulator listening', { url, profile: profile.name, markets: world.marketCount(), live: options.live });
  let closed = false;
  return {
    url,
    urls,
    baseUrls: urls,
    options,
    profile,
    world,
    requestLog: log,
    stats: () => stats.toJSON({ faults: Object.fromEntries(faults.counts), wsOpen: channel.openConnections }),
    faults: () => faults.current,
    setFaults: (config) => faults.set(faultConfigSchema.parse({ seed: config.seed ?? faults.current.seed, rules: config.rules ?? [] })),
    truth: (opts) => truthRecords(world, profile, opts),
    truthCounts: (opts) => truthCounts(world, profile, opts),
    advance: (seconds) => {
      if (!world.clock.isLive) throw new ConfigError('the simulated world is not live: start it with live: true');
      world.clock.advance(seconds);
    },
    dropWebSockets: () => channel.dropAll(),
    close: async () => {
      if (closed) return;
      closed = true;
      channel.close();
      for (const t of hangingTimers) clearTimeout(t);
      hangingTimers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

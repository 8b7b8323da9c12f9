/**
 * Where the APIs are: Polymarket itself (`live`), or the simulator (`sim`), started in this
 * process when no URL is given. Any of the four URLs can be overridden one by one. The choice
 * is made here, in the CLI, so the producers only ever see base URLs.
 */
import { type ApiBaseUrls, LIVE_BASE_URLS, LIVE_WS_URL } from '../producers/http/apis.ts';
import type { IngestSettings } from '../producers/settings.ts';
import type { Logger } from '../runtime/logger.ts';

export interface Source {
  urls: ApiBaseUrls & { ws: string };
  /** Stops the in-process simulator, if one was started. */
  close(): Promise<void>;
}

export async function openSource(settings: Pick<IngestSettings, 'source' | 'gammaUrl' | 'dataUrl' | 'clobUrl' | 'wsUrl'>, logger: Logger, simOptions: Record<string, unknown> = {}): Promise<Source> {
  const overrides = { gamma: settings.gammaUrl, data: settings.dataUrl, clob: settings.clobUrl, ws: settings.wsUrl };
  const allGiven = Object.values(overrides).every((v) => v !== undefined);
  if (settings.source === 'live' || allGiven) {
    return {
      urls: {
        gamma: overrides.gamma ?? LIVE_BASE_URLS.gamma,
        data: overrides.data ?? LIVE_BASE_URLS.data,
        clob: overrides.clob ?? LIVE_BASE_URLS.clob,
        ws: overrides.ws ?? LIVE_WS_URL,
      },
      close: async () => {},
    };
  }
  // Loaded only when needed: a live run does not pay for the simulator's modules.
  const { startSimulator } = await import('../simulator/index.ts');
  const sim = await startSimulator({ port: 0, ...simOptions });
  logger.info('simulator started in this process', { url: sim.url });
  return {
    urls: {
      gamma: overrides.gamma ?? sim.urls.gamma,
      data: overrides.data ?? sim.urls.data,
      clob: overrides.clob ?? sim.urls.clob,
      ws: overrides.ws ?? sim.urls.ws,
    },
    close: () => sim.close(),
  };
}

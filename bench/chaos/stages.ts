/**
 * The pipeline's processes as the chaos engine runs them: each stage's command line, run until
 * caught up (the last, unkilled run) or until killed (every scheduled run), on either transport.
 */
import type { Simulator } from '../../simulator/index.ts';
import type { ChaosPlan, Stage } from './plan.ts';

export interface StageWorld {
  plan: ChaosPlan;
  sim: Simulator;
  /** Global flags for Kafka (`--transport kafka --brokers … --registry …`), empty on the embedded log. */
  global: string[];
}

/** Small pages, so that a world of a few thousand rows is still many pages, many commits and many moments to be killed at. */
export function stageEnv(plan: ChaosPlan): NodeJS.ProcessEnv {
  return {
    PMA_INGEST_ATTEMPTS: String(plan.attempts),
    PMA_INGEST_RETRY_BASE_MS: '5',
    PMA_INGEST_RETRY_MAX_MS: '100',
    PMA_INGEST_TRADES_V2_PAGE_SIZE: '40',
    PMA_INGEST_TRADES_PAGE_SIZE: '40',
    PMA_INGEST_LEADERBOARD_PAGE_SIZE: '20',
    PMA_INGEST_LIST_PAGE_SIZE: '5',
  };
}

export function ingestArgs(sim: Simulator, extra: string[] = []): string[] {
  const u = sim.urls;
  return [
    'ingest',
    '--source',
    'sim',
    '--gamma-url',
    u.gamma,
    '--data-url',
    u.data,
    '--clob-url',
    u.clob,
    '--ws-url',
    u.ws,
    '--rate-limits',
    'off',
    '--resolution',
    'minute',
    '--workers',
    '2',
    '--price-workers',
    '2',
    ...extra,
  ];
}

/** The command of a stage; `untilCaughtUp` for the run that must end by itself. */
export function stageArgs(stage: Stage, sim: Simulator, untilCaughtUp: boolean): string[] {
  const caught = untilCaughtUp ? ['--until-caught-up'] : [];
  switch (stage) {
    case 'ingest':
      return ingestArgs(sim);
    case 'process':
      return ['process', ...caught];
    case 'bronze':
      return ['sink', '--layer', 'bronze', '--roll-rows', '300', '--idle-ms', '300', ...caught];
    case 'silver':
      return ['sink', '--layer', 'silver', '--silver-batch-rows', '300', '--silver-snapshot-seconds', '2', ...caught];
  }
}

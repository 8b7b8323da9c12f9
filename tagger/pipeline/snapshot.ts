/** What the Pipeline page shows, gathered from the log in one pass. */
import type { Admin } from '../../transport/types.ts';
import { type EndpointProgress, type LogView, type Problem, VIEW_GROUP_PREFIX } from './log-view.ts';
import type { RateHistory, RateSeries } from './rates.ts';

export interface TopicRow {
  name: string;
  records: number;
  rate: RateSeries;
}

export interface GroupLag {
  group: string;
  topic: string;
  committed: number;
  high: number;
  lag: number;
}

export interface PipelineSnapshot {
  takenAt: number;
  topics: TopicRow[];
  groups: GroupLag[];
  endpoints: EndpointProgress[];
  failures: { count: number; latest: Problem[] };
  deadLetters: { count: number; latest: Problem[] };
}

export async function pipelineSnapshot(admin: Admin, view: LogView, rates: RateHistory): Promise<PipelineSnapshot> {
  const takenAt = Date.now();
  const topics = (await admin.listTopics()).map((t) => t.name).sort();
  const sizes = new Map<string, number>();
  await Promise.all(
    topics.map(async (name) => {
      sizes.set(
        name,
        (await admin.offsets(name)).reduce((s, o) => s + (o.high - o.low), 0),
      );
    }),
  );
  const topicRows = await Promise.all(topics.map(async (name) => ({ name, records: sizes.get(name) ?? 0, rate: await rates.series(name, takenAt) })));
  const groups: GroupLag[] = [];
  for (const group of await admin.listGroups()) {
    if (group.startsWith(VIEW_GROUP_PREFIX)) continue;
    for (const topic of topics) {
      const committed = await admin.groupOffsets(group, topic);
      if (committed.length === 0) continue;
      const lag = await admin.lag(group, topic);
      groups.push({
        group,
        topic,
        committed: lag.reduce((s, p) => s + (p.committed ?? 0), 0),
        high: lag.reduce((s, p) => s + p.high, 0),
        lag: lag.reduce((s, p) => s + p.lag, 0),
      });
    }
  }
  return {
    takenAt,
    topics: topicRows,
    groups,
    endpoints: view.endpoints(),
    failures: { count: sizes.get('pma.failures') ?? 0, latest: [...view.failures] },
    deadLetters: { count: sizes.get('pma.dlq') ?? 0, latest: [...view.deadLetters] },
  };
}

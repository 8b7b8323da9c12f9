/**
 * The Silver section of `pma status`: how many records of each clean topic Silver, and the
 * snapshot readers open, have not applied yet, and how old the last commit and snapshot are.
 */
import { TOPICS } from '../../schemas/topics.ts';
import type { StatusSection } from './status-section.ts';
import { num, table } from './topics.ts';

const ago = (ms: number) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? `${s}s ago` : s < 7_200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3_600)}h ago`;
};

export const silverSection: StatusSection = {
  name: 'silver',
  async collect(ctx) {
    // Loaded here, not at start-up: DuckDB's native module is only needed when Silver is asked about.
    const { defaultSnapshotPath, SILVER_TOPIC_KEYS } = await import('../../sinks/silver/index.ts');
    const { readSilverProgress, recordsBehind } = await import('../../sinks/silver/progress.ts');
    const { defaultSilverPath } = await import('../../sinks/silver/query-client.ts');
    const silverPath = defaultSilverPath(ctx.action.config.dataDir);
    const progress = await readSilverProgress(silverPath, defaultSnapshotPath(silverPath));
    if (progress.source === 'missing') return { text: [`no Silver file at ${silverPath} yet`], json: { path: silverPath, ...progress } };
    const admin = (await ctx.transport()).admin();
    const names = new Set((await admin.listTopics()).map((t) => t.name));
    const ends = [];
    for (const k of SILVER_TOPIC_KEYS) {
      const topic = TOPICS[k].name;
      if (names.has(topic)) for (const p of await admin.offsets(topic)) ends.push({ topic, ...p });
    }
    const silver = recordsBehind(progress.offsets, ends);
    const snapshot = progress.snapshot ? recordsBehind(progress.snapshot.offsets, ends) : undefined;
    const topics = [...new Set(ends.map((e) => e.topic))];
    const rows = topics.map((t) => [t, progress.source === 'busy' ? '?' : num(silver.get(t) ?? 0), snapshot ? num(snapshot.get(t) ?? 0) : '-']);
    const total = (m: Map<string, number> | undefined) => (m ? [...m.values()].reduce((a, b) => a + b, 0) : undefined);
    const state =
      progress.source === 'live'
        ? `sink running (pid ${progress.pid})${progress.committedAt ? `, last commit ${ago(progress.committedAt)}` : ''}`
        : progress.source === 'busy'
          ? 'file held by another process that serves no queries'
          : 'sink not running';
    const text = [
      `${silverPath}: ${state}`,
      progress.snapshot ? `snapshot ${progress.snapshot.path}: published ${ago(progress.snapshot.publishedAt)}` : 'no snapshot published yet',
      ...table(['topic', 'silver behind', 'snapshot behind'], rows, [false, true, true]).split('\n'),
    ];
    return {
      text,
      json: {
        path: silverPath,
        source: progress.source,
        pid: progress.pid ?? null,
        committedAt: progress.committedAt ?? null,
        behind: progress.source === 'busy' ? null : total(silver),
        snapshot: progress.snapshot ? { path: progress.snapshot.path, publishedAt: progress.snapshot.publishedAt, behind: total(snapshot) } : null,
        topics: topics.map((t) => ({ topic: t, behind: silver.get(t) ?? 0, snapshotBehind: snapshot?.get(t) ?? null })),
      },
    };
  },
};

import type { Simulator } from '../../../simulator/index.ts';

/**
 * Rows no client can read: the simulator's `shift` fault hides a market's newest fills until
 * someone asks that market for a page past its first, so in a market whose whole history fits one
 * page (where no reader pages further) they never arrive. Those are the newest rows of markets
 * that saw no request with an offset, and nothing else.
 */
export function neverArrived(sim: Simulator, written: Map<string, number>): Set<string> {
  const paged = new Set<string>();
  for (const e of sim.requestLog.entries()) {
    if (e.route !== 'data:/trades') continue;
    const q = new URLSearchParams(e.query);
    if (Number(q.get('offset') ?? 0) > 0) paged.add(q.get('market') ?? '');
  }
  const byMarket = new Map<string, Array<{ key: string; ts: number }>>();
  for (const r of sim.truth({ types: ['trade'] })) {
    const list = byMarket.get(r.conditionId as string) ?? [];
    list.push({ key: r.key, ts: r.timestamp as number });
    byMarket.set(r.conditionId as string, list);
  }
  const out = new Set<string>();
  for (const [market, rows] of byMarket) {
    if (paged.has(market)) continue;
    const newestRead = Math.max(...rows.filter((r) => written.has(r.key)).map((r) => r.ts), 0);
    const unread = rows.filter((r) => !written.has(r.key));
    // Hidden fills are the newest ones (4 fills, so at most 8 rows), all newer than anything read.
    if (unread.length <= 8 && unread.every((r) => r.ts >= newestRead)) for (const r of unread) out.add(r.key);
  }
  return out;
}

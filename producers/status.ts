/**
 * What `pma status` shows of the producers: progress per endpoint from pma.cursors (units, how
 * many are complete, records, the last update) and the gaps reported on pma.gaps.
 */
import type { Serde } from '../registry/serde.ts';
import { TOPICS } from '../schemas/topics.ts';
import type { Transport } from '../transport/types.ts';
import type { GapRecord } from './context.ts';
import { type Cursor, CursorStore } from './records/cursors.ts';
import { readTopic } from './records/read.ts';

export interface EndpointProgress {
  endpoint: string;
  units: number;
  complete: number;
  records: number;
  /** Unix ms of the newest cursor of the endpoint. */
  updatedAt: number;
  /** Newest record time seen across its units (Unix ms), when known. */
  newestRecord: number | null;
}

export interface GapSummary {
  endpoint: string;
  reason: string;
  count: number;
  /** A few examples: market or token and the span. */
  examples: string[];
}

export interface ProducerStatus {
  endpoints: EndpointProgress[];
  gaps: GapSummary[];
}

export function summariseCursors(cursors: Iterable<Cursor>): EndpointProgress[] {
  const by = new Map<string, EndpointProgress>();
  for (const c of cursors) {
    const e = by.get(c.endpoint) ?? { endpoint: c.endpoint, units: 0, complete: 0, records: 0, updatedAt: 0, newestRecord: null };
    e.units++;
    if (c.complete) e.complete++;
    e.records += c.records;
    e.updatedAt = Math.max(e.updatedAt, c.updatedAt);
    if (c.lastTimestamp !== null && c.endpoint !== 'pma:ingest') e.newestRecord = Math.max(e.newestRecord ?? 0, c.lastTimestamp);
    by.set(c.endpoint, e);
  }
  return [...by.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint));
}

export async function producerStatus(transport: Transport, serde: Serde): Promise<ProducerStatus> {
  const cursorCodec = await serde.codecFor<Cursor>(TOPICS.cursors);
  const gapCodec = await serde.codecFor<GapRecord>(TOPICS.gaps);
  const store = await CursorStore.load(transport, TOPICS.cursors.name, cursorCodec);
  const gaps = new Map<string, GapSummary>();
  await readTopic(transport, TOPICS.gaps.name, async (r) => {
    if (!r.value) return;
    const g = await gapCodec.decode(r.value);
    const id = `${g.endpoint}|${g.reason}`;
    const s = gaps.get(id) ?? { endpoint: g.endpoint, reason: g.reason, count: 0, examples: [] };
    s.count++;
    if (s.examples.length < 3) {
      const span = g.start !== null || g.end !== null ? ` ${iso(g.start)}..${iso(g.end)}` : '';
      s.examples.push(`${g.market ?? g.token ?? g.detail ?? ''}${span}`.trim());
    }
    gaps.set(id, s);
  });
  return { endpoints: summariseCursors(store.all()), gaps: [...gaps.values()] };
}

function iso(ms: number | null): string {
  return ms === null ? '?' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Plain-text tables of a ProducerStatus, for `pma status`. */
export function formatProducerStatus(s: ProducerStatus): string {
  const rows = s.endpoints.map((e) => [e.endpoint, `${e.complete}/${e.units}`, String(e.records), e.newestRecord === null ? '-' : iso(e.newestRecord), iso(e.updatedAt)]);
  const lines = [table(['endpoint', 'complete/units', 'records', 'newest record', 'updated'], rows)];
  if (s.gaps.length === 0) lines.push('gaps: none reported');
  else
    lines.push(
      table(
        ['gap endpoint', 'reason', 'count', 'examples'],
        s.gaps.map((g) => [g.endpoint, g.reason, String(g.count), g.examples.join('; ')]),
      ),
    );
  return lines.join('\n\n');
}

function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

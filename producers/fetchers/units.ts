/**
 * Where a unit of work stands at the start of a run, from its cursor: never seen, part-way (resume
 * from the cursor), done in this run's generation (skip), or done in an earlier generation (due
 * for an incremental pass, or a new snapshot for lists that are re-read whole).
 */
import { HttpError } from '../../runtime/errors.ts';
import type { Cursor } from '../records/cursors.ts';

export type UnitStatus = 'new' | 'resume' | 'done' | 'stale';

export interface Detail {
  /** Generation (run start, Unix s) the cursor was written in. */
  gen?: number;
  [key: string]: unknown;
}

export function readDetail(c: Cursor | undefined): Detail {
  if (!c?.detail) return {};
  try {
    const v = JSON.parse(c.detail) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Detail) : {};
  } catch {
    return {};
  }
}

export function unitStatus(c: Cursor | undefined, generation: number): UnitStatus {
  if (!c) return 'new';
  const d = readDetail(c);
  if (c.complete) return d.gen === generation ? 'done' : 'stale';
  return c.page === null || c.page === 0 ? 'new' : 'resume';
}

/** The status and message of a 4xx the API answered (after the caller decided not to retry it). */
export function refusal(err: unknown): { status: number; message: string } | undefined {
  if (!(err instanceof HttpError) || err.exhausted) return undefined;
  const status = err.status;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  return { status, message: err.message };
}

/** The cap named in messages such as "max historical trades offset of 10000 exceeded". */
export function capFromMessage(message: string): number | undefined {
  const m = /offset(?: of)?\D{0,20}(\d+)/i.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Unix ms of an ISO-ish date string (any of the API's dialects), or undefined. */
export function parseTime(v: string | null | undefined): number | undefined {
  if (!v) return undefined;
  let s = v.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += 'T00:00:00Z';
  s = s.replace(' ', 'T').replace(/([+-]\d{2})(:\d{2}){0,2}$/, (_m, h: string) => `${h}:00`);
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : undefined;
}

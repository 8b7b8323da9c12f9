/** Shared helpers of the simulator specs: a started simulator per suite and a plain undici client. */
import { request } from 'undici';
import { type SimOptionsInput, type Simulator, startSimulator } from '../../simulator/index.ts';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  bytes: Buffer;
}

/** GET (or POST with a JSON body) through undici, no retries, whole body read. */
export async function fetchRaw(url: string, body?: unknown): Promise<Reply> {
  const res = await request(url, body === undefined ? { method: 'GET' } : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, text: bytes.toString('utf8'), bytes };
}

export async function getJson<T = unknown>(url: string, body?: unknown): Promise<{ status: number; body: T; reply: Reply }> {
  const reply = await fetchRaw(url, body);
  return { status: reply.status, body: JSON.parse(reply.text) as T, reply };
}

/** Starts a simulator for a suite (before) and closes it (after). Limits are off unless asked. */
export function useSimulator(options: SimOptionsInput): { readonly sim: Simulator } {
  const holder: { sim?: Simulator } = {};
  before(async () => {
    holder.sim = await startSimulator({ port: 0, limits: false, ...options });
  });
  after(async () => {
    await holder.sim?.close();
  });
  return {
    get sim() {
      return holder.sim!;
    },
  };
}

export const qs = (params: Record<string, string | number | boolean | undefined>) =>
  Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');

/**
 * Every POST body goes through here before a page sees it, so no request can make the server
 * hold more than `maxBytes` of it, and a request that cannot pass the CSRF check costs nothing:
 *   1. a declared Content-Length over the cap: 413, nothing read;
 *   2. no session cookie (no token can match): 403, nothing read;
 *   3. an `x-csrf-token` header (htmx) that does not match: 403, nothing read;
 *   4. otherwise the body is read up to the cap while it streams in (413 past it), and a form
 *      without the header must carry the token in its `_csrf` field.
 * A refused request's connection is closed once the answer is out (after a short linger, so
 * the client reads the answer before the unread body makes the socket reset).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { CSRF_FIELD, CSRF_HEADER, type Csrf } from './security.ts';

/** The largest form the pages post (a 2,000-character description, percent-encoded, fits many times). */
export const MAX_FORM_BYTES = 64 * 1024;

/** How long a refused connection may keep sending before it is closed, ms. */
const LINGER_MS = 1_000;

export const CSRF_REFUSED = 'invalid or missing CSRF token: reload the page and try again';

const forms = new WeakMap<Request, Record<string, string>>();

/** The form the guard read and checked for this request (undefined if it did not pass). */
export function checkedForm(c: Context): Record<string, string> | undefined {
  return forms.get(c.req.raw);
}

export function formGuard(csrf: Csrf, maxBytes = MAX_FORM_BYTES): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared !== undefined && !(Number(declared) <= maxBytes)) return refuse(c, 413, `a request body is at most ${maxBytes} bytes`);
    if (!csrf.hasSession(c)) return refuse(c, 403, CSRF_REFUSED);
    const headerToken = c.req.header(CSRF_HEADER);
    if (headerToken !== undefined && !csrf.valid(c, headerToken)) return refuse(c, 403, CSRF_REFUSED);
    const body = await readUpTo(c.req.raw, maxBytes);
    if (body === null) return refuse(c, 413, `a request body is at most ${maxBytes} bytes`);
    const fields = await formFields(body, c.req.header('content-type'));
    if (headerToken === undefined && !csrf.valid(c, fields[CSRF_FIELD])) return refuse(c, 403, CSRF_REFUSED);
    forms.set(c.req.raw, fields);
    await next();
  };
}

/** The body, or null once it passes `max` bytes (the rest is left unread). */
async function readUpTo(req: Request, max: number): Promise<Uint8Array | null> {
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      reader.releaseLock();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

/** String fields of a urlencoded or multipart form; anything else has none. */
async function formFields(body: Uint8Array, contentType: string | undefined): Promise<Record<string, string>> {
  const fields: Record<string, string> = {};
  const type = (contentType ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return fields;
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType! } }).formData();
  } catch {
    // A body that is not the form it claims to be has no fields; its missing token refuses it.
    return fields;
  }
  for (const [k, v] of form) if (typeof v === 'string') fields[k] = v;
  return fields;
}

function refuse(c: Context, status: 403 | 413, message: string): Response {
  lingerThenClose(c);
  return c.text(message, status, { Connection: 'close' });
}

/** Closes the connection a little after the answer is out, whatever is left of the body unread. */
function lingerThenClose(c: Context): void {
  const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
  const socket = env?.incoming?.socket;
  if (!env?.outgoing || !socket) return;
  env.outgoing.once('finish', () => {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}

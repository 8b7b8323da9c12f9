/**
 * What keeps the Tag Manager safe in a browser that also visits other sites:
 *  - a strict Content-Security-Policy (scripts and styles only from this server, no inline code);
 *  - a CSRF token on every POST: an HMAC of the session cookie under a secret kept in the data
 *    dir (so open tabs survive a restart), sent as a form field or the `x-csrf-token` header
 *    (htmx), compared in constant time, checked before the body is read where it can be
 *    (form-guard.ts);
 *  - cross-site requests refused by their Origin / Sec-Fetch-Site headers;
 *  - requests for another Host refused while bound to loopback (DNS rebinding).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export const SESSION_COOKIE = 'pma_tagger_sid';
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export class Csrf {
  readonly #secret: Buffer;
  /** A new session id per request that had none, so every form of one response carries one token. */
  readonly #issued = new WeakMap<Request, string>();

  /** `secret`: at least 32 random bytes (secret-file.ts keeps them across restarts). */
  constructor(secret: Buffer = randomBytes(32)) {
    if (secret.length < 32) throw new RangeError('a CSRF secret needs at least 32 bytes');
    this.#secret = secret;
  }

  /** Whether the request carries a session cookie at all (without one, no token can be valid). */
  hasSession(c: Context): boolean {
    return SESSION_ID.test(getCookie(c, SESSION_COOKIE) ?? '');
  }

  /** The session id of this request (set as a cookie when new). */
  session(c: Context): string {
    const issued = this.#issued.get(c.req.raw);
    if (issued) return issued;
    let sid = getCookie(c, SESSION_COOKIE);
    if (!sid || !SESSION_ID.test(sid)) {
      sid = randomBytes(32).toString('base64url');
      setCookie(c, SESSION_COOKIE, sid, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    this.#issued.set(c.req.raw, sid);
    return sid;
  }

  token(sid: string): string {
    return createHmac('sha256', this.#secret).update(sid).digest('base64url');
  }

  /** Whether `given` is the token of the request's session cookie. */
  valid(c: Context, given: string | undefined): boolean {
    const sid = getCookie(c, SESSION_COOKIE);
    if (!sid || !given) return false;
    const expected = Buffer.from(this.token(sid));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}

/** Security headers on every response. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (!c.res.headers.get('Cache-Control')) c.header('Cache-Control', 'no-store');
  };
}

/** Refuses requests whose Host is not this server's, when listening on loopback only. */
export function hostCheck(allowed: () => ReadonlySet<string> | null): MiddlewareHandler {
  return async (c, next) => {
    const hosts = allowed();
    const host = (c.req.header('host') ?? '').toLowerCase();
    if (hosts && !hosts.has(host)) return c.text('unknown host', 421);
    await next();
  };
}

/** Cross-site checks for unsafe methods; the token itself is checked after the body is read. */
export function originCheck(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      if (c.req.header('sec-fetch-site') === 'cross-site') return c.text('cross-site request refused', 403);
      const origin = c.req.header('origin');
      if (origin && origin !== 'null') {
        let host: string;
        try {
          host = new URL(origin).host;
        } catch {
          return c.text('bad origin', 403);
        }
        if (host !== c.req.header('host')) return c.text('cross-origin request refused', 403);
      } else if (origin === 'null') {
        return c.text('opaque origin refused', 403);
      }
    }
    await next();
  };
}

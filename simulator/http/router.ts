/**
 * Route lookup: exact paths from a map, templates with `{param}` segments by segment comparison
 * (static segments win over parameters, so `/markets/keyset` is never taken for `/markets/{id}`).
 */
import type { ApiName, Route } from './types.ts';

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  readonly #exact = new Map<string, Route>();
  readonly #templated: Array<{ route: Route; segments: string[] }> = [];
  /** Paths that exist with another method (for 405). */
  readonly #paths = new Set<string>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      if (route.template.includes('{')) {
        this.#templated.push({ route, segments: route.template.split('/') });
      } else {
        this.#exact.set(`${route.method} ${route.api}${route.template}`, route);
        this.#paths.add(`${route.api}${route.template}`);
      }
    }
  }

  match(api: ApiName, method: string, path: string): Match | null {
    const exact = this.#exact.get(`${method} ${api}${path}`);
    if (exact) return { route: exact, params: {} };
    const segs = path.split('/');
    for (const { route, segments } of this.#templated) {
      if (route.api !== api || route.method !== method || segments.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const t = segments[i]!;
        if (t.startsWith('{')) {
          if (segs[i] === '') {
            ok = false;
            break;
          }
          params[t.slice(1, -1)] = decodeURIComponent(segs[i]!);
        } else if (t !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return { route, params };
    }
    return null;
  }

  /** Is there a route for this path under another method? */
  hasPath(api: ApiName, path: string): boolean {
    return this.#paths.has(`${api}${path}`);
  }
}

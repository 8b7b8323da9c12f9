import { request } from 'node:http';
import { expect } from 'chai';
import fc from 'fast-check';
import { silentLogger } from '../../runtime/logger.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { TaggerService } from '../../tagger/service.ts';
import { escapeHtml, html, raw } from '../../tagger/web/html.ts';
import { CSP } from '../../tagger/web/security.ts';
import { startWebServer, type WebServer } from '../../tagger/web/server.ts';
import { type Harness, market, openHarness } from './harness.ts';

const EVIL = `<script>alert("x")</script><img src=x onerror=alert(1)>"'&`;

/** A raw HTTP request, so the Host header can be anything (fetch would not let us). */
function rawGet(url: string, host: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: '/tags', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

interface BigPost {
  status: number;
  /** Body bytes the client got the socket to accept before the answer came. */
  written: number;
  ms: number;
}

/** POSTs up to `total` bytes of form body, stopping as soon as the server answers. */
function bigPost(url: string, headers: Record<string, string>, total: number): Promise<BigPost> {
  const u = new URL(url);
  const started = performance.now();
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request({ host: u.hostname, port: u.port, path: '/tags', method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }, (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, written, ms: performance.now() - started });
      req.destroy();
    });
    // Writing into a connection the server closed after answering fails; only an error before the answer counts.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && written < total) {
        written += chunk.byteLength;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

const HUNDRED_MB = 100 * 1024 * 1024;
/** Body bytes a refused request may get accepted: the form cap plus socket buffers on both sides. */
const ACCEPTED_AT_MOST = 12 * 1024 * 1024;

describe('tagger/web: untrusted text and forged requests', () => {
  it('html`` escapes every interpolated string, at any depth, and only raw() passes markup', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = html`<p title="${s}">${s}${[s, html`<b>${s}</b>`]}</p>`.value;
        expect(out.replace(/<\/?(p|b)( title="[^"<>]*")?>/g, '')).not.to.match(/[<>"]/);
      }),
    );
    expect(escapeHtml(EVIL)).to.equal('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
    expect(html`${raw('<br>')}`.value).to.equal('<br>');
  });

  describe('over HTTP', () => {
    let h: Harness;
    let service: TaggerService;
    let web: WebServer;
    let cookie: string;
    let token: string;

    before(async () => {
      h = await openHarness();
      const producer = h.transport.producer();
      const m = market(1, EVIL, { description: `desc ${EVIL}`, category: EVIL });
      await producer.send(TOPICS.markets.name, [{ key: Buffer.from(m.condition_id), value: h.codecs.markets.encode(m) }]);
      await producer.close();
      service = await TaggerService.start({ transport: h.transport, serde: h.serde, dataDir: h.dir, logger: silentLogger, classify: false });
      web = await startWebServer({ service, serde: h.serde, logger: silentLogger, port: 0 });
      const deadline = Date.now() + 10_000;
      // The classifier is off: feed the catalogue the way the market stream would.
      await service.store.upsertMarkets([m]);
      while ((await service.store.marketCount()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const id = await service.createTag(EVIL, EVIL, EVIL);
      await service.setExample(id, m.condition_id, 'POSITIVE', EVIL);
      await service.decide(id, m.condition_id, 'YES', 'judge', EVIL);
      const res = await fetch(`${web.url}/tags`);
      cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      token = /name="_csrf" value="([^"]+)"/.exec(await res.text())![1]!;
    });
    after(async () => {
      await web.close();
      await service.close();
      await h.close();
    });

    it('never sends market, tag or reviewer text as markup on any page', async () => {
      for (const path of ['/', '/tags', '/examples?q=script', '/judge', '/history', '/settings', '/pipeline']) {
        const body = await (await fetch(`${web.url}${path}`)).text();
        expect(body, path).not.to.contain('<script>alert');
        expect(body, path).not.to.contain('<img src=x');
      }
      // Judge's undo bar repeats the question of the market just decided.
      const tagId = (await service.store.tags())[0]!.tagId;
      const marketId = market(1, EVIL).condition_id;
      const current = (await service.store.currentDecision(marketId, tagId))!.decisionId;
      const form = new URLSearchParams({ _csrf: token, tag: tagId, market: marketId, decision: 'NO', expect: current });
      const decided = await fetch(`${web.url}/judge/decide`, { method: 'POST', headers: { cookie, 'hx-request': 'true', 'content-type': 'application/x-www-form-urlencoded' }, body: form });
      const fragment = await decided.text();
      expect(fragment).to.contain('undo-bar');
      expect(fragment).not.to.contain('<script>alert');
      expect(fragment).not.to.contain('<img src=x');
      const history = await (await fetch(`${web.url}/history`)).text();
      expect(history).to.contain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    });

    it('sends a strict Content-Security-Policy and no inline script or style on every page', async () => {
      for (const path of ['/', '/tags', '/examples', '/judge', '/history', '/settings', '/pipeline', '/nope']) {
        const res = await fetch(`${web.url}${path}`);
        const body = await res.text();
        expect(res.headers.get('content-security-policy'), path).to.equal(CSP);
        expect(res.headers.get('x-frame-options'), path).to.equal('DENY');
        expect(body, path).not.to.match(/<script(?![^>]*\bsrc="\/assets\/)[^>]*>/);
        expect(body, path).not.to.contain('<style');
        // Attribute names only: quoted values (where escaped market text lives) are blanked first.
        const tags = body.match(/<[a-z][^>]*>/gi) ?? [];
        expect(
          tags.map((t) => t.replace(/"[^"]*"/g, '""')).filter((t) => /\s(?:on[a-z]+|style)=/i.test(t)),
          path,
        ).to.deep.equal([]);
      }
      expect(CSP).to.contain("script-src 'self'").and.not.to.contain('unsafe');
    });

    it('refuses a POST without the CSRF token, with a wrong one, or from another origin', async () => {
      const post = (headers: Record<string, string>, body: Record<string, string>) =>
        fetch(`${web.url}/tags`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body) });
      expect((await post({ cookie }, { name: 'A' })).status).to.equal(403);
      expect((await post({ cookie }, { name: 'B', _csrf: `${token.slice(0, -2)}xx` })).status).to.equal(403);
      expect((await post({}, { name: 'C', _csrf: token })).status).to.equal(403);
      expect((await post({ cookie, origin: 'http://evil.example' }, { name: 'D', _csrf: token })).status).to.equal(403);
      expect((await post({ cookie, 'sec-fetch-site': 'cross-site' }, { name: 'E', _csrf: token })).status).to.equal(403);
      expect((await service.store.tags()).map((t) => t.name)).not.to.include.members(['A', 'B', 'C', 'D', 'E']);
      const ok = await post({ cookie, origin: web.url }, { name: 'Fine', _csrf: token });
      expect(ok.status).to.equal(303);
      const viaHeader = await post({ cookie, 'x-csrf-token': token }, { name: 'Fine too' });
      expect(viaHeader.status).to.equal(303);
      expect((await service.store.tags()).map((t) => t.name)).to.include.members(['Fine', 'Fine too']);
    });

    it('refuses a 100 MB POST quickly without reading it: declared, chunked, without a session, with a wrong header token', async () => {
      const tagsBefore = (await service.store.tags()).length;
      const rssBefore = process.memoryUsage().rss;
      const cases: Array<[string, Record<string, string>, number[]]> = [
        ['declared length, no token', { 'content-length': String(HUNDRED_MB) }, [403, 413]],
        ['chunked, no session cookie', {}, [403]],
        ['chunked, session but a wrong header token', { cookie, 'x-csrf-token': `${token.slice(0, -2)}xx` }, [403]],
        ['chunked, session and no token', { cookie }, [413]],
        ['chunked, session and the right header token', { cookie, 'x-csrf-token': token }, [413]],
      ];
      for (const [name, headers, statuses] of cases) {
        const r = await bigPost(web.url, headers, HUNDRED_MB);
        expect(r.status, name).to.be.oneOf(statuses);
        expect(r.written, `${name}: bytes accepted`).to.be.below(ACCEPTED_AT_MOST);
        expect(r.ms, `${name}: ms to the answer`).to.be.below(5_000);
      }
      expect(process.memoryUsage().rss - rssBefore, 'RSS growth').to.be.below(64 * 1024 * 1024);
      expect((await service.store.tags()).length).to.equal(tagsBefore);
      // A form of ordinary size still goes through.
      const ok = await fetch(`${web.url}/tags`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ name: 'Sized', description: 'd'.repeat(2_000), _csrf: token }),
      });
      expect(ok.status).to.equal(303);
    });

    it('answers only for its own host name while on loopback (no DNS rebinding)', async () => {
      expect(await rawGet(web.url, new URL(web.url).host)).to.equal(200);
      expect(await rawGet(web.url, `localhost:${new URL(web.url).port}`)).to.equal(200);
      expect(await rawGet(web.url, 'attacker.example')).to.equal(421);
    });

    it('listens on 127.0.0.1 by default', () => {
      expect(new URL(web.url).hostname).to.equal('127.0.0.1');
    });

    it('does not redirect outside the app after a History edit', async () => {
      const rows = await service.store.history({ limit: 1, offset: 0 });
      const res = await fetch(`${web.url}/history/decide`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _csrf: token, tag: rows[0]!.tagId, market: rows[0]!.marketId, decision: 'NO', expect: rows[0]!.decisionId, back: '//evil.example/x' }),
      });
      expect(res.status).to.equal(303);
      expect(res.headers.get('location')).to.match(/^\/history\?done=changed$/);
    });
  });
});

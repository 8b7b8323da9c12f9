/**
 * The HTTP registry client reaching a registry behind basic auth given as separate settings, over
 * https with a private CA; and failing clearly, without a password in the error, when it cannot.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { openRegistry } from '../../registry/index.ts';
import { ConfigError, RegistryError } from '../../runtime/errors.ts';
import { tempDirPerTest } from '../temp-dir.ts';

const USER = 'reg';
const PASSWORD = 'hunter2-secret';
const SCHEMA = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });

/** A self-signed certificate for 127.0.0.1: its own CA. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.error?.message ?? r.stderr}`);
  return { cert, key };
}

/** A registry that answers only with the right basic auth: one subject, its registration, no subject-level config. */
function startRegistry(tls: { cert: string; key: string }): Promise<Server> {
  const expected = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const server = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    req.resume();
    if (req.headers.authorization !== expected) return send(401, { error_code: 40101, message: 'Unauthorized' });
    if (req.method === 'GET' && req.url === '/subjects') return send(200, ['s-value']);
    if (req.method === 'GET' && req.url === '/config/s-value') return send(404, { error_code: 40408, message: 'Subject does not have subject-level compatibility configured' });
    if (req.method === 'POST' && req.url === '/subjects/s-value/versions') return send(200, { id: 7 });
    return send(404, { error_code: 404, message: `no ${req.method} ${req.url}` });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('registry/http: basic auth settings and a private CA', function () {
  this.timeout(30_000);
  const tmp = tempDirPerTest('pma-registry-access-');
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  async function serve() {
    const tls = selfSigned(tmp.path);
    server = await startRegistry(tls);
    return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: tls.cert };
  }

  it('lists and registers over https with registryUser / registryPassword and registryTlsCa', async () => {
    const { url, ca } = await serve();
    const registry = await openRegistry({ registry: url, dataDir: tmp.path, registryUser: USER, registryPassword: PASSWORD, registryTlsCa: ca });
    try {
      expect(await registry.listSubjects()).to.deep.equal(['s-value']);
      expect(await registry.register('s-value', SCHEMA)).to.equal(7);
    } finally {
      await registry.close();
    }
  });

  it('fails with a RegistryError naming the certificate without the CA, and with 401 on a wrong password, the password never shown', async () => {
    const { url, ca } = await serve();
    const untrusted = await openRegistry({ registry: url.replace('https://', `https://${USER}:${PASSWORD}@`), dataDir: tmp.path });
    const wrong = await openRegistry({ registry: url, dataDir: tmp.path, registryUser: USER, registryPassword: 'wrong', registryTlsCa: ca });
    try {
      const errors: unknown[] = [];
      for (const registry of [untrusted, wrong])
        errors.push(
          await registry.listSubjects().then(
            () => undefined,
            (err: unknown) => err,
          ),
        );
      expect(errors[0])
        .to.be.instanceOf(RegistryError)
        .with.property('message')
        .that.matches(/certificate/);
      expect(errors[1])
        .to.be.instanceOf(RegistryError)
        .with.property('message')
        .that.matches(/HTTP 401/);
      for (const err of errors) expect(JSON.stringify(err) + String((err as Error).message)).not.to.contain(PASSWORD);
    } finally {
      await untrusted.close();
      await wrong.close();
    }
  });

  it('refuses a CA file it cannot read, naming the path and PMA_REGISTRY_TLS_CA', async () => {
    const missing = join(tmp.path, 'no-such-ca.pem');
    const err = await openRegistry({ registry: 'https://127.0.0.1:1', dataDir: tmp.path, registryTlsCa: missing }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConfigError).with.property('code', 'PMA_ERR_CONFIG');
    expect((err as Error).message)
      .to.contain(missing)
      .and.to.contain('PMA_REGISTRY_TLS_CA');
  });
});

/** `pma registry register | list | get` as real processes, on the embedded registry and over HTTP. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { type ChildResult, runChild } from '../run-child.ts';
import { type ServeProcess, startServeProcess } from './serve-process.ts';

const PMA = fileURLToPath(new URL('../../cli/pma.ts', import.meta.url));

function pma(...args: string[]): Promise<ChildResult> {
  return runChild(process.execPath, [PMA, ...args, '--log-level', 'warn']);
}

describe('pma registry (CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  let v1: string;
  let breaking: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-registry-cli-'));
    v1 = join(dir, 'v1.avsc');
    breaking = join(dir, 'breaking.avsc');
    const fields = [{ name: 'id', type: 'string' }];
    writeFileSync(v1, JSON.stringify({ type: 'record', name: 'Thing', namespace: 'polymarket', fields }, null, 2));
    writeFileSync(breaking, JSON.stringify({ type: 'record', name: 'Thing', namespace: 'polymarket', fields: [...fields, { name: 'count', type: 'long' }] }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('registers a file, lists and gets it, and refuses a breaking change naming the field (embedded)', async () => {
    const dataDir = join(dir, 'data');
    const reg = await pma('registry', 'register', 'things-value', v1, '--data-dir', dataDir);
    expect(reg.code, reg.stderr).to.equal(0);
    expect(reg.stdout).to.match(/registered things-value version 1 id \d+/);
    const list = await pma('registry', 'list', '--data-dir', dataDir);
    expect(list.stdout).to.match(/things-value\s+version 1\s+id \d+/);
    const got = await pma('registry', 'get', 'things-value', '--data-dir', dataDir);
    expect(JSON.parse(got.stdout)).to.deep.include({ subject: 'things-value', version: 1 });
    const refused = await pma('registry', 'register', 'things-value', breaking, '--data-dir', dataDir);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain('field `count` added without a default');
    expect(JSON.parse((await pma('registry', 'get', 'things-value', '1', '--data-dir', dataDir)).stdout).version).to.equal(1);
    const badVersion = await pma('registry', 'get', 'things-value', 'abc', '--data-dir', dataDir);
    expect(badVersion.code).to.equal(2);
    expect(badVersion.stderr).to.contain('version');
  });

  it('works against a registry URL (here: pma registry serve)', async () => {
    let serve: ServeProcess | undefined;
    try {
      serve = await startServeProcess(join(dir, 'served'));
      const reg = await pma('registry', 'register', 'remote-value', v1, '--registry', serve.url);
      expect(reg.code, reg.stderr).to.equal(0);
      const list = await pma('registry', 'list', '--registry', serve.url);
      expect(list.stdout).to.match(/remote-value\s+version 1/);
      const missing = await pma('registry', 'get', 'nobody-value', '--registry', serve.url);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.contain('PMA_ERR_SCHEMA_NOT_FOUND');
    } finally {
      await serve?.stop();
    }
  });
});

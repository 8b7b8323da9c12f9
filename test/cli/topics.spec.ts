import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { silentLogger } from '../../runtime/logger.ts';
import { ALL_TOPICS } from '../../schemas/topics.ts';
import { createEmbeddedTransport } from '../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../transport/index.ts';

const PMA = new URL('../../cli/pma.ts', import.meta.url).pathname;

describe('cli/topics and cli/status', function () {
  this.timeout(60_000);
  let dataDir: string;
  const pma = (...args: string[]) => {
    const r = spawnSync(process.execPath, [PMA, '--data-dir', dataDir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, PMA_LOG_LEVEL: 'silent' },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pma-cli-topics-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates, lists, describes and deletes topics', () => {
    expect(pma('topics').stdout).to.contain('no topics');
    const created = pma('topics', 'create', 'bench.x', '--partitions', '3', '--retention-ms', '3600000', '--retention-bytes', '1048576');
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.contain('created: bench.x: 3 partitions, delete, retention 1h, 1 MiB/partition');
    expect(pma('topics', 'create', 'bench.c', '--partitions', '1', '--compact').code).to.equal(0);
    const listed = JSON.parse(pma('topics', 'list', '--json').stdout) as Array<{ name: string; partitions: number; cleanupPolicy: string; offsets: unknown[] }>;
    expect(listed.map((t) => [t.name, t.partitions, t.cleanupPolicy, t.offsets.length])).to.deep.equal([
      ['bench.c', 1, 'compact', 1],
      ['bench.x', 3, 'delete', 3],
    ]);
    const described = pma('topics', 'describe', 'bench.x');
    expect(described.stdout).to.match(/^bench\.x: 3 partitions/);
    expect(described.stdout.split('\n').filter((l) => /^\s+\d+\s+0\s+0\s+0$/.test(l))).to.have.length(3);
    const refused = pma('topics', 'delete', 'bench.x');
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain('--yes');
    expect(pma('topics', 'delete', 'bench.x', '--yes').code).to.equal(0);
    expect(pma('topics', 'describe', 'bench.x').code).to.equal(1);
  });

  it('refuses a conflicting partition count and bad flags with one line naming the problem', () => {
    pma('topics', 'create', 'bench.x', '--partitions', '3');
    const conflict = pma('topics', 'create', 'bench.x', '--partitions', '4');
    expect(conflict.code).to.equal(1);
    expect(conflict.stderr).to.contain('exists with 3 partitions');
    for (const args of [
      ['topics', 'create', 'bench.y', '--partitions', '0'],
      ['topics', 'create', 'bench.y', '--partitions', 'two'],
      ['topics', 'create', 'bench.y', '--partitions', '1', '--compact', '--retention-ms', '5'],
    ]) {
      const r = pma(...args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
    }
    expect(pma('topics', 'create', 'bad/name', '--partitions', '1').stderr).to.contain('invalid topic name');
  });

  it('creates the whole catalogue with init, idempotently', () => {
    expect(pma('topics', 'init').code).to.equal(0);
    const again = pma('topics', 'init');
    expect(again.stdout.split('\n').filter((l) => l.startsWith('exists'))).to.have.length(ALL_TOPICS.length);
    const listed = JSON.parse(pma('topics', '--json').stdout) as Array<{ name: string }>;
    expect(listed.map((t) => t.name).sort()).to.deep.equal(ALL_TOPICS.map((t) => t.name).sort());
  });

  it('shows per group and topic the committed offset, high watermark and lag, and creates no log when there is none', async () => {
    const none = pma('status');
    expect(none.code).to.equal(0);
    expect(none.stdout).to.contain('no embedded log');
    const transport = await createEmbeddedTransport({ path: embeddedLogPath(dataDir), logger: silentLogger });
    await transport.admin().createTopics([{ name: 'raw', partitions: 2 }]);
    await transport
      .producer()
      .send('raw', [
        ...Array.from({ length: 7 }, () => ({ key: null, value: Buffer.from('a'), partition: 0 })),
        ...Array.from({ length: 5 }, () => ({ key: null, value: Buffer.from('b'), partition: 1 })),
      ]);
    const c = transport.consumer({ groupId: 'proc' });
    await c.subscribe(['raw']);
    await c.commit([{ topic: 'raw', partition: 0, offset: 4 }]);
    await transport.close();

    const text = pma('status');
    expect(text.stdout).to.match(/raw\s+12\s+12/);
    expect(text.stdout).to.match(/proc\s+raw\s+4\s+12\s+8/);
    const detail = pma('status', '--partitions');
    expect(detail.stdout).to.match(/\[0\]\s+4\s+7\s+3/);
    expect(detail.stdout).to.match(/\[1\]\s+-\s+5\s+5/);
    const json = JSON.parse(pma('status', '--json').stdout) as { topics: unknown[]; groups: Array<{ group: string; lag: number }> };
    expect(json.topics).to.have.length(1);
    expect(json.groups.map((g) => [g.group, g.lag])).to.deep.equal([['proc', 8]]);
    expect(JSON.parse(pma('status', '--json', '--group', 'other').stdout).groups).to.deep.equal([]);
  });
});

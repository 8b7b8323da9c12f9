import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { silentLogger } from '../../../runtime/logger.ts';
import type { CleanTrade } from '../../../schemas/clean-records.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { bronzeRoot, parseFileName, runBronzeSink } from '../../../sinks/bronze/index.ts';
import { type BronzeCheckDeps, bronzeRowOf, checkBronzeNames, checkBronzeRows, scanBronze } from '../../../sinks/bronze/verify.ts';
import { EmbeddedRecordSource } from '../../../transport/embedded/verify.ts';
import { embeddedLogPath } from '../../../transport/index.ts';
import { cleanRecord } from '../clean-arbitrary.ts';
import { type LogHarness, publishClean, useLogHarness } from '../log-harness.ts';

const T0 = Date.UTC(2025, 11, 8, 22, 0, 0);
const HOUR = 3_600_000;

function trades(n: number, seed: number): CleanTrade[] {
  return fc.sample(cleanRecord('trades'), { numRuns: n, seed }).map((t, i) => ({ ...t, trade_id: `trade-${seed}-${i}`, timestamp: T0 + i * HOUR }));
}

describe('sinks/bronze/verify: Bronze offsets from the files against the log', function () {
  this.timeout(120_000);
  let h: LogHarness;
  let source: EmbeddedRecordSource;
  useLogHarness((opened) => {
    h = opened;
  }, 'each');
  afterEach(() => source?.close());

  const deps = (): BronzeCheckDeps => {
    source = new EmbeddedRecordSource(embeddedLogPath(h.dir));
    return { source, rowOf: (type) => bronzeRowOf(h.serde, type) };
  };
  const findings = async (check: typeof checkBronzeNames) => (await check(await scanBronze(bronzeRoot(h.dir)), deps())).map((d) => d.finding);

  it('a last write group whose records were all dead-lettered leaves no file and a gap up to the committed offset: not damage', async () => {
    await publishClean(h, 'trades', trades(30, 1), (t) => t.trade_id);
    const producer = h.transport.producer();
    await producer.send(
      TOPICS.trades.name,
      Array.from({ length: 5 }, (_, i) => ({ key: Buffer.from(`bad-${i}`), value: Buffer.from([9, 0, 0, 0, 1, 2, 3]), partition: 0 })),
    );
    await producer.close();
    await runBronzeSink({ dataDir: h.dir, rollRows: 4, compactEveryMs: 0 }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, until: 'caught-up' });
    expect(await findings(checkBronzeNames)).to.deep.equal([]);
    expect(await findings(checkBronzeRows)).to.deep.equal([]);
  });

  it('the last file of a partition deleted: found from the sink group committed offset, by names and by rows', async () => {
    await publishClean(h, 'trades', trades(40, 2), (t) => t.trade_id);
    await runBronzeSink({ dataDir: h.dir, rollRows: 4, compactEveryMs: 0 }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, until: 'caught-up' });
    const root = join(bronzeRoot(h.dir), 'trades');
    const all = readdirSync(root).flatMap((dt) => readdirSync(join(root, dt)).map((name) => ({ path: join(root, dt, name), range: parseFileName(name)! })));
    const last = all.filter((f) => f.range.partition === all[0]!.range.partition).sort((a, b) => b.range.last - a.range.last)[0]!;
    for (const f of all.filter((x) => x.range.first === last.range.first && x.range.partition === last.range.partition)) rmSync(f.path);
    for (const check of [checkBronzeNames, checkBronzeRows]) {
      const found = await findings(check);
      expect(found.map((f) => [f.layer, f.kind, f.partition, f.to])).to.deep.equal([['bronze', 'missing', last.range.partition, last.range.last]]);
      source.close();
    }
  });
});

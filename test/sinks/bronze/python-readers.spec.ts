import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import { silentLogger } from '../../../runtime/logger.ts';
import { CLEAN_TOPIC_KEYS, type CleanBookEvent, type CleanTrade, EVENT_TIME_FIELD } from '../../../schemas/clean-records.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { bronzeRoot, runBronzeCompaction, runBronzeSink, utcDate } from '../../../sinks/bronze/index.ts';
import { describeNeeding, pythonWith } from '../../prerequisite.ts';
import { cleanRecord } from '../clean-arbitrary.ts';
import { comparable } from '../duck-values.ts';
import { type LogHarness, openLogHarness, publishClean } from '../log-harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { python: py, missing } = pythonWith(['pyarrow', 'polars', 'duckdb']);

interface ReaderOutput {
  rows: Array<Record<string, unknown>>;
  pyarrow: { rows: number; dts: number; offsets: number };
  polars: { rows: number; dts: number; offsets: number };
  duckdb: { rows: number; dts: number; offsets: number };
}

describeNeeding('sinks/bronze: files read back by pyarrow, polars and duckdb from PyPI (readers this project did not write)', missing, function () {
  this.timeout(180_000);
  let h: LogHarness;
  before(async () => {
    h = await openLogHarness();
  });
  after(async () => {
    if (!h) return;
    await h.close();
    h.remove();
  });

  it('same rows, same values (strings from all of Unicode, nested book levels, UTC timestamps), same dt partitions', async () => {
    const t0 = Date.UTC(2025, 10, 30, 20, 0, 0);
    const trades: CleanTrade[] = fc.sample(cleanRecord('trades'), { numRuns: 700, seed: 21 }).map((t, i) => ({ ...t, trade_id: `t${i}`, timestamp: t0 + i * 997_000 }));
    const books: CleanBookEvent[] = fc.sample(cleanRecord('book'), { numRuns: 300, seed: 22 }).map((b, i) => ({ ...b, event_id: `b${i}`, timestamp: t0 + i * 3_600_000 }));
    await publishClean(h, 'trades', trades, (t) => t.trade_id);
    await publishClean(h, 'book', books, (b) => b.event_id);
    await runBronzeSink({ dataDir: h.dir, rollRows: 150 }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, until: 'caught-up' });

    for (const [type, sent, id, time] of [
      ['trades', trades, 'trade_id', 'timestamp'],
      ['book', books, 'event_id', 'timestamp'],
    ] as const) {
      const out = JSON.parse(execFileSync(py!, [join(here, 'read_bronze.py'), bronzeRoot(h.dir), type], { maxBuffer: 256 * 1024 * 1024 }).toString()) as ReaderOutput;
      const dts = new Set(sent.map((r) => utcDate(r[time]))).size;
      for (const reader of ['pyarrow', 'polars', 'duckdb'] as const) {
        expect(out[reader].rows, reader).to.equal(sent.length);
        expect(out[reader].dts, reader).to.equal(dts);
        expect(out[reader].offsets, reader).to.equal(out.pyarrow.offsets);
      }
      const byId = new Map<string, Record<string, unknown>>(sent.map((r) => [(r as unknown as Record<string, string>)[id]!, r as unknown as Record<string, unknown>]));
      for (const row of out.rows) {
        const { dt, _partition, _offset, ...values } = row;
        const original = byId.get(values[id] as string)!;
        expect(comparable(values), `${type} ${String(values[id])}`).to.deep.equal(comparable(original));
        expect(dt).to.equal(utcDate(original[time] as number));
      }
    }
  });

  it('every Bronze type, compacted and not: pyarrow, polars and duckdb count the same rows, dt partitions and offsets', async () => {
    const t0 = Date.UTC(2025, 5, 1, 12, 0, 0);
    const sent = new Map<string, number>();
    for (const [k, type] of CLEAN_TOPIC_KEYS.entries()) {
      const field = EVENT_TIME_FIELD[type];
      const records = fc.sample(cleanRecord(type), { numRuns: 400, seed: 40 + k }).map((r, i) => ({ ...r, [field]: t0 + i * 3_917_000 }));
      await publishClean(h, type, records as never[], () => `${type}-${Math.random()}`);
    }
    // The log also holds the first test's trades and books: every record in it is a row.
    for (const type of CLEAN_TOPIC_KEYS)
      sent.set(
        type,
        (await h.transport.admin().offsets(TOPICS[type].name)).reduce((n, p) => n + p.high - p.low, 0),
      );
    const dataDir = `${h.dir}/all-types`;
    const run = (compactEveryMs: number) =>
      runBronzeSink({ dataDir, rollRows: 60, compactEveryMs }, { transport: h.transport, serde: h.serde, logger: silentLogger, signal: new AbortController().signal, until: 'caught-up' });
    const read = (type: string) => JSON.parse(execFileSync(py!, [join(here, 'read_bronze.py'), bronzeRoot(dataDir), type], { maxBuffer: 256 * 1024 * 1024 }).toString()) as ReaderOutput;
    await run(0);
    const check = (stage: string) => {
      for (const type of CLEAN_TOPIC_KEYS) {
        const out = read(type);
        for (const reader of ['pyarrow', 'polars', 'duckdb'] as const) {
          expect(out[reader].rows, `${stage} ${type} ${reader}`).to.equal(sent.get(type));
          expect(out[reader].dts, `${stage} ${type} ${reader}`).to.equal(out.pyarrow.dts);
          expect(out[reader].offsets, `${stage} ${type} ${reader}`).to.equal(out.pyarrow.offsets);
        }
      }
    };
    check('as written');
    const compacted = await runBronzeCompaction(dataDir, {}, silentLogger);
    expect(compacted.dirs).to.be.greaterThan(0);
    check('compacted');
  });
});

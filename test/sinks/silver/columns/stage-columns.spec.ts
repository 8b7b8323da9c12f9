import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import avro from 'avsc';
import { expect } from 'chai';
import fc from 'fast-check';
import { loadSchema } from '../../../../schemas/index.ts';
import { TOPICS } from '../../../../schemas/topics.ts';
import { ParquetFileWriter } from '../../../../sinks/silver/columns/parquet-file.ts';
import { openScratchDir } from '../../../../sinks/silver/columns/scratch-dir.ts';
import { StageColumns } from '../../../../sinks/silver/columns/stage-columns.ts';
import { SILVER_TOPIC_KEYS, type SilverTopicKey, STAGE_COLUMNS } from '../../../../sinks/silver/staging.ts';
import { cleanRecord } from '../../clean-arbitrary.ts';
import { plain } from '../../duck-values.ts';

/** Writes `bodies` as a staging file with row groups of `groupRows`, and reads it back with DuckDB. */
async function roundTrip(dir: string, topic: SilverTopicKey, bodies: Buffer[], groupRows: number): Promise<Record<string, unknown>[]> {
  const columns = new StageColumns(topic);
  const path = join(dir, `${topic}-${Math.random().toString(36).slice(2)}.parquet`);
  const writer = new ParquetFileWriter(path, columns.columns);
  bodies.forEach((body, seq) => {
    columns.append(body, 0, body.length, seq);
    if (columns.rows === groupRows) {
      writer.writeRowGroup(columns.rows);
      columns.rows = 0;
    }
  });
  writer.writeRowGroup(columns.rows);
  columns.rows = 0;
  writer.close();
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(`SELECT * FROM read_parquet('${path}') ORDER BY _seq`)).getRowObjectsJS().map((r) => plain(r) as Record<string, unknown>);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** What a record stages: `_seq`, then each staged field as the Avro decoder gives it. */
function expected(topic: SilverTopicKey, record: Record<string, unknown>, seq: number): Record<string, unknown> {
  const row: Record<string, unknown> = { _seq: seq };
  for (const c of STAGE_COLUMNS[topic]) row[c.name] = plain(record[c.field]);
  return row;
}

describe('Silver staging columns (Avro bodies to a Parquet file DuckDB reads)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-stage-columns-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const topic of SILVER_TOPIC_KEYS) {
    it(`${topic}: every staged field reads back as the Avro decoder gives it, across row groups (property)`, async () => {
      const type = avro.Type.forSchema(loadSchema(TOPICS[topic].schema) as avro.Schema);
      await fc.assert(
        fc.asyncProperty(fc.array(cleanRecord(topic), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 5 }), async (records, groupRows) => {
          const bodies = records.map((r) => type.toBuffer(r));
          const rows = await roundTrip(dir, topic, bodies, groupRows);
          expect(rows).to.deep.equal(bodies.map((b, seq) => expected(topic, type.fromBuffer(b) as Record<string, unknown>, seq)));
        }),
        { numRuns: 15 },
      );
    });
  }

  it('stages text that is not UTF-8 as the Avro decoder reads it (U+FFFD), so DuckDB can read the file', async () => {
    const type = avro.Type.forSchema(loadSchema(TOPICS.prices.schema) as avro.Schema);
    const record = { token_id: 'T\u00e9', timestamp: 1_700_000_000_000, price: 0.5, condition_id: null, outcome: null, outcome_index: null, fidelity_minutes: 1, unresolved: false };
    const body = type.toBuffer(record);
    // "Té" is 54 c3 a9 after a one-byte length: cut the é in half.
    body[body.indexOf(0xa9)] = 0x41;
    const [row] = await roundTrip(dir, 'prices', [body], 10);
    expect(row!.token_id).to.equal('T\ufffdA');
  });

  it('a scratch directory is removed by the next writer once the process that made it has ended', async () => {
    const base = mkdtempSync(join(tmpdir(), 'pma-scratch-base-'));
    try {
      const stale = join(base, 'pma-silver-stage-999999999-abc');
      mkdtempSync(stale);
      const mine = await openScratchDir(base);
      const again = await openScratchDir(base);
      expect(readdirSync(base).sort()).to.deep.equal([mine, again].map((d) => d.slice(base.length + 1)).sort());
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

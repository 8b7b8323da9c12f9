import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableToIPC } from 'apache-arrow';
import avro from 'avsc';
import { expect } from 'chai';
import fc from 'fast-check';
import { DecodeError } from '../../../runtime/errors.ts';
import { CLEAN_TOPIC_KEYS, type CleanTopicKey } from '../../../schemas/clean-records.ts';
import { loadSchema } from '../../../schemas/index.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { compileColumns } from '../../../sinks/bronze/arrow/record-columns.ts';
import { encodeParquet } from '../../../sinks/bronze/parquet/encode.ts';
import { cleanRecord } from '../clean-arbitrary.ts';
import { comparable as json, plain } from '../duck-values.ts';

describe('sinks/bronze/arrow: Avro records to Arrow columns to Parquet', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-columns-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const topic of CLEAN_TOPIC_KEYS) {
    it(`${topic}: from objects and from Avro bytes the columns are identical, and DuckDB reads back every value`, async () => {
      const schema = loadSchema(TOPICS[topic].schema);
      const type = avro.Type.forSchema(schema as avro.Schema);
      const db = await DuckDBInstance.create(':memory:');
      const con = await db.connect();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(cleanRecord(topic as CleanTopicKey), { minLength: 1, maxLength: 400, size: 'max' }), async (records) => {
          const fromObjects = compileColumns(schema);
          const fromAvro = compileColumns(schema);
          records.forEach((r, i) => {
            fromObjects.appendObject(r as unknown as Record<string, unknown>, 3, 1000 + i);
            fromAvro.appendAvro(Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), type.toBuffer(r)]), 5, 3, 1000 + i);
          });
          const a = tableToIPC(fromObjects.finish(), 'stream');
          const b = tableToIPC(fromAvro.finish(), 'stream');
          expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).to.equal(0);
          const path = join(dir, `${topic}-${run++}.parquet`);
          writeFileSync(path, encodeParquet(a));
          const rows = (await con.runAndReadAll(`SELECT * FROM read_parquet('${path}') ORDER BY _offset`)).getRowObjectsJS();
          expect(rows.length).to.equal(records.length);
          rows.forEach((row, i) => {
            const { _partition, _offset, ...rest } = plain(row) as Record<string, unknown>;
            expect([_partition, _offset]).to.deep.equal([3, 1000 + i]);
            expect(json(rest)).to.deep.equal(json(records[i]));
          });
        }),
        { numRuns: 12 },
      );
      con.closeSync();
    });
  }

  it('a malformed Avro body is refused with a DecodeError and leaves no partial row behind', () => {
    const schema = loadSchema(TOPICS.book.schema);
    const type = avro.Type.forSchema(schema as avro.Schema);
    const cols = compileColumns(schema);
    const good = fc.sample(cleanRecord('book'), 3);
    cols.appendAvro(type.toBuffer(good[0]), 0, 0, 1);
    const body = type.toBuffer(good[1]);
    for (const bad of [body.subarray(0, body.length - 1), Buffer.concat([body, Buffer.from([0])]), Buffer.from([0xff, 0xff, 0xff])]) {
      expect(() => cols.appendAvro(bad, 0, 0, 2)).to.throw(DecodeError);
    }
    cols.appendAvro(type.toBuffer(good[2]), 0, 0, 3);
    expect(cols.length).to.equal(2);
    const table = cols.finish();
    expect(table.numRows).to.equal(2);
    expect(table.getChild('_offset')!.toArray()).to.deep.equal(new BigInt64Array([1n, 3n]));
    expect(
      json(
        table
          .getChild('bids')!
          .get(1)
          ?.toArray()
          .map((s: { toJSON(): unknown }) => s.toJSON()),
      ),
    ).to.deep.equal(json(good[2]!.bids));
  });
});

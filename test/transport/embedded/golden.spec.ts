/**
 * Golden stored formats: a log written by an earlier build (golden/log.sqlite) and one stored
 * batch (golden/batch-v1.hex) must still read with the current code, as kafkajs checks each
 * protocol version against recorded bytes. Round-trip tests cannot catch a writer and reader
 * changed together; these files were written once and are never regenerated to make this pass.
 * What they hold is in golden/expected.json, written from make-golden.ts's intent.
 *
 * The log is opened on a copy, so the committed file never changes (opening runs migrations, and
 * a consumer group join writes).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { expect } from 'chai';
import { EmbeddedRegistry } from '../../../registry/embedded.ts';
import { readSchemaId, Serde } from '../../../registry/serde.ts';
import { SchemaNotFoundError } from '../../../runtime/errors.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { decodeBatch, encodeProduced } from '../../../transport/embedded/batch-codec.ts';
import { createEmbeddedTransport, type EmbeddedTransport } from '../../../transport/embedded/index.ts';
import type { ConsumedRecord, ProduceRecord } from '../../../transport/types.ts';
import { bytesOf, type GoldenExpectation, type GoldenRecord, type JsonAvroValue, type JsonBytes, wireFormat } from './golden/format.ts';

const GOLDEN = fileURLToPath(new URL('./golden/', import.meta.url));
const expected = JSON.parse(readFileSync(join(GOLDEN, 'expected.json'), 'utf8')) as GoldenExpectation;
const schemaText = new Map(expected.registry.schemas.map((s) => [s.id, JSON.stringify(s.schema)]));

const unlimited = () => ({ records: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY, taken: 0 });

/** What a reader sees of a record, with bytes as Buffers so deep equality compares contents. */
function seen(r: Pick<ConsumedRecord, 'offset' | 'timestamp' | 'key' | 'value' | 'headers'>) {
  return {
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key && Buffer.from(r.key),
    value: r.value && Buffer.from(r.value),
    headers: { ...r.headers },
  };
}

function isAvro(v: JsonBytes | JsonAvroValue): v is JsonAvroValue {
  return v !== null && 'avro' in v;
}

/** The stored bytes of an expected value; Avro bodies come from avsc and the expected schema, not from the serde under test. */
function valueBytes(v: JsonBytes | JsonAvroValue): Buffer | null {
  if (!isAvro(v)) return bytesOf(v);
  const type = avro.Type.forSchema(JSON.parse(schemaText.get(v.avro.schemaId)!) as avro.Schema);
  return wireFormat(v.avro.schemaId, type.toBuffer(v.avro.value));
}

/** avsc decodes records into instances of generated classes; compare them as plain JSON. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('transport/embedded golden stored formats', function () {
  this.timeout(30_000);

  describe(`${expected.batch.file} (stored batch framing)`, () => {
    const payload = Buffer.from(readFileSync(join(GOLDEN, expected.batch.file), 'utf8').trim(), 'hex');
    const { baseOffset, now } = expected.batch;
    const where = { topic: 'golden', partition: 0, baseOffset };
    const records = expected.batch.records;
    const wanted = records.map((r, i) => ({
      offset: baseOffset + i,
      timestamp: r.timestamp ?? now,
      key: bytesOf(r.key),
      value: bytesOf(r.value),
      headers: r.headers ?? {},
    }));

    it('starts with the format byte it was written with', () => {
      expect(payload[0]).to.equal(expected.batch.format);
    });

    it('decodes to the recorded records: offsets, timestamps, null and empty bytes, headers', () => {
      const out: ConsumedRecord[] = [];
      const last = decodeBatch(payload, where, 0, out, unlimited());
      expect(last).to.equal(baseOffset + records.length - 1);
      expect(out.map(seen)).to.deep.equal(wanted);
      expect(out.every((r) => r.topic === 'golden' && r.partition === 0)).to.equal(true);
    });

    it('skips the records before the requested offset (the path that steps over headers unread)', () => {
      const out: ConsumedRecord[] = [];
      decodeBatch(payload, where, baseOffset + 2, out, unlimited());
      expect(out.map(seen)).to.deep.equal(wanted.slice(2));
    });

    it('is refused once a byte under the checksum changes', () => {
      const damaged = Buffer.from(payload);
      damaged[damaged.length - 1]! ^= 0x01;
      expect(() => decodeBatch(damaged, where, 0, [], unlimited())).to.throw(/checksum mismatch/);
    });

    // The v1 framing is a stored format, not an implementation detail: logs on disk hold it, so
    // the encoder must keep writing exactly these bytes. A new framing takes a new format byte and
    // its own batch-v<N>.hex beside this one; this file then stays to prove v1 still decodes, and
    // only this assertion moves to the new file.
    it('is exactly what the current encoder writes for the same records', () => {
      const input = records.map((r) => {
        const p: ProduceRecord = { key: bytesOf(r.key), value: bytesOf(r.value) };
        if (r.headers) p.headers = r.headers;
        if (r.timestamp !== undefined) p.timestamp = r.timestamp;
        return p;
      });
      const encoded = encodeProduced(input, 0, input.length, now);
      expect(encoded.payload.toString('hex')).to.equal(payload.toString('hex'));
    });
  });

  describe(`${expected.log.file} (a log written by an earlier build)`, () => {
    let dir: string;
    let path: string;
    let transport: EmbeddedTransport | undefined;
    let registry: EmbeddedRegistry | undefined;
    const topicNames = expected.log.topics.map((t) => t.name);

    const versionIn = (file: string): number => {
      const db = new DatabaseSync(file);
      try {
        return (db.prepare("SELECT value FROM log_meta WHERE key = 'schema_version'").get() as { value: number }).value;
      } finally {
        db.close();
      }
    };

    const open = (): EmbeddedTransport => {
      if (!transport) throw new Error('the golden log did not open');
      return transport;
    };

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pma-golden-'));
      path = join(dir, 'log.sqlite');
      copyFileSync(join(GOLDEN, expected.log.file), path);
    });

    after(async () => {
      await registry?.close();
      await transport?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('is one self-contained SQLite file at the log schema version it records', () => {
      for (const side of ['-wal', '-shm', '-journal']) expect(existsSync(join(GOLDEN, `${expected.log.file}${side}`)), side).to.equal(false);
      expect(readFileSync(path).subarray(0, 16).toString('latin1')).to.equal('SQLite format 3\u0000');
      expect(versionIn(path)).to.equal(expected.log.schemaVersion);
    });

    it('opens with the current code, whose migrations accept its schema version and move it only forward', async () => {
      // Maintenance off: the spec reads the log as written (retention or compaction would rewrite it).
      transport = await createEmbeddedTransport({ path, logger: silentLogger, maintenance: { intervalMs: 0 } });
      expect(versionIn(path)).to.be.at.least(expected.log.schemaVersion);
      const db = new DatabaseSync(path);
      try {
        expect(db.prepare('PRAGMA integrity_check').all()).to.deep.equal([{ integrity_check: 'ok' }]);
      } finally {
        db.close();
      }
    });

    it('lists and describes its topics', async () => {
      const admin = open().admin();
      const descriptions = expected.log.topics.map((t) => {
        const d: Record<string, unknown> = { name: t.name, partitions: t.partitions, cleanupPolicy: t.cleanupPolicy };
        if (t.retentionMs !== undefined) d.retentionMs = t.retentionMs;
        if (t.retentionBytes !== undefined) d.retentionBytes = t.retentionBytes;
        return d;
      });
      const listed = await admin.listTopics();
      expect([...listed].sort((a, b) => (a.name < b.name ? -1 : 1))).to.deep.equal(descriptions);
      for (const d of descriptions) expect(await admin.describeTopic(d.name as string)).to.deep.equal(d);
    });

    it('reports each partition’s offsets', async () => {
      const admin = open().admin();
      for (const t of expected.log.topics) expect(await admin.offsets(t.name), t.name).to.deep.equal(t.offsets);
    });

    it('finds offsets by timestamp inside its stored batches', async () => {
      const admin = open().admin();
      for (const t of expected.log.topics) {
        for (const ts of [0, ...t.records.map((r) => r.timestamp), ...t.records.map((r) => r.timestamp + 1)]) {
          const want = t.offsets.map(({ partition, high }) => ({
            topic: t.name,
            partition,
            offset: t.records.find((r) => r.partition === partition && r.timestamp >= ts)?.offset ?? high,
          }));
          expect(await admin.offsetsForTimestamp(t.name, ts), `${t.name} at ${ts}`).to.deep.equal(want);
        }
      }
    });

    it('delivers every record to a new group: keys, values, headers, timestamps, offsets, compaction gaps skipped', async () => {
      const consumer = open().consumer({ groupId: 'golden-spec-reader', fromBeginning: true });
      try {
        await consumer.subscribe(topicNames);
        const total = expected.log.topics.reduce((n, t) => n + t.records.length, 0);
        const got: ConsumedRecord[] = [];
        const deadline = Date.now() + 10_000;
        while (got.length < total && Date.now() < deadline) {
          for (const batch of await consumer.poll({ waitMs: 200 })) got.push(...batch.records);
        }
        expect(await consumer.poll({ waitMs: 100 })).to.deep.equal([]);
        for (const t of expected.log.topics) {
          const mine = got.filter((r) => r.topic === t.name).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
          const want = t.records.map((r: GoldenRecord) => ({
            partition: r.partition,
            ...seen({ offset: r.offset, timestamp: r.timestamp, key: bytesOf(r.key), value: valueBytes(r.value), headers: r.headers }),
          }));
          expect(
            mine.map((r) => ({ partition: r.partition, ...seen(r) })),
            t.name,
          ).to.deep.equal(want);
          for (const { partition, high } of t.offsets) expect(consumer.position(t.name, partition), `${t.name}[${partition}]`).to.equal(high);
        }
      } finally {
        await consumer.close();
      }
    });

    it('keeps its groups’ committed offsets, and a member of such a group resumes from them', async () => {
      const admin = open().admin();
      const groups = await admin.listGroups();
      for (const g of expected.log.groups) {
        expect(groups).to.include(g.groupId);
        for (const topic of new Set(g.offsets.map((o) => o.topic))) {
          const want = g.offsets.filter((o) => o.topic === topic).sort((a, b) => a.partition - b.partition);
          expect(await admin.groupOffsets(g.groupId, topic), `${g.groupId} on ${topic}`).to.deep.equal(want);
          const t = expected.log.topics.find((x) => x.name === topic)!;
          expect(await admin.lag(g.groupId, topic)).to.deep.equal(
            t.offsets.map(({ partition, low, high }) => {
              const committed = want.find((o) => o.partition === partition)?.offset ?? null;
              return { topic, partition, committed, high, lag: Math.max(0, committed === null ? high - low : high - Math.max(committed, low)) };
            }),
          );
        }
      }

      const [group] = expected.log.groups;
      const consumer = open().consumer({ groupId: group!.groupId, fromBeginning: true });
      try {
        const topics = [...new Set(group!.offsets.map((o) => o.topic))];
        await consumer.subscribe(topics);
        for (const topic of topics) {
          for (const { partition, low } of expected.log.topics.find((t) => t.name === topic)!.offsets) {
            const committed = group!.offsets.find((o) => o.topic === topic && o.partition === partition);
            expect(consumer.position(topic, partition), `${topic}[${partition}]`).to.equal(committed?.offset ?? low);
          }
        }
      } finally {
        await consumer.close();
      }
    });

    it('serves its registered schemas by id and by subject and version, soft deletes included', async () => {
      open();
      registry = new EmbeddedRegistry({ path });
      const reg = registry;
      for (const [id, text] of schemaText) expect(await reg.getSchemaById(id), `schema ${id}`).to.equal(text);

      expect(await reg.listSubjects()).to.deep.equal(expected.registry.subjects.map((s) => s.subject));
      for (const s of expected.registry.subjects) {
        expect(await reg.listVersions(s.subject), s.subject).to.deep.equal(s.versions.map((v) => v.version));
        for (const v of s.versions) {
          const sv = { subject: s.subject, version: v.version, id: v.id, schema: schemaText.get(v.id) };
          expect(await reg.getVersion(s.subject, v.version)).to.deep.equal(sv);
          expect(await reg.lookup(s.subject, schemaText.get(v.id)!)).to.deep.equal(sv);
        }
        const latest = s.versions.at(-1)!;
        expect(await reg.getLatest(s.subject)).to.deep.equal({ subject: s.subject, version: latest.version, id: latest.id, schema: schemaText.get(latest.id) });
        for (const v of s.deletedVersions) {
          const err = await reg.getVersion(s.subject, v.version).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, `${s.subject} v${v.version} is soft-deleted`).to.be.instanceOf(SchemaNotFoundError);
          expect(await reg.getSchemaById(v.id)).to.equal(schemaText.get(v.id));
        }
        expect(await reg.getSubjectCompatibility(s.subject)).to.equal(s.compatibility ?? undefined);
      }
      for (const id of schemaText.keys()) {
        const uses = expected.registry.subjects
          .flatMap((s) => s.versions.filter((v) => v.id === id).map((v) => ({ subject: s.subject, version: v.version })))
          .sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.version - b.version));
        expect(await reg.getVersionsById(id), `uses of schema ${id}`).to.deep.equal(uses);
      }
    });

    it('holds Avro values in the Confluent wire format that decode with their writer schema and with the latest one', async () => {
      open();
      const reg = registry ?? new EmbeddedRegistry({ path });
      registry = reg;
      const avroTopics = expected.log.topics.filter((t) => t.records.some((r) => isAvro(r.value)));
      expect(avroTopics, 'the golden log holds Avro values').to.not.be.empty;
      for (const t of avroTopics) {
        const subject = `${t.name}-value`;
        const versionsBefore = await reg.listVersions(subject);
        const latest = await reg.getLatest(subject);
        const codec = await new Serde(reg).codec<unknown>(t.name, latest.schema);
        expect(codec.schemaId).to.equal(latest.id);
        const consumer = open().consumer({ groupId: `golden-spec-avro-${t.name}` });
        try {
          await consumer.subscribe([t.name]);
          const got = (await consumer.poll({ waitMs: 2_000 })).flatMap((b) => b.records);
          expect(got.map((r) => r.offset)).to.deep.equal(t.records.map((r) => r.offset));
          for (const [i, r] of got.entries()) {
            const want = t.records[i]!.value;
            if (!isAvro(want)) continue;
            const value = Buffer.from(r.value!);
            expect(readSchemaId(value)).to.equal(want.avro.schemaId);
            const writer = avro.Type.forSchema(JSON.parse(await reg.getSchemaById(want.avro.schemaId)) as avro.Schema);
            expect(plain(writer.fromBuffer(value.subarray(5))), `offset ${r.offset} as written`).to.deep.equal(want.avro.value);
            expect(plain(await codec.decode(value, r)), `offset ${r.offset} read as the latest`).to.deep.equal(want.avro.asLatest);
          }
        } finally {
          await consumer.close();
        }
        // The codec registered the latest schema again: that must find it, not add a version.
        expect(await reg.listVersions(subject)).to.deep.equal(versionsBefore);
      }
    });
  });
});

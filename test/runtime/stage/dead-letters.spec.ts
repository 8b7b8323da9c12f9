/**
 * Decoding and dead letters of the stage runtime, through the real embedded transport:
 * undecodable messages land in pma.dlq with their original bytes and the one pma.dlq.* header
 * scheme; the stage gets the good records and goes on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DLQ_HEADERS, DLQ_TOPIC } from '../../../registry/dead-letter.ts';
import { EmbeddedRegistry } from '../../../registry/embedded.ts';
import { Serde, type TopicCodec } from '../../../registry/serde.ts';
import { DecodeError, NormaliseError, RegistryError } from '../../../runtime/errors.ts';
import { silentLogger } from '../../../runtime/logger.ts';
import { DeadLetterOutbox, decodeRecord } from '../../../runtime/stage/index.ts';
import { TOPICS } from '../../../schemas/topics.ts';
import { createEmbeddedTransport, type EmbeddedTransport } from '../../../transport/embedded/index.ts';
import { embeddedLogPath } from '../../../transport/index.ts';
import type { ConsumedRecord, Consumer, ProduceRecord, RecordBatch } from '../../../transport/types.ts';
import { testRecordSchema } from '../../avro-test-record.ts';

const SCHEMA = testRecordSchema('Point', [
  { name: 't', type: 'long' },
  { name: 'p', type: 'double' },
]);
type Point = { t: number; p: number };
const SOURCE = 'dlq-test.points';

async function drain(consumer: Consumer, want: number): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  for (let i = 0; i < 50 && out.length < want; i++) {
    for (const b of await consumer.poll({ waitMs: 200 })) out.push(...b.records);
  }
  return out;
}

/** Decodes a batch as a stage does: good records back in order, the rest to the outbox, flushed before returning. */
async function decodeBatch<T>(codec: TopicCodec<T>, batch: RecordBatch, outbox: DeadLetterOutbox): Promise<Array<{ record: ConsumedRecord; value: T | null }>> {
  const good: Array<{ record: ConsumedRecord; value: T | null }> = [];
  for (const record of batch.records) {
    const value = record.value === null ? null : await decodeRecord(codec, record);
    if (value instanceof DecodeError) outbox.add(record, value.reason, value);
    else good.push({ record, value });
  }
  await outbox.flush();
  return good;
}

describe('runtime/stage decoding and dead letters (real embedded transport)', function () {
  this.timeout(30_000);
  let dir: string;
  let transport: EmbeddedTransport;
  let registry: EmbeddedRegistry;
  let codec: TopicCodec<Point>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-dlq-'));
    const path = embeddedLogPath(dir);
    transport = await createEmbeddedTransport({ path, logger: silentLogger });
    registry = new EmbeddedRegistry({ path });
    codec = await new Serde(registry).codec<Point>(SOURCE, SCHEMA);
    await transport.admin().createTopics([
      { name: SOURCE, partitions: 2 },
      { name: DLQ_TOPIC, partitions: TOPICS.dlq.partitions },
    ]);
  });
  afterEach(async () => {
    await transport.close();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends every undecodable message to pma.dlq with its bytes and reason, and returns the good ones', async () => {
    const good = (i: number) => codec.encode({ t: 1_700_000_000 + i, p: i / 10 });
    const unknownId = Buffer.from(good(99));
    unknownId.writeInt32BE(codec.schemaId + 1000, 1);
    const badMagic = Buffer.from(good(98));
    badMagic[0] = 7;
    const trailing = Buffer.concat([good(97), Buffer.from([0xff])]);
    const messages: Array<{ key: string; value: Buffer | null; expect: string }> = [
      { key: 'a', value: good(1), expect: 'good' },
      { key: 'b', value: badMagic, expect: 'bad-magic-byte' },
      { key: 'c', value: good(2), expect: 'good' },
      { key: 'd', value: unknownId, expect: 'unknown-schema-id' },
      { key: 'e', value: Buffer.from([0, 0]), expect: 'truncated' },
      { key: 'f', value: trailing, expect: 'undecodable-body' },
      { key: 'g', value: null, expect: 'tombstone' },
      { key: 'h', value: good(3), expect: 'good' },
    ];
    const producer = transport.producer();
    const records: ProduceRecord[] = messages.map((m) => ({ key: Buffer.from(m.key), value: m.value, headers: { origin: `test-${m.key}` }, partition: 0 }));
    await producer.send(SOURCE, records);

    const consumer = transport.consumer({ groupId: 'dlq-test' });
    await consumer.subscribe([SOURCE]);
    const outbox = new DeadLetterOutbox(transport, 'test-stage', silentLogger);
    const decoded: Array<{ key: string; value: Point | null }> = [];
    for (let i = 0; i < 50 && decoded.length < 4; i++) {
      for (const batch of await consumer.poll({ waitMs: 200 })) {
        const ok = await decodeBatch(codec, batch, outbox);
        for (const d of ok) decoded.push({ key: d.record.key!.toString(), value: d.value === null ? null : { ...d.value } });
        // The dead letters are durable once the outbox is flushed: committing past them is safe.
        await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: batch.records.at(-1)!.offset + 1 }]);
      }
    }
    expect(decoded).to.deep.equal([
      { key: 'a', value: { t: 1_700_000_001, p: 0.1 } },
      { key: 'c', value: { t: 1_700_000_002, p: 0.2 } },
      { key: 'g', value: null },
      { key: 'h', value: { t: 1_700_000_003, p: 0.3 } },
    ]);

    const dlqReader = transport.consumer({ groupId: 'dlq-reader' });
    await dlqReader.subscribe([DLQ_TOPIC]);
    const letters = await drain(dlqReader, 4);
    const bad = messages.filter((m) => m.expect !== 'good' && m.expect !== 'tombstone');
    expect(letters.map((l) => l.key!.toString())).to.deep.equal(bad.map((m) => m.key));
    for (const [i, letter] of letters.entries()) {
      const original = bad[i]!;
      const offset = messages.indexOf(original);
      expect(letter.value).to.deep.equal(original.value);
      expect(letter.headers).to.include({
        origin: `test-${original.key}`,
        [DLQ_HEADERS.reason]: original.expect,
        [DLQ_HEADERS.stage]: 'test-stage',
        [DLQ_HEADERS.sourceTopic]: SOURCE,
        [DLQ_HEADERS.sourcePartition]: '0',
        [DLQ_HEADERS.sourceOffset]: String(offset),
      });
      expect(letter.headers[DLQ_HEADERS.error]).to.contain('PMA_ERR_DECODE');
      expect(Number(letter.headers[DLQ_HEADERS.sourceTimestamp])).to.be.greaterThan(0);
      expect(Date.parse(letter.headers[DLQ_HEADERS.time]!)).to.be.closeTo(Date.now(), 60_000);
    }
    expect(outbox.sent).to.equal(4);
    await outbox.close();
    await dlqReader.close();
    await consumer.close();
  });

  it('lets other stages dead-letter a record with their own reason', async () => {
    const producer = transport.producer();
    await producer.send(SOURCE, [{ key: Buffer.from('k'), value: codec.encode({ t: 1, p: 0.5 }), partition: 1 }]);
    const consumer = transport.consumer({ groupId: 'normaliser' });
    await consumer.subscribe([SOURCE]);
    const [record] = await drain(consumer, 1);
    const outbox = new DeadLetterOutbox(transport, 'process', silentLogger);
    outbox.add(record!, 'normalise-failed', new NormaliseError('price out of range', { field: 'p', value: 0.5 }));
    expect(outbox.pending).to.equal(1);
    await outbox.flush();
    await outbox.close();
    const reader = transport.consumer({ groupId: 'dlq-reader-2' });
    await reader.subscribe([DLQ_TOPIC]);
    const [letter] = await drain(reader, 1);
    expect(letter!.headers[DLQ_HEADERS.reason]).to.equal('normalise-failed');
    expect(letter!.headers[DLQ_HEADERS.error]).to.contain('price out of range').and.contain('field=p');
    expect(letter!.headers[DLQ_HEADERS.sourcePartition]).to.equal('1');
    expect(letter!.headers[DLQ_HEADERS.stage]).to.equal('process');
    await reader.close();
    await consumer.close();
  });

  it('decodes synchronously once the writer schema is cached, and names the record in a decode error', async () => {
    const producer = transport.producer();
    const bad = codec.encode({ t: 2, p: 2 });
    await producer.send(SOURCE, [
      { key: null, value: codec.encode({ t: 1, p: 1 }), partition: 1 },
      { key: null, value: Buffer.concat([bad, Buffer.from([1])]), partition: 1 },
    ]);
    const consumer = transport.consumer({ groupId: 'sync-path' });
    await consumer.subscribe([SOURCE]);
    const [first, second] = await drain(consumer, 2);
    const value = decodeRecord(codec, first!);
    expect(value).to.not.be.instanceOf(Promise);
    expect(value).to.deep.include({ t: 1, p: 1 });
    const failure = decodeRecord(codec, second!);
    expect(failure).to.be.instanceOf(DecodeError);
    expect((failure as DecodeError).context).to.include({ topic: SOURCE, partition: 1, offset: 1 });
    await consumer.close();
  });

  it('does not dead-letter anything when the registry cannot answer: the error propagates', async () => {
    const foreign = codec.encode({ t: 1, p: 1 });
    foreign.writeInt32BE(codec.schemaId + 5, 1);
    const producer = transport.producer();
    await producer.send(SOURCE, [{ key: null, value: foreign, partition: 0 }]);
    const consumer = transport.consumer({ groupId: 'registry-down' });
    await consumer.subscribe([SOURCE]);
    let batch: Awaited<ReturnType<Consumer['poll']>>[number] | undefined;
    for (let i = 0; i < 50 && !batch; i++) [batch] = await consumer.poll({ waitMs: 200 });
    await registry.close();
    try {
      await decodeRecord(codec, batch!.records[0]!);
      expect.fail('decoded with the registry closed');
    } catch (err) {
      expect(err).to.be.instanceOf(RegistryError);
    }
    const offsets = await transport.admin().offsets(DLQ_TOPIC);
    expect(offsets.every((o) => o.high === o.low)).to.equal(true);
    await consumer.close();
  });
});

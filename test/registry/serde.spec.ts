import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { expect } from 'chai';
import { EmbeddedRegistry } from '../../registry/embedded.ts';
import { Serde } from '../../registry/serde.ts';
import { DecodeError, type DecodeFailure, RegistryError, SchemaNotFoundError, SchemaValidationError } from '../../runtime/errors.ts';
import { loadSchema } from '../../schemas/index.ts';
import { toRawTrade } from '../../schemas/raw/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { testRecordSchema } from '../avro-test-record.ts';
import { rejectionOf, thrownBy } from '../expect-error.ts';

const QUOTE_V1 = testRecordSchema('Quote', [
  { name: 'token', type: 'string' },
  { name: 'price', type: 'double' },
  { name: 'levels', type: { type: 'array', items: { type: 'record', name: 'Level', fields: [{ name: 'size', type: 'long' }] } } },
]);
const QUOTE_V2 = { ...QUOTE_V1, fields: [...QUOTE_V1.fields, { name: 'venue', type: 'string', default: 'clob' }] };
const quote = { token: '7161', price: 0.52, levels: [{ size: 3 }, { size: 5 }] };

const decodeFailure = (fn: () => unknown): DecodeError => thrownBy(fn, DecodeError);
const rejected = (p: Promise<unknown>): Promise<Error> => rejectionOf(p);

describe('registry/serde', () => {
  let dir: string;
  let registry: EmbeddedRegistry;
  let serde: Serde;
  let topicN = 0;
  const topic = () => `serde-test-${++topicN}`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-serde-'));
    registry = new EmbeddedRegistry({ path: join(dir, 'log.sqlite') });
    serde = new Serde(registry);
  });
  afterEach(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the Confluent wire format: magic 0, big-endian id, then the Avro body', async () => {
    const t = topic();
    const codec = await serde.codec<typeof quote>(t, QUOTE_V1);
    expect((await registry.getLatest(`${t}-value`)).id).to.equal(codec.schemaId);
    const buf = codec.encode(quote);
    expect(buf[0]).to.equal(0);
    expect(buf.readInt32BE(1)).to.equal(codec.schemaId);
    expect(buf.subarray(5)).to.deep.equal(avro.Type.forSchema(QUOTE_V1 as avro.Schema).toBuffer(quote));
    expect(structuredClone(codec.decodeSync(buf))).to.deep.equal(quote);
    // Buffers are independent copies, not views of the scratch buffer.
    const other = codec.encode({ ...quote, token: 'other' });
    expect(structuredClone(codec.decodeSync(buf))).to.deep.equal(quote);
    expect(codec.decodeSync(other).token).to.equal('other');
  });

  it('reuses one codec per topic and schema, and codecFor uses the catalogue schema', async () => {
    const t = topic();
    expect(await serde.codec(t, QUOTE_V1)).to.equal(await serde.codec(t, JSON.stringify(QUOTE_V1)));
    const trades = await serde.codecFor(TOPICS.rawTrades);
    expect(trades.subject).to.equal('pma.raw.trades-value');
    const raw = toRawTrade({ proxyWallet: '0xabc', side: 'BUY', price: 0.5, size: 10, timestamp: 1_765_404_888, newKey: [1] });
    expect(structuredClone(trades.decodeSync(trades.encode(raw)))).to.deep.equal(raw);
  });

  it('refuses a value that does not match, naming the topic, the field path and the value', async () => {
    const t = topic();
    const codec = await serde.codec<unknown>(t, QUOTE_V1);
    const cases: Array<[unknown, string, unknown]> = [
      [{ ...quote, price: '0.52' }, 'price', '0.52'],
      [{ ...quote, levels: [{ size: 3 }, { size: 1.5 }] }, 'levels.1.size', 1.5],
      [{ token: '7161', levels: [] }, 'price', undefined],
    ];
    for (const [value, field, shown] of cases) {
      try {
        codec.encode(value);
        expect.fail(`encoded ${JSON.stringify(value)}`);
      } catch (err) {
        expect(err).to.be.instanceOf(SchemaValidationError);
        const e = err as SchemaValidationError;
        expect(e.message).to.contain(t).and.contain(`\`${field}\``);
        expect(e.context).to.include({ topic: t, field });
        expect(e.context.value).to.equal(shown);
      }
    }
    // The codec still works after a refusal.
    expect(structuredClone(codec.decodeSync(codec.encode(quote)))).to.deep.equal(quote);
  });

  it('grows its scratch buffer for large records', async () => {
    const codec = await serde.codec<typeof quote>(topic(), QUOTE_V1);
    const big = { ...quote, token: 'x'.repeat(300_000), levels: Array.from({ length: 20_000 }, (_, i) => ({ size: i })) };
    expect(structuredClone(codec.decodeSync(codec.encode(big)))).to.deep.equal(big);
  });

  it('reads data written with an older or newer compatible schema (resolved into the reader schema)', async () => {
    const t = topic();
    const v1 = await serde.codec<typeof quote>(t, QUOTE_V1);
    const written = v1.encode(quote);
    const v2 = await new Serde(registry).codec<typeof quote & { venue: string }>(t, QUOTE_V2);
    expect(v2.schemaId).to.not.equal(v1.schemaId);
    const err = await rejected(Promise.resolve().then(() => v2.decodeSync(written)));
    expect(err).to.be.instanceOf(SchemaNotFoundError);
    expect((err as SchemaNotFoundError).context.cached).to.equal(false);
    expect(structuredClone(await v2.decode(written))).to.deep.equal({ ...quote, venue: 'clob' });
    expect(v2.hasWriter(v1.schemaId)).to.equal(true);
    expect(structuredClone(v2.decodeSync(written))).to.deep.equal({ ...quote, venue: 'clob' });
    expect(structuredClone(await v1.decode(v2.encode({ ...quote, venue: 'amm' })))).to.deep.equal(quote);
  });

  it('classifies undecodable messages: bad magic byte, truncated, unknown id, undecodable body', async () => {
    const t = topic();
    const codec = await serde.codec<typeof quote>(t, QUOTE_V1);
    const good = codec.encode(quote);
    const where = { partition: 2, offset: 41 };
    const expectReason = (e: DecodeError, reason: DecodeFailure) => {
      expect(e.reason).to.equal(reason);
      expect(e.context).to.include({ topic: t, partition: 2, offset: 41 });
    };
    const magic = Buffer.from(good);
    magic[0] = 1;
    expectReason(
      decodeFailure(() => codec.decodeSync(magic, where)),
      'bad-magic-byte',
    );
    expectReason(
      decodeFailure(() => codec.decodeSync(good.subarray(0, 3), where)),
      'truncated',
    );
    expectReason(
      decodeFailure(() => codec.decodeSync(good.subarray(0, good.length - 2), where)),
      'truncated',
    );
    expectReason(
      decodeFailure(() => codec.decodeSync(Buffer.concat([good, Buffer.from([1, 2])]), where)),
      'undecodable-body',
    );
    const garbage = Buffer.concat([good.subarray(0, 5), Buffer.from([0x02, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x3f, 0x7f])]);
    expectReason(
      decodeFailure(() => codec.decodeSync(garbage, where)),
      'truncated',
    );
    const trades = await serde.codecFor(TOPICS.rawTrades);
    const badUnion = Buffer.concat([trades.encode(toRawTrade({})).subarray(0, 5), Buffer.from([0x08])]);
    expect(decodeFailure(() => trades.decodeSync(badUnion)).reason).to.equal('undecodable-body');
    const unknown = Buffer.from(good);
    unknown.writeInt32BE(999_999, 1);
    const e = (await rejected(codec.decode(unknown, where))) as DecodeError;
    expect(e).to.be.instanceOf(DecodeError);
    expectReason(e, 'unknown-schema-id');
    expect(e.context.schemaId).to.equal(999_999);
  });

  it('refuses, as undecodable, a writer schema the reader cannot resolve, and says why', async () => {
    const other = await serde.codec<{ a: string }>(topic(), { type: 'record', name: 'Other', fields: [{ name: 'a', type: 'string' }] });
    const codec = await serde.codec<typeof quote>(topic(), QUOTE_V1);
    const e = (await rejected(codec.decode(other.encode({ a: 'x' }), { partition: 0, offset: 7 }))) as DecodeError;
    expect(e).to.be.instanceOf(DecodeError);
    expect(e.reason).to.equal('undecodable-body');
    expect(e.message).to.contain(`schema id ${other.schemaId}`);
  });

  it('a registry that cannot answer is a RegistryError, not a DecodeError (nothing to dead-letter)', async () => {
    const codec = await serde.codec<typeof quote>(topic(), QUOTE_V1);
    const foreign = Buffer.from(codec.encode(quote));
    foreign.writeInt32BE(codec.schemaId + 100, 1);
    await registry.close();
    const e = await rejected(codec.decode(foreign));
    expect(e).to.be.instanceOf(RegistryError);
  });

  it('random values of every raw and control schema round-trip through encode/decodeSync', async () => {
    const names = ['raw-gamma-market', 'raw-gamma-event', 'raw-clob-market', 'raw-trade', 'raw-leaderboard-row', 'raw-price-point', 'raw-ws-market-event', 'cursor', 'gap', 'failure'];
    for (const name of names) {
      const codec = await serde.codec<unknown>(`serde-random-${name}`, loadSchema(name));
      for (let i = 0; i < 50; i++) {
        // avsc's Type#random fills every field, unions and maps included.
        const value = codec.type.random();
        const back = codec.decodeSync(codec.encode(value));
        expect(structuredClone(back), name).to.deep.equal(structuredClone(value));
      }
    }
  });
});

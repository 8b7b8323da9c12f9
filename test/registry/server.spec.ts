/**
 * `pma registry serve` as a real child process: the conformance suite through our HTTP client,
 * the REST details standard clients depend on, @kafkajs/confluent-schema-registry driving it, and
 * Python's confluent-kafka SchemaRegistryClient + AvroSerializer/AvroDeserializer.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import { expect } from 'chai';
import { HttpRegistry } from '../../registry/http.ts';
import { Serde } from '../../registry/serde.ts';
import { toRawGammaMarket, toRawWsMarketEvent } from '../../schemas/raw/index.ts';
import { TOPICS } from '../../schemas/topics.ts';
import { FIXTURE_DIR } from '../../simulator/world/fixtures.ts';
import { type TestField, testRecordSchema } from '../avro-test-record.ts';
import { describeNeeding, pythonWith } from '../prerequisite.ts';
import { runChild } from '../run-child.ts';
import { registryConformance } from './conformance.ts';
import { type ServeProcess, startServeProcess } from './serve-process.ts';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}`;
const record = (fields: TestField[], name = 'Quote') => JSON.stringify(testRecordSchema(name, fields));
const QUOTE_V1 = record([
  { name: 'token', type: 'string' },
  { name: 'price', type: 'string' },
]);
const QUOTE_V2 = record([
  { name: 'token', type: 'string' },
  { name: 'price', type: 'string' },
  { name: 'size', type: ['null', 'string'], default: null },
]);
const QUOTE_BREAKING = record([
  { name: 'token', type: 'string' },
  { name: 'price', type: 'double' },
]);

describe('registry/server: pma registry serve (child process)', function () {
  this.timeout(60_000);
  let dir: string;
  let serve: ServeProcess;
  let http: HttpRegistry;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { 'content-type': CONTENT_TYPE }) {
    const res = await fetch(`${serve.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type'), text, json: text ? JSON.parse(text) : undefined };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-serve-'));
    serve = await startServeProcess(dir);
    http = new HttpRegistry({ url: serve.url, maxAttempts: 2 });
  });
  after(async () => {
    await http?.close();
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  registryConformance('HTTP client → pma registry serve', () => http);

  describe('REST API as Confluent clients expect it', () => {
    it('answers in application/vnd.schemaregistry.v1+json, errors as {error_code, message}', async () => {
      const ok = await call('GET', '/subjects');
      expect(ok.status).to.equal(200);
      expect(ok.contentType).to.equal(CONTENT_TYPE);
      const missing = await call('GET', `/subjects/${unique('none')}/versions`);
      expect(missing.status).to.equal(404);
      expect(missing.contentType).to.equal(CONTENT_TYPE);
      expect(missing.json.error_code).to.equal(40401);
      expect(missing.json.message).to.be.a('string');
    });

    it('registers with any JSON content type or none, and gives the id back', async () => {
      const s = `${unique('ct')}-value`;
      const a = await call('POST', `/subjects/${s}/versions`, { schema: QUOTE_V1 }, { 'content-type': 'application/json' });
      const b = await call('POST', `/subjects/${s}/versions`, { schema: QUOTE_V1, schemaType: 'AVRO', references: [] }, {});
      expect(a.status).to.equal(200);
      expect(b.json).to.deep.equal(a.json);
      expect(a.json.id).to.be.a('number');
    });

    it('answers 404 / 40408 for a subject without its own config, the global level with defaultToGlobal', async () => {
      const s = `${unique('cfg')}-value`;
      const none = await call('GET', `/config/${s}`);
      expect(none.status).to.equal(404);
      expect(none.json.error_code).to.equal(40408);
      expect((await call('GET', `/config/${s}?defaultToGlobal=true`)).json).to.deep.equal({ compatibilityLevel: 'BACKWARD' });
      expect((await call('PUT', `/config/${s}`, { compatibility: 'full' })).json).to.deep.equal({ compatibility: 'FULL' });
      expect((await call('GET', `/config/${s}`)).json).to.deep.equal({ compatibilityLevel: 'FULL' });
      expect((await call('DELETE', `/config/${s}`)).json).to.deep.equal({ compatibilityLevel: 'FULL' });
      const bad = await call('PUT', `/config/${s}`, { compatibility: 'SOMETIMES' });
      expect(bad.status).to.equal(422);
      expect(bad.json.error_code).to.equal(42203);
    });

    it('refuses a BACKWARD-breaking schema with 409 / 409 and a message naming the field', async () => {
      const s = `${unique('break')}-value`;
      await call('POST', `/subjects/${s}/versions`, { schema: QUOTE_V1 });
      const refused = await call('POST', `/subjects/${s}/versions`, { schema: QUOTE_BREAKING });
      expect(refused.status).to.equal(409);
      expect(refused.json.error_code).to.equal(409);
      expect(refused.json.message).to.contain('field `price` changed from string to double');
      const check = await call('POST', `/compatibility/subjects/${s}/versions/latest?verbose=true`, { schema: QUOTE_BREAKING });
      expect(check.json.is_compatible).to.equal(false);
      expect(check.json.messages.join(' ')).to.contain('`price`');
      expect((await call('POST', `/compatibility/subjects/${s}/versions/latest`, { schema: QUOTE_V2 })).json).to.deep.equal({ is_compatible: true });
      expect((await call('POST', `/compatibility/subjects/${unique('new')}/versions/latest`, { schema: QUOTE_V2 })).json).to.deep.equal({
        is_compatible: true,
      });
    });

    it('serves the raw schema routes, version "latest" and its alias -1', async () => {
      const s = `${unique('raw')}-value`;
      const { id } = (await call('POST', `/subjects/${s}/versions`, { schema: QUOTE_V1 })).json;
      expect((await call('GET', `/schemas/ids/${id}/schema`)).json).to.deep.equal(JSON.parse(QUOTE_V1));
      expect((await call('GET', `/subjects/${s}/versions/latest/schema`)).json).to.deep.equal(JSON.parse(QUOTE_V1));
      expect((await call('GET', `/subjects/${s}/versions/-1`)).json).to.include({ subject: s, version: 1, id });
      expect((await call('GET', `/schemas/ids/${id}/versions`)).json).to.deep.include({ subject: s, version: 1 });
      expect((await call('GET', `/schemas/ids/${id}/subjects`)).json).to.include(s);
      expect((await call('GET', `/schemas/ids/${id}`)).json).to.deep.equal({ schema: JSON.stringify(JSON.parse(QUOTE_V1)) });
    });

    it('handles subjects with characters that need encoding', async () => {
      const s = `${unique('odd')}/with space-value`;
      const path = `/subjects/${encodeURIComponent(s)}`;
      const { id } = (await call('POST', `${path}/versions`, { schema: QUOTE_V1 })).json;
      expect((await call('POST', path, { schema: QUOTE_V1 })).json).to.include({ subject: s, id, version: 1 });
      expect((await call('GET', '/subjects')).json).to.include(s);
    });

    it('refuses bad input with clear 400 / 413 / 422 bodies', async () => {
      const s = `${unique('bad')}-value`;
      const malformed = await call('POST', `/subjects/${s}/versions`, '{"schema": ');
      expect(malformed.status).to.equal(400);
      expect(malformed.json.message).to.contain('not valid JSON');
      const empty = await call('POST', `/subjects/${s}/versions`, {});
      expect(empty.status).to.equal(422);
      expect(empty.json.error_code).to.equal(42201);
      const notAvro = await call('POST', `/subjects/${s}/versions`, { schema: '{"type":"nope"}' });
      expect(notAvro.json.error_code).to.equal(42201);
      const proto = await call('POST', `/subjects/${s}/versions`, { schema: 'syntax = "proto3";', schemaType: 'PROTOBUF' });
      expect(proto.json.error_code).to.equal(42201);
      const version = await call('GET', `/subjects/${s}/versions/abc`);
      expect(version.status).to.equal(422);
      expect(version.json.error_code).to.equal(42202);
      const big = await call('POST', `/subjects/${s}/versions`, { schema: 'x'.repeat(3 * 1024 * 1024) });
      expect(big.status).to.equal(413);
      expect(big.json.error_code).to.equal(413);
      const route = await call('GET', '/no/such/route');
      expect(route.status).to.equal(404);
      expect(route.json.error_code).to.equal(404);
      const method = await call('PUT', '/subjects');
      expect(method.status).to.equal(405);
      // The server is still well after all that.
      expect((await call('GET', '/subjects')).status).to.equal(200);
    });
  });

  describe('@kafkajs/confluent-schema-registry against it', () => {
    it('registers, looks up, encodes and decodes; our serde reads its messages and it reads ours', async () => {
      const client = new ConfluentClient({ host: serve.url });
      const topic = unique('kafkajs-topic');
      const subject = `${topic}-value`;
      const { id } = await client.register({ type: SchemaType.AVRO, schema: QUOTE_V1 }, { subject });
      expect((await client.register({ type: SchemaType.AVRO, schema: QUOTE_V1 }, { subject })).id).to.equal(id);
      expect(await client.getLatestSchemaId(subject)).to.equal(id);
      expect(await client.getRegistryId(subject, 1)).to.equal(id);
      expect(await client.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: QUOTE_V1 })).to.equal(id);
      // Its default register pins the subject to BACKWARD, through PUT /config/{subject}.
      expect(await http.getSubjectCompatibility(subject)).to.equal('BACKWARD');

      const value = { token: '7161', price: '0.52' };
      const theirs = await client.encode(id, value);
      const codec = await new Serde(http).codec<typeof value>(topic, QUOTE_V1);
      expect(codec.schemaId).to.equal(id);
      expect({ ...(await codec.decode(theirs)) }).to.deep.equal(value);
      expect({ ...(await client.decode(codec.encode(value))) }).to.deep.equal(value);
    });

    it('gets a refusal naming the field when it registers a breaking change', async () => {
      const client = new ConfluentClient({ host: serve.url });
      const subject = `${unique('kafkajs-break')}-value`;
      await client.register({ type: SchemaType.AVRO, schema: QUOTE_V1 }, { subject });
      try {
        await client.register({ type: SchemaType.AVRO, schema: QUOTE_BREAKING }, { subject });
        expect.fail('breaking change accepted');
      } catch (err) {
        expect((err as { status?: number }).status).to.equal(409);
        expect((err as Error).message).to.contain('field `price` changed from string to double');
      }
    });
  });

  const { python, missing } = pythonWith(['confluent_kafka.schema_registry.avro']);
  describeNeeding("Python confluent-kafka's SchemaRegistryClient, AvroSerializer and AvroDeserializer", missing, () => {
    it('registers and reads schemas through pma registry serve, and both sides decode each other', async () => {
      const topic = unique('py-topic');
      const value = { token: '2174263314346390629', price: '0.491' };
      const codec = await new Serde(http).codec<typeof value>(topic, QUOTE_V1);
      // Real raw records too: nested records, arrays, the extra map, custom schema attributes.
      const book = toRawWsMarketEvent(JSON.parse(readFileSync(join(FIXTURE_DIR, 'ws-market-book.json'), 'utf8')));
      const gamma = toRawGammaMarket(JSON.parse(readFileSync(join(FIXTURE_DIR, 'gamma-markets.json'), 'utf8'))[0]);
      const wsCodec = await new Serde(http).codecFor(TOPICS.rawMarketWs);
      const gammaCodec = await new Serde(http).codecFor(TOPICS.rawGammaMarkets);
      const rawMessages = [
        { topic: TOPICS.rawMarketWs.name, bytes: wsCodec.encode(book), value: book },
        { topic: TOPICS.rawGammaMarkets.name, bytes: gammaCodec.encode(gamma), value: gamma },
      ];
      const input = {
        url: serve.url,
        subject: `${unique('py')}-value`,
        schema_v1: QUOTE_V1,
        schema_v2: QUOTE_V2,
        schema_incompatible: QUOTE_BREAKING,
        topic,
        record: { token: '5313507246290788019', price: '0.535' },
        pma_bytes_hex: codec.encode(value).toString('hex'),
        raw_messages: rawMessages.map((m) => ({ topic: m.topic, hex: m.bytes.toString('hex') })),
      };
      const out = await runPython(python!, fileURLToPath(new URL('./python/confluent_client.py', import.meta.url)), input);

      expect(out.registered_id).to.equal(codec.schemaId, 'same schema, same global id across subjects');
      expect(out.registered_again_id).to.equal(out.registered_id);
      expect(out.latest).to.deep.include({ version: 1, schema_id: out.registered_id });
      expect(JSON.parse(out.latest.schema)).to.deep.equal(JSON.parse(QUOTE_V1));
      expect(out.lookup).to.deep.equal({ version: 1, schema_id: out.registered_id });
      expect(out.subjects).to.include(input.subject).and.include(`${topic}-value`);
      expect(out.versions).to.deep.equal([1]);
      expect(JSON.parse(out.by_id)).to.deep.equal(JSON.parse(QUOTE_V1));
      expect(out.compatible_v2).to.equal(true);
      expect(out.compatible_bad).to.equal(false);
      expect(out.incompatible_error).to.deep.include({ http_status: 409, error_code: 409 });
      expect(out.incompatible_error?.message).to.contain('field `price` changed from string to double');
      expect(out.subject_config_before).to.deep.equal({ http_status: 404, error_code: 40408 });
      expect(out.get_compatibility).to.equal('FULL');
      expect(out.global_compatibility).to.equal('BACKWARD');

      expect(out.decoded_pma).to.deep.equal(value);
      expect(out.decoded_raw).to.deep.equal(rawMessages.map((m) => m.value));
      expect(out.decoded_own).to.deep.equal(input.record);
      const theirs = Buffer.from(out.python_bytes_hex, 'hex');
      expect(theirs[0]).to.equal(0);
      expect(theirs.readInt32BE(1)).to.equal(codec.schemaId);
      expect({ ...(await codec.decode(theirs)) }).to.deep.equal(input.record);
    });
  });
});

/** What confluent_client.py reports. */
interface PythonReport {
  registered_id: number;
  registered_again_id: number;
  latest: { version: number; schema_id: number; schema: string };
  lookup: { version: number; schema_id: number };
  subjects: string[];
  versions: number[];
  by_id: string;
  compatible_v2: boolean;
  compatible_bad: boolean;
  incompatible_error: { http_status: number; error_code: number; message: string } | null;
  subject_config_before: unknown;
  set_compatibility: unknown;
  get_compatibility: string;
  global_compatibility: string;
  python_bytes_hex: string;
  decoded_pma: unknown;
  decoded_own: unknown;
  decoded_raw: unknown[];
}

async function runPython(python: string, script: string, input: unknown): Promise<PythonReport> {
  const { code, stdout, stderr } = await runChild(python, [script], { input: JSON.stringify(input) });
  if (code !== 0) throw new Error(`python exited ${code}: ${stderr}`);
  return JSON.parse(stdout);
}

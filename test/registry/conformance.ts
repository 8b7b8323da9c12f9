/**
 * One conformance suite for every SchemaRegistry implementation (the embedded registry directly,
 * and the HTTP client talking to `pma registry serve`). Written against the interface only; every
 * test uses its own subjects, so the suite can share one registry with other tests.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { SchemaRegistry } from '../../registry/types.ts';
import { PmaError, SchemaCompatibilityError, SchemaNotFoundError, SchemaValidationError } from '../../runtime/errors.ts';
import { rejectionOf } from '../expect-error.ts';

type Field = { name: string; type: unknown; default?: unknown };
const schemaOf = (fields: Field[], name = 'Fill') => JSON.stringify({ type: 'record', name, namespace: 'conformance', fields });

const V1 = schemaOf([
  { name: 'id', type: 'string' },
  { name: 'price', type: 'string' },
]);
const V2 = schemaOf([
  { name: 'id', type: 'string' },
  { name: 'price', type: 'string' },
  { name: 'size', type: ['null', 'double'], default: null },
]);
const ADDS_FIELD_WITHOUT_DEFAULT = schemaOf([
  { name: 'id', type: 'string' },
  { name: 'price', type: 'string' },
  { name: 'venue', type: 'string' },
]);
const CHANGES_PRICE_TYPE = schemaOf([
  { name: 'id', type: 'string' },
  { name: 'price', type: 'double' },
]);

/** A registry error: Confluent's code is a field of the registry's error classes. */
type RegistryFailure = PmaError & { errorCode?: number };

const rejection = (promise: Promise<unknown>): Promise<RegistryFailure> => rejectionOf<RegistryFailure>(promise, PmaError);

export function registryConformance(name: string, open: () => SchemaRegistry): void {
  describe(`SchemaRegistry conformance: ${name}`, () => {
    let registry: SchemaRegistry;
    const subject = (label: string) => `conformance-${label}-${randomUUID().slice(0, 8)}-value`;

    before(() => {
      registry = open();
    });

    it('registers a schema, idempotently: same schema (any spacing or key order) → same id, one version', async () => {
      const s = subject('idem');
      const id = await registry.register(s, V1);
      expect(id).to.be.a('number').and.greaterThan(0);
      expect(await registry.register(s, V1)).to.equal(id);
      const respaced = JSON.stringify(JSON.parse(V1), null, 4);
      const reordered = JSON.stringify({ fields: JSON.parse(V1).fields, namespace: 'conformance', name: 'Fill', type: 'record' });
      expect(await registry.register(s, respaced)).to.equal(id);
      expect(await registry.register(s, reordered)).to.equal(id);
      expect(await registry.listVersions(s)).to.deep.equal([1]);
    });

    it('gives the same schema under two subjects one global id, and a version in each', async () => {
      const a = subject('shared-a');
      const b = subject('shared-b');
      const schema = schemaOf([{ name: 'only', type: 'long' }], `Shared${randomUUID().slice(0, 8).replace(/-/g, '')}`);
      const id = await registry.register(a, schema);
      expect(await registry.register(b, schema)).to.equal(id);
      expect((await registry.getLatest(a)).version).to.equal(1);
      expect((await registry.getLatest(b)).version).to.equal(1);
      const users = await registry.getVersionsById(id);
      expect(users).to.deep.include({ subject: a, version: 1 });
      expect(users).to.deep.include({ subject: b, version: 1 });
    });

    it('serves schemas by id, by version and latest; lists subjects and versions', async () => {
      const s = subject('read');
      const id1 = await registry.register(s, V1);
      const id2 = await registry.register(s, V2);
      expect(id2).to.not.equal(id1);
      expect(JSON.parse(await registry.getSchemaById(id1))).to.deep.equal(JSON.parse(V1));
      expect(await registry.listVersions(s)).to.deep.equal([1, 2]);
      const latest = await registry.getLatest(s);
      expect(latest).to.include({ subject: s, version: 2, id: id2 });
      expect(JSON.parse(latest.schema)).to.deep.equal(JSON.parse(V2));
      expect(await registry.getVersion(s, 1)).to.include({ subject: s, version: 1, id: id1 });
      expect(await registry.listSubjects()).to.include(s);
    });

    it('looks a schema up under a subject', async () => {
      const s = subject('lookup');
      const id = await registry.register(s, V1);
      await registry.register(s, V2);
      expect(await registry.lookup(s, V1)).to.include({ subject: s, version: 1, id });
      const missing = await rejection(registry.lookup(s, CHANGES_PRICE_TYPE));
      expect(missing).to.be.instanceOf(SchemaNotFoundError);
      expect(missing.errorCode).to.equal(40403);
      const noSubject = await rejection(registry.lookup(subject('nobody'), V1));
      expect(noSubject).to.be.instanceOf(SchemaNotFoundError);
      expect(noSubject.errorCode).to.equal(40401);
    });

    it('answers unknown subjects, versions and ids with SchemaNotFoundError and Confluent codes', async () => {
      const s = subject('missing');
      expect((await rejection(registry.getLatest(s))).errorCode).to.equal(40401);
      expect((await rejection(registry.listVersions(s))).errorCode).to.equal(40401);
      await registry.register(s, V1);
      const v = await rejection(registry.getVersion(s, 7));
      expect(v).to.be.instanceOf(SchemaNotFoundError);
      expect(v.errorCode).to.equal(40402);
      const id = await rejection(registry.getSchemaById(987_654_321));
      expect(id).to.be.instanceOf(SchemaNotFoundError);
      expect(id.errorCode).to.equal(40403);
    });

    const refusals = [
      { title: 'refuses a field added without a default under BACKWARD, naming the field', label: 'backward', schema: ADDS_FIELD_WITHOUT_DEFAULT, says: 'field `venue` added without a default' },
      { title: 'refuses a field type change, naming the field and both types', label: 'typechange', schema: CHANGES_PRICE_TYPE, says: 'field `price` changed from string to double' },
    ];
    for (const refusal of refusals) {
      it(refusal.title, async () => {
        const s = subject(refusal.label);
        await registry.register(s, V1);
        const err = await rejection(registry.register(s, refusal.schema));
        expect(err).to.be.instanceOf(SchemaCompatibilityError);
        expect(err.message).to.contain(refusal.says);
        expect(await registry.listVersions(s)).to.deep.equal([1]);
      });
    }

    it('checks compatibility without registering, against the level or one version', async () => {
      const s = subject('check');
      expect(await registry.checkCompatibility(s, V1)).to.deep.equal({ compatible: true, messages: [] });
      await registry.register(s, V1);
      expect((await registry.checkCompatibility(s, V2)).compatible).to.equal(true);
      const bad = await registry.checkCompatibility(s, ADDS_FIELD_WITHOUT_DEFAULT, 'latest');
      expect(bad.compatible).to.equal(false);
      expect(bad.messages.join(' ')).to.contain('`venue`');
      expect((await registry.checkCompatibility(s, CHANGES_PRICE_TYPE, 1)).compatible).to.equal(false);
      expect(await registry.listVersions(s)).to.deep.equal([1]);
      expect((await rejection(registry.checkCompatibility(s, V2, 9))).errorCode).to.equal(40402);
    });

    it('keeps subject-level compatibility: none until set, then it applies; removing it falls back to global', async () => {
      const s = subject('config');
      expect(await registry.getSubjectCompatibility(s)).to.equal(undefined);
      const global = await registry.getGlobalCompatibility();
      expect(await registry.effectiveCompatibility(s)).to.equal(global);
      await registry.register(s, V1);
      await registry.setSubjectCompatibility(s, 'NONE');
      expect(await registry.getSubjectCompatibility(s)).to.equal('NONE');
      expect(await registry.register(s, CHANGES_PRICE_TYPE)).to.be.a('number');
      await registry.setSubjectCompatibility(s, 'FORWARD');
      expect(await registry.effectiveCompatibility(s)).to.equal('FORWARD');
      expect(await registry.deleteSubjectCompatibility(s)).to.equal('FORWARD');
      expect(await registry.getSubjectCompatibility(s)).to.equal(undefined);
    });

    it('applies the global level to subjects without their own, and transitive levels to every version', async () => {
      const before = await registry.getGlobalCompatibility();
      expect(before).to.equal('BACKWARD');
      const s = subject('transitive');
      await registry.register(s, V1);
      await registry.register(s, schemaOf([...JSON.parse(V1).fields, { name: 'venue', type: 'string', default: 'x' }]));
      // Readable against version 2 (which has venue), not against version 1.
      expect((await registry.checkCompatibility(s, ADDS_FIELD_WITHOUT_DEFAULT)).compatible).to.equal(true);
      await registry.setSubjectCompatibility(s, 'BACKWARD_TRANSITIVE');
      const err = await rejection(registry.register(s, ADDS_FIELD_WITHOUT_DEFAULT));
      expect(err.message).to.contain('version 1').and.contain('`venue`');
      try {
        await registry.setGlobalCompatibility('NONE');
        expect(await registry.getGlobalCompatibility()).to.equal('NONE');
        const free = subject('global-none');
        await registry.register(free, V1);
        expect(await registry.register(free, CHANGES_PRICE_TYPE)).to.be.a('number');
      } finally {
        await registry.setGlobalCompatibility(before);
      }
    });

    it('registers schemas that are not records too (a primitive)', async () => {
      const s = subject('primitive');
      const id = await registry.register(s, '"string"');
      expect(await registry.register(s, ' "string" ')).to.equal(id);
      expect(JSON.parse(await registry.getSchemaById(id))).to.equal('string');
      expect((await registry.getLatest(s)).version).to.equal(1);
    });

    it('refuses text that is not an Avro schema', async () => {
      const s = subject('invalid');
      expect(await rejection(registry.register(s, '{not json'))).to.be.instanceOf(SchemaValidationError);
      expect(await rejection(registry.register(s, '{"type":"record","name":"R","fields":[{"name":"a","type":"nope"}]}'))).to.be.instanceOf(SchemaValidationError);
    });

    it('deletes versions and subjects (soft, then permanent); ids stay readable', async () => {
      const s = subject('delete');
      const id1 = await registry.register(s, V1);
      await registry.register(s, V2);
      expect(await registry.deleteVersion(s, 2)).to.equal(2);
      expect(await registry.listVersions(s)).to.deep.equal([1]);
      expect((await rejection(registry.deleteVersion(s, 1, { permanent: true }))).errorCode).to.equal(40407);
      expect(await registry.deleteSubject(s)).to.deep.equal([1]);
      expect(await registry.listSubjects()).to.not.include(s);
      expect((await rejection(registry.getLatest(s))).errorCode).to.equal(40401);
      expect(JSON.parse(await registry.getSchemaById(id1))).to.deep.equal(JSON.parse(V1));
      expect(await registry.deleteSubject(s, { permanent: true })).to.deep.equal([1, 2]);
      // Registered again after deletion: a fresh subject.
      expect(await registry.register(s, V1)).to.equal(id1);
      expect(await registry.listVersions(s)).to.deep.equal([1]);
    });
  });
}

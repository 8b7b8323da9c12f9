import avro from 'avsc';
import { expect } from 'chai';
import { SchemaNotFoundError, TopicError } from '../../runtime/errors.ts';
import { listSchemas, loadSchema, schemaForTopic } from '../../schemas/index.ts';
import { ALL_TOPICS, TOPICS } from '../../schemas/topics.ts';

const RAW_AND_CONTROL = [
  'raw-gamma-market',
  'raw-gamma-event',
  'raw-clob-market',
  'raw-trade',
  'raw-leaderboard-row',
  'raw-holder',
  'raw-open-interest',
  'raw-price-point',
  'raw-ws-market-event',
  'cursor',
  'gap',
  'failure',
  'tag-decision',
];

describe('schemas', () => {
  it('every raw and control schema parses with avsc, in namespace polymarket, every field documented', () => {
    for (const name of RAW_AND_CONTROL) {
      const schema = loadSchema(name);
      expect(schema.namespace, name).to.equal('polymarket');
      expect(schema.doc, name).to.be.a('string');
      expect(() => avro.Type.forSchema(schema as avro.Schema), name).not.to.throw();
      if (!name.startsWith('raw-')) {
        for (const f of schema.fields as Array<{ name: string; doc?: string }>) expect(f.doc, `${name}.${f.name}`).to.be.a('string');
      }
    }
  });

  it('every topic of the catalogue with a raw or control schema resolves to its file', () => {
    for (const topic of ALL_TOPICS) {
      if (topic.schema === null || !RAW_AND_CONTROL.includes(topic.schema)) continue;
      expect(schemaForTopic(topic).name, topic.name).to.be.a('string');
    }
    expect(listSchemas()).to.include.members(RAW_AND_CONTROL);
  });

  it('returns one frozen, shared copy', () => {
    const a = loadSchema('raw-trade');
    expect(loadSchema('raw-trade')).to.equal(a);
    expect(Object.isFrozen(a)).to.equal(true);
    expect(Object.isFrozen((a.fields as object[])[0])).to.equal(true);
  });

  it('refuses unknown names, path tricks, and topics without a schema', () => {
    expect(() => loadSchema('nope')).to.throw(SchemaNotFoundError, /no schema named "nope"/);
    expect(() => loadSchema('../package')).to.throw(SchemaNotFoundError);
    expect(() => schemaForTopic(TOPICS.dlq)).to.throw(TopicError, /pma\.dlq/);
  });

  it('a cursor and a tag decision round-trip through avsc', () => {
    const cursor = avro.Type.forSchema(loadSchema('cursor') as avro.Schema);
    const value = {
      endpoint: 'data:/trades',
      scope: '0xabc',
      offset: 1000,
      page: 2,
      cursor: null,
      windowStart: null,
      windowEnd: null,
      lastTimestamp: 1_765_404_888_000,
      oldestTimestamp: null,
      complete: false,
      records: 1000,
      updatedAt: 1_765_404_900_000,
      detail: null,
    };
    expect(structuredClone(cursor.fromBuffer(cursor.toBuffer(value)))).to.deep.equal(value);
    const decision = avro.Type.forSchema(loadSchema('tag-decision') as avro.Schema);
    const d = {
      decisionId: 'd1',
      tag: 'sports',
      market: '0xabc',
      decision: 'YES',
      deciderKind: 'model',
      decider: 'tagger-v1',
      confidence: 0.9,
      reason: null,
      decidedAt: 1,
      previous: null,
    };
    // Fields added later (votes, rule, …) have defaults: an old-shaped decision still encodes.
    expect(structuredClone(decision.fromBuffer(decision.toBuffer(d)))).to.deep.include(d);
    expect(decision.isValid({ ...d, decision: 'MAYBE' })).to.equal(false);
  });
});

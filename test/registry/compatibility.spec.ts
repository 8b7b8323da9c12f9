import avro from 'avsc';
import { expect } from 'chai';
import fc from 'fast-check';
import { parseSchema } from '../../registry/avro-schema.ts';
import { checkCompatibility, explainUnreadable } from '../../registry/compatibility.ts';
import type { CompatibilityLevel } from '../../registry/types.ts';

type Field = { name: string; type: unknown; default?: unknown; aliases?: string[] };
const rec = (fields: Field[], name = 'Trade') => ({ type: 'record', name, namespace: 'polymarket', fields });
const parsed = (fields: Field[], name?: string) => parseSchema(JSON.stringify(rec(fields, name)));

const V1: Field[] = [
  { name: 'id', type: 'string' },
  { name: 'price', type: 'string' },
];

function check(next: Field[], level: CompatibilityLevel, prior: Field[][] = [V1]): string[] {
  return checkCompatibility(
    parsed(next),
    prior.map((f, i) => ({ version: i + 1, schema: parsed(f) })),
    level,
  );
}

describe('registry/compatibility', () => {
  it('BACKWARD: a field added without a default is refused, naming it', () => {
    const msgs = check([...V1, { name: 'size', type: 'double' }], 'BACKWARD');
    expect(msgs).to.have.length(1);
    expect(msgs[0]).to.contain('field `size` added without a default').and.contain('version 1');
  });

  it('BACKWARD: a field added with a default, or a field removed, is accepted', () => {
    expect(check([...V1, { name: 'size', type: ['null', 'double'], default: null }], 'BACKWARD')).to.deep.equal([]);
    expect(check([{ name: 'id', type: 'string' }], 'BACKWARD')).to.deep.equal([]);
  });

  it('names a type change from old to new, in both directions', () => {
    const next: Field[] = [V1[0]!, { name: 'price', type: 'double' }];
    expect(check(next, 'BACKWARD')[0]).to.contain('field `price` changed from string to double');
    expect(check(next, 'FORWARD')[0]).to.contain('field `price` changed from string to double');
  });

  it('accepts Avro promotions one way only (int → long is BACKWARD, not FORWARD)', () => {
    const v1: Field[] = [{ name: 'n', type: 'int' }];
    const v2: Field[] = [{ name: 'n', type: 'long' }];
    expect(check(v2, 'BACKWARD', [v1])).to.deep.equal([]);
    expect(check(v2, 'FORWARD', [v1])[0]).to.contain('field `n` changed from int to long');
    expect(check(v2, 'FULL', [v1])).to.have.length(1);
  });

  it('FORWARD: removing a field the old schema has no default for is refused', () => {
    expect(check([{ name: 'id', type: 'string' }], 'FORWARD')[0]).to.contain('field `price` removed, but the older schema has no default for it');
    expect(check([...V1, { name: 'size', type: 'double' }], 'FORWARD')).to.deep.equal([]);
  });

  it('names nullability changes and nested paths', () => {
    const v1: Field[] = [{ name: 'note', type: ['null', 'string'], default: null }];
    expect(check([{ name: 'note', type: 'string' }], 'BACKWARD', [v1])[0]).to.contain('field `note` changed from [null, string] to string');
    const nested = (t: string): Field[] => [{ name: 'levels', type: { type: 'array', items: { type: 'record', name: 'Level', fields: [{ name: 'price', type: t }] } } }];
    expect(check(nested('double'), 'BACKWARD', [nested('string')])[0]).to.contain('field `levels[].price` changed from string to double');
    const inUnion = (fields: Field[]): Field[] => [{ name: 'meta', type: ['null', { type: 'record', name: 'Meta', fields }], default: null }];
    expect(
      check(
        inUnion([
          { name: 'a', type: 'string' },
          { name: 'b', type: 'long' },
        ]),
        'BACKWARD',
        [inUnion([{ name: 'a', type: 'string' }])],
      )[0],
    ).to.contain('field `meta.b` added without a default');
  });

  it('names enum symbols lost, and accepts them with an enum default', () => {
    const e = (symbols: string[], dflt?: string): Field[] => [{ name: 'side', type: { type: 'enum', name: 'Side', symbols, ...(dflt ? { default: dflt } : {}) } }];
    expect(check(e(['BUY']), 'BACKWARD', [e(['BUY', 'SELL'])])[0]).to.contain('lost symbol(s) SELL');
    expect(check(e(['BUY'], 'BUY'), 'BACKWARD', [e(['BUY', 'SELL'])])).to.deep.equal([]);
  });

  it('a renamed field is accepted through an alias, a renamed record is refused', () => {
    expect(check([V1[0]!, { name: 'px', type: 'string', aliases: ['price'] }], 'BACKWARD')).to.deep.equal([]);
    const renamed = checkCompatibility(parsed(V1, 'Fill'), [{ version: 1, schema: parsed(V1) }], 'BACKWARD');
    expect(renamed[0]).to.contain('renamed');
  });

  it('transitive levels check every version, plain levels only the latest', () => {
    const v2: Field[] = [...V1, { name: 'size', type: 'double', default: 0 }];
    const v3: Field[] = [...V1, { name: 'size', type: 'double' }];
    expect(check(v3, 'BACKWARD', [V1, v2])).to.deep.equal([]);
    const msgs = check(v3, 'BACKWARD_TRANSITIVE', [V1, v2]);
    expect(msgs).to.have.length(1);
    expect(msgs[0]).to.contain('version 1').and.contain('field `size` added without a default');
    expect(check(v3, 'NONE', [V1, v2])).to.deep.equal([]);
  });

  it('property: refused exactly when avsc refuses, and the message names a field of one of the schemas', () => {
    const prim = fc.constantFrom('string', 'int', 'long', 'double', 'boolean', 'bytes');
    const fieldType = fc.oneof(
      prim,
      prim.map((p) => ['null', p]),
    );
    const fieldsArb = fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd', 'e'), type: fieldType, withDefault: fc.boolean() }), {
      selector: (f) => f.name,
      minLength: 1,
      maxLength: 5,
    });
    const toFields = (fs: Array<{ name: string; type: unknown; withDefault: boolean }>): Field[] =>
      fs.map(({ name, type, withDefault }) => (withDefault ? { name, type, default: defaultFor(type) } : { name, type }));
    fc.assert(
      fc.property(fieldsArb, fieldsArb, (readerFields, writerFields) => {
        const reader = avro.Type.forSchema(rec(toFields(readerFields)) as avro.Schema);
        const writer = avro.Type.forSchema(rec(toFields(writerFields)) as avro.Schema);
        let avscOk = true;
        try {
          reader.createResolver(writer);
        } catch {
          avscOk = false;
        }
        const why = explainUnreadable(reader, writer, 'new-reads-old');
        expect(why === undefined).to.equal(avscOk);
        if (why) {
          const named = /field `([a-e])`/.exec(why);
          expect(named, why).to.not.equal(null);
          const names = [...readerFields, ...writerFields].map((f) => f.name);
          expect(names).to.include(named![1]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

function defaultFor(type: unknown): unknown {
  if (Array.isArray(type)) return null;
  return { string: '', int: 0, long: 0, double: 0, boolean: false, bytes: '' }[type as string];
}

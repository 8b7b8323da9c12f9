/**
 * Avro schema compatibility, as Confluent's levels define it. avsc's resolver
 * (`reader.createResolver(writer)`) decides whether a reader can read a writer's data; when it
 * cannot, a walk over both schemas following Avro's resolution rules finds the field to blame
 * and says why in words ("field `x` added without a default", "field `price` changed from
 * string to double"). The walk only explains; it never overrules the resolver.
 */
import type avro from 'avsc';
import type { ParsedSchema } from './avro-schema.ts';
import type { CompatibilityLevel } from './types.ts';

/** A registered version to check a new schema against. */
export interface PriorVersion {
  version: number;
  schema: ParsedSchema;
}

/**
 * Checks `candidate` against the prior versions of a subject (oldest first) under `level`.
 * Returns one message per problem; an empty list means compatible.
 */
export function checkCompatibility(candidate: ParsedSchema, prior: PriorVersion[], level: CompatibilityLevel): string[] {
  if (level === 'NONE' || prior.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? prior : prior.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const messages: string[] = [];
  for (const old of [...against].reverse()) {
    if (backward) {
      const why = explainUnreadable(candidate.type, old.schema.type, 'new-reads-old');
      if (why) messages.push(`${level}: the new schema cannot read data written with version ${old.version}: ${why}`);
    }
    if (forward) {
      const why = explainUnreadable(old.schema.type, candidate.type, 'old-reads-new');
      if (why) messages.push(`${level}: version ${old.version} cannot read data written with the new schema: ${why}`);
    }
  }
  return messages;
}

/** Which side is the schema being registered: decides how a problem is worded. */
export type Direction = 'new-reads-old' | 'old-reads-new';

/**
 * Undefined when `reader` can read data written with `writer` (avsc's resolver agrees);
 * otherwise why not, naming the field.
 */
export function explainUnreadable(reader: avro.Type, writer: avro.Type, direction: Direction): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    return problem(reader, writer, '', direction) ?? (err as Error).message;
  }
}

type AnyType = avro.Type & {
  types?: avro.Type[];
  fields?: Array<{ name: string; type: avro.Type; aliases: string[]; defaultValue(): unknown }>;
  symbols?: string[];
  itemsType?: avro.Type;
  valuesType?: avro.Type;
  size?: number;
  underlyingType?: avro.Type;
  default?: string;
};

const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function problem(readerType: avro.Type, writerType: avro.Type, path: string, dir: Direction): string | undefined {
  const r = unwrapLogical(readerType);
  const w = unwrapLogical(writerType);
  if (isUnion(w)) {
    for (const branch of w.types ?? []) {
      const target = isUnion(r) ? closestBranch(r, branch) : r;
      if (target && problem(target, branch, path, dir) === undefined) continue;
      if (target && sameKind(target, branch) && isComplex(branch)) return problem(target, branch, path, dir);
      return changed(path, w, r, dir);
    }
    return undefined;
  }
  if (isUnion(r)) {
    const target = closestBranch(r, w);
    if (!target) return changed(path, w, r, dir);
    return problem(target, w, path, dir);
  }
  const rk = kind(r);
  if (rk !== kind(w)) return promotable(w, r) ? undefined : changed(path, w, r, dir);
  switch (rk) {
    case 'record':
      return recordProblem(r, w, path, dir);
    case 'enum': {
      if (!sameName(r, w)) return renamed(path, w, r, dir);
      const missing = (w.symbols ?? []).filter((s) => !(r.symbols ?? []).includes(s));
      if (missing.length === 0 || r.default !== undefined) return undefined;
      const where = path ? `enum \`${path}\` (${r.name})` : `enum ${r.name}`;
      return dir === 'new-reads-old'
        ? `${where} lost symbol(s) ${missing.join(', ')} without an enum default`
        : `${where} gained symbol(s) ${missing.join(', ')} that the older schema does not know and has no enum default for`;
    }
    case 'fixed':
      if (!sameName(r, w)) return renamed(path, w, r, dir);
      return r.size === w.size ? undefined : changed(path, w, r, dir);
    case 'array':
      return problem(r.itemsType as avro.Type, w.itemsType as avro.Type, `${path}[]`, dir);
    case 'map':
      return problem(r.valuesType as avro.Type, w.valuesType as avro.Type, `${path}{}`, dir);
    default:
      return r.typeName === w.typeName || promotable(w, r) ? undefined : changed(path, w, r, dir);
  }
}

function recordProblem(r: AnyType, w: AnyType, path: string, dir: Direction): string | undefined {
  if (!sameName(r, w)) return renamed(path, w, r, dir);
  const writerFields = new Map((w.fields ?? []).map((f) => [f.name, f]));
  for (const field of r.fields ?? []) {
    const fieldPath = path ? `${path}.${field.name}` : field.name;
    const match = [field.name, ...field.aliases].map((n) => writerFields.get(n)).find((f) => f !== undefined);
    if (!match) {
      if (field.defaultValue() !== undefined) continue;
      return dir === 'new-reads-old' ? `field \`${fieldPath}\` added without a default` : `field \`${fieldPath}\` removed, but the older schema has no default for it`;
    }
    const inner = problem(field.type, match.type, fieldPath, dir);
    if (inner) return inner;
  }
  return undefined;
}

/** The reader branch that should read a writer type: same named type, same kind, or a promotion. */
function closestBranch(union: AnyType, writer: AnyType): AnyType | undefined {
  const branches = (union.types ?? []) as AnyType[];
  return (
    branches.find((b) => sameKind(b, writer) && (!isNamed(writer) || sameName(b, writer)) && (isComplex(writer) || b.typeName === writer.typeName)) ??
    branches.find((b) => sameKind(b, writer) && isComplex(writer)) ??
    branches.find((b) => promotable(writer, b))
  );
}

function changed(path: string, writer: avro.Type, reader: avro.Type, dir: Direction): string {
  const [from, to] = dir === 'new-reads-old' ? [writer, reader] : [reader, writer];
  const what = path ? `field \`${path}\`` : 'the schema';
  return `${what} changed from ${describeType(from)} to ${describeType(to)}`;
}

function renamed(path: string, writer: avro.Type, reader: avro.Type, dir: Direction): string {
  const [from, to] = dir === 'new-reads-old' ? [writer, reader] : [reader, writer];
  const what = path ? `field \`${path}\`` : 'the schema';
  return `${what}: type ${from.name} renamed to ${to.name} without an alias`;
}

/** How a type is written in messages: string, array<double>, [null, string], polymarket.Trade. */
export function describeType(type: avro.Type): string {
  const t = unwrapLogical(type);
  if (isUnion(t)) return `[${(t.types ?? []).map((b) => describeType(b)).join(', ')}]`;
  switch (kind(t)) {
    case 'array':
      return `array<${describeType(t.itemsType as avro.Type)}>`;
    case 'map':
      return `map<${describeType(t.valuesType as avro.Type)}>`;
    case 'record':
    case 'enum':
      return `${kind(t)} ${t.name}`;
    case 'fixed':
      return `fixed ${t.name}(${t.size})`;
    default:
      return t.typeName;
  }
}

function unwrapLogical(type: avro.Type): AnyType {
  let t = type as AnyType;
  while (t.typeName.startsWith('logical:') && t.underlyingType) t = t.underlyingType as AnyType;
  return t;
}

function kind(type: AnyType): string {
  return type.typeName === 'error' ? 'record' : type.typeName;
}

function isUnion(type: AnyType): boolean {
  return type.typeName.startsWith('union');
}

function isComplex(type: AnyType): boolean {
  return ['record', 'error', 'enum', 'fixed', 'array', 'map'].includes(type.typeName);
}

function isNamed(type: AnyType): boolean {
  return ['record', 'error', 'enum', 'fixed'].includes(type.typeName);
}

function sameKind(a: AnyType, b: AnyType): boolean {
  return kind(unwrapLogical(a)) === kind(unwrapLogical(b));
}

/** As avsc decides it: the writer's full name equals the reader's name or one of its aliases. */
function sameName(reader: AnyType, writer: AnyType): boolean {
  return reader.name === writer.name || (reader.aliases ?? []).includes(writer.name ?? '');
}

function promotable(writer: AnyType, reader: AnyType): boolean {
  return (PROMOTIONS[writer.typeName] ?? []).includes(reader.typeName);
}

/** Readers for the nested JSON objects Gamma embeds (events in markets, markets in events, tags). */
import { NormaliseError } from '../../runtime/errors.ts';
import { text } from './values.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Id and slug of the first event a Gamma market embeds; nulls when it embeds none. */
export function firstEventRef(events: unknown[]): { id: string | null; slug: string | null } {
  const first = events[0];
  if (first === undefined) return { id: null, slug: null };
  if (!isObject(first)) throw new NormaliseError(`events[0] is not an object`, { field: 'events', value: first });
  return { id: text(first.id, 'events[0].id'), slug: text(first.slug, 'events[0].slug') };
}

/** Labels of a Gamma tags array (objects with `label`), or the strings of a plain string array. */
export function tagLabels(tags: unknown[], name: string): string[] {
  const out: string[] = [];
  tags.forEach((tag, i) => {
    const label = isObject(tag) ? text(tag.label ?? tag.slug, `${name}[${i}].label`) : text(tag, `${name}[${i}]`);
    if (label !== null) out.push(label);
  });
  return out;
}

/** Condition ids of the markets a Gamma event embeds. */
export function marketConditionIds(markets: unknown[]): string[] {
  const out: string[] = [];
  markets.forEach((m, i) => {
    if (!isObject(m)) throw new NormaliseError(`markets[${i}] is not an object`, { field: 'markets', value: m });
    const id = text(m.conditionId, `markets[${i}].conditionId`);
    if (id) out.push(id);
  });
  return out;
}

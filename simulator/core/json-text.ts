/**
 * Finds values inside JSON text without re-serialising them, so recorded samples can be served
 * byte for byte: the exact text of each element of an array, or of a member of an object.
 */

/** Index just past the JSON value that starts at `i` (after whitespace). */
function skipValue(text: string, i: number): number {
  let depth = 0;
  let inString = false;
  for (let p = i; p < text.length; p++) {
    const c = text.charCodeAt(p);
    if (inString) {
      if (c === 0x5c) p++;
      else if (c === 0x22) {
        inString = false;
        if (depth === 0) return p + 1;
      }
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return p + 1;
      if (depth < 0) return p;
    } else if (depth === 0 && (c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
      return p;
    }
  }
  return text.length;
}

function skipSpace(text: string, i: number): number {
  let p = i;
  while (p < text.length && /\s/.test(text[p]!)) p++;
  return p;
}

/** The exact text of every element of the JSON array whose `[` is at `start`. */
export function arrayElementTexts(text: string, start: number): string[] {
  if (text[start] !== '[') throw new SyntaxError(`expected "[" at ${start}`);
  const out: string[] = [];
  let p = skipSpace(text, start + 1);
  if (text[p] === ']') return out;
  for (;;) {
    const end = skipValue(text, p);
    out.push(text.slice(p, end));
    p = skipSpace(text, end);
    if (text[p] === ',') p = skipSpace(text, p + 1);
    else if (text[p] === ']') return out;
    else throw new SyntaxError(`unexpected "${text[p]}" at ${p}`);
  }
}

/** [key, exact value text] of every member of the JSON object whose `{` is at `start`. */
export function objectMemberTexts(text: string, start: number): Array<[string, string, number]> {
  if (text[start] !== '{') throw new SyntaxError(`expected "{" at ${start}`);
  const out: Array<[string, string, number]> = [];
  let p = skipSpace(text, start + 1);
  if (text[p] === '}') return out;
  for (;;) {
    const keyEnd = skipValue(text, p);
    const key = JSON.parse(text.slice(p, keyEnd)) as string;
    p = skipSpace(text, keyEnd);
    if (text[p] !== ':') throw new SyntaxError(`expected ":" at ${p}`);
    p = skipSpace(text, p + 1);
    const end = skipValue(text, p);
    out.push([key, text.slice(p, end), p]);
    p = skipSpace(text, end);
    if (text[p] === ',') p = skipSpace(text, p + 1);
    else if (text[p] === '}') return out;
    else throw new SyntaxError(`unexpected "${text[p]}" at ${p}`);
  }
}

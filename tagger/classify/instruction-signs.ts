/**
 * Spots market text that reads like instructions to a language model (prompt injection). The
 * prompt already tells the models that market text is data, but an obedient model may still do
 * what the text says, and its "belongs, confidence 1.00" would be recorded without a person
 * seeing it. So a market whose question, description or outcomes carry such signs goes to the
 * Judge queue whatever the votes say, with the sign as the reason.
 *
 * The patterns look for the shape of an instruction, not for topics: a market about AI models
 * ("Will OpenAI release GPT-5?") or one that "will resolve to Yes" is ordinary text. Each
 * pattern names what it found, so the reviewer sees why. Signs:
 *   - an override: "ignore / disregard / forget ... previous / above / all ... instructions";
 *   - words addressing the model: "you are now ...", "as an AI", "dear assistant", "AI:",
 *     "system prompt", "admin mode", "new instructions";
 *   - role or template markers: a line starting "system:", "assistant:", "user:", "### Instruction",
 *     chat-template tokens (<|im_start|>, [INST]), the prompt's own data-block markers;
 *   - a request for a given answer: "answer yes", "respond with: belongs", "output \"no\"",
 *     "\"answer\": ...", "confidence: 1", "with confidence 100%".
 */
import type { MarketText } from './prompt.ts';

export interface InstructionSign {
  /** Where it was found. */
  field: 'question' | 'description' | 'outcomes';
  /** What kind of instruction it looks like. */
  kind: string;
  /** The matched text, clipped. */
  phrase: string;
}

const LABEL = String.raw`["'“‘\x60]?(?:yes|no|unsure|belongs|does not belong|true)\b`;

const PATTERNS: ReadonlyArray<[kind: string, pattern: RegExp]> = [
  [
    'an order to ignore instructions',
    /\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|all|any|your|the|these|those|other|system)\b[^.\n]{0,20}?\b(?:instructions?|prompts?|rules|directions|guidelines|directives?)\b/i,
  ],
  [
    'words addressed to the model',
    /\byou are (?:now|no longer)\b|\bas an? (?:ai|language model|llm|assistant)\b|\b(?:dear|hey|attention|note to(?: the)?) (?:ai|llm|model|assistant|classifier|chatbot|bot)s?\b/i,
  ],
  ['words addressed to the model', /\b(?:ai|llm|assistant|classifier|chatbot|chatgpt)\s*:/i],
  ['words addressed to the model', /\bsystem prompt\b|\b(?:admin|developer|debug|god|jailbreak|dan) mode\b|\b(?:new|updated|real|actual|hidden) instructions?\b/i],
  ['a chat role marker', /(?:^|\n)[ \t]*(?:system|assistant|user|developer)[ \t]*:/i],
  ['a prompt template marker', /(?:^|\n)[ \t]*#{2,}[ \t]*(?:instructions?|system|response|assistant|user|task|prompt|answer|input|output)\b/i],
  ['a prompt template marker', /<\|?\s*(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\s*\|?>|\[\/?(?:INST|SYS)\]|<<\/?SYS>>|<<<|>>>|MARKET_DATA/i],
  [
    'a request for a given answer',
    new RegExp(
      String.raw`\b(?:answer|respond|reply|output|print|classify (?:this|it)(?: market)? as|label (?:this|it)(?: market)? as|mark (?:this|it)(?: market)? as)\s*(?:(?:only|just|exactly|with|as|the word|the answer|always|:|=)\s*)*${LABEL}`,
      'i',
    ),
  ],
  ['a request for a given answer', /["']answer["']\s*:|["']?\bconfidence\b["']?\s*[:=]\s*["']?[01](?:\.\d+)?|\bwith (?:a |full |maximum )?confidence (?:of |at )?(?:1(?:\.0+)?|100\s*%|0?\.9\d*)\b/i],
];

/** Zero-width and other invisible characters: written between letters, they would hide a phrase from the patterns. */
const INVISIBLE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;

function normalise(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '');
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat;
}

/** The first sign that the market's text is addressed to a model, or null for ordinary text. */
export function instructionSign(market: MarketText): InstructionSign | null {
  const fields: Array<[InstructionSign['field'], string | null | undefined]> = [
    ['question', market.question],
    ['description', market.description],
    ['outcomes', market.outcomes?.join('\n')],
  ];
  for (const [field, raw] of fields) {
    if (!raw) continue;
    const text = normalise(raw);
    for (const [kind, pattern] of PATTERNS) {
      const m = pattern.exec(text);
      if (m) return { field, kind, phrase: clip(m[0]) };
    }
  }
  return null;
}

/** The sign in words, as the decision's reason and the Judge card say it. */
export function describeSign(sign: InstructionSign): string {
  const subject = sign.field === 'outcomes' ? "the market's outcomes look" : `the market's ${sign.field} looks`;
  return `${subject} like instructions to a model (${sign.kind}: "${sign.phrase}"), so a person decides`;
}

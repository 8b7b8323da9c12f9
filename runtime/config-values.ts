/** Value schemas shared by config sections (kept apart from config.ts so section modules it imports can use them). */
import { z } from 'zod';

/** true/false, or what flags and env give as text: 1/0, yes/no, on/off. */
export const booleanish = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  return v;
}, z.boolean());

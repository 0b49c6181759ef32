// Vocabularies of the parser and tagger features (docs/parser.md). Every vocabulary starts with
// the reserved ids NULL (no token at that position), UNK and ROOT, so feature ids never need a
// per-vocabulary offset.
import { NULL_ID, UNK_ID, ROOT_ID } from './transition.ts';

export const RESERVED = ['<null>', '<unk>', '<root>'];

export class Vocab {
  readonly items: string[];
  private readonly ids = new Map<string, number>();
  constructor(items: readonly string[], reserved = true) {
    this.items = reserved ? [...RESERVED, ...items] : [...items];
    this.items.forEach((w, i) => { if (!this.ids.has(w)) this.ids.set(w, i); });
  }
  get size(): number { return this.items.length; }
  /** id of `s`, UNK when unknown (or `missing` for vocabularies without reserved ids) */
  id(s: string, missing = UNK_ID): number { return this.ids.get(s) ?? missing; }
  has(s: string): boolean { return this.ids.has(s); }
  /** items with count >= minCount, most frequent first (ties by first appearance) */
  static fromCounts(counts: Map<string, number>, minCount = 1, reserved = true): Vocab {
    return new Vocab([...counts].filter(([, c]) => c >= minCount).sort((a, b) => b[1] - a[1]).map(([w]) => w), reserved);
  }
}

export function count(into: Map<string, number>, s: string): void { into.set(s, (into.get(s) ?? 0) + 1); }

/** The form the word features see: lower case, every digit 0 (so 1999 and 2004 share a row). */
export function normWord(form: string): string {
  return form.toLowerCase().replace(/[0-9]/g, '0');
}

/** A coarse shape: character classes (X x d, other kept), runs collapsed, at most 5 classes. */
export function wordShape(form: string): string {
  let out = '';
  for (const ch of form) {
    const c = /[A-Z]/.test(ch) ? 'X' : /[a-z]/.test(ch) ? 'x' : /[0-9]/.test(ch) ? 'd' : /\p{L}/u.test(ch) ? (ch === ch.toUpperCase() ? 'X' : 'x') : ch;
    if (out[out.length - 1] !== c) out += c;
    if (out.length >= 5) break;
  }
  return out;
}

export { NULL_ID, UNK_ID, ROOT_ID };

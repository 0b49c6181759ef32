// The Smart Reply vocabulary and its word classes (docs/smart_reply.md): words seen at least
// `minCount` times in the training text, four special ids, and frequency-binned classes for the
// hierarchical softmax (Mikolov et al. 2011: words sorted by count, cut into C bins of about equal
// total frequency, so frequent words sit in small classes and rare ones share big ones).

export const PAD = 0, UNK = 1, BOS = 2, EOS = 3;
const SPECIAL = ['<pad>', '<unk>', '<s>', '</s>'];

export interface ReplyVocab {
  words: string[];
  index: Map<string, number>;
  counts: number[];
  /** class of every word id, in [0, classes) */
  wordClass: Int32Array;
  classes: number;
  /** idf of every word over the training text (for the reply clusters' word space) */
  idf?: Float32Array;
}

/** Vocabulary of token documents: words with count >= minCount (at most maxWords), classes ~ sqrt(V). */
export function buildReplyVocab(docs: Iterable<string[]>, minCount = 2, maxWords = 50_000, classes?: number): ReplyVocab {
  const count = new Map<string, number>();
  let sentences = 0;
  for (const d of docs) { sentences++; for (const w of d) count.set(w, (count.get(w) ?? 0) + 1); }
  const kept = [...count].filter(([w, c]) => c >= minCount && !SPECIAL.includes(w)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxWords - SPECIAL.length);
  const words = [...SPECIAL, ...kept.map(([w]) => w)];
  const unk = [...count].filter(([w, c]) => c < minCount && !SPECIAL.includes(w)).reduce((a, [, c]) => a + c, 0);
  const counts = [0, Math.max(1, unk), sentences, sentences, ...kept.map(([, c]) => c)];
  const index = new Map(words.map((w, i) => [w, i]));
  return { words, index, counts, ...frequencyClasses(counts, classes ?? Math.ceil(Math.sqrt(words.length))) };
}

/** Frequency binning: ids in order of falling count, a new class whenever the running share passes the next 1/C. */
export function frequencyClasses(counts: readonly number[], classes: number): { wordClass: Int32Array; classes: number } {
  const V = counts.length;
  const C = Math.max(1, Math.min(classes, V));
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => counts[b] - counts[a] || a - b);
  const total = counts.reduce((a, b) => a + Math.max(b, 1), 0);
  const wordClass = new Int32Array(V);
  let acc = 0, c = 0;
  order.forEach((id, rank) => {
    // leave at least one word for every class still to come
    if (c < C - 1 && acc >= ((c + 1) * total) / C && V - rank >= C - c) c++;
    wordClass[id] = c;
    acc += Math.max(counts[id], 1);
  });
  const used = new Set(wordClass).size;
  return { wordClass, classes: used };
}

/** Token ids of a token list (unknown words -> UNK). */
export function encode(v: ReplyVocab, tokens: readonly string[]): number[] {
  return tokens.map((w) => v.index.get(w) ?? UNK);
}

/** Text of ids, stopping at EOS; UNK shows as <unk>. */
export function decodeIds(v: ReplyVocab, ids: readonly number[]): string {
  const out: string[] = [];
  for (const id of ids) { if (id === EOS) break; if (id !== BOS && id !== PAD) out.push(v.words[id] ?? '<unk>'); }
  return detokenize(out);
}

/** Tokens back to text: no space before punctuation or after an opening bracket or quote. */
export function detokenize(tokens: readonly string[]): string {
  let s = '';
  for (const t of tokens) {
    if (!s) s = t;
    else if (/^[.,!?;:)\]'%]/.test(t) || /[([$"]$/.test(s)) s += t;
    else s += ' ' + t;
  }
  return s;
}

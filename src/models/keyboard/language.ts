// The keyboard's language side: the lexicon (subtlex word frequencies, with the English
// contractions subtlex splits apart: "don't" is listed there as "don" + "t"), a Kneser-Ney
// trigram from the State of the Union corpus pruned to n-grams seen twice, and a compact binary
// file for the trigram so the shipped model stays small. Built by `kiln keyboard train`; read by
// `loadKeyboardLanguage`.
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BOS, EOS, UNK, NgramModel, estimateKneserNey } from '../../fst/ngram.ts';

/** Contractions as typed (apostrophe optional at decode time), with the subtlex fragment whose count they inherit. */
const CONTRACTIONS: [string, string | null][] = [
  ["don't", 'don'], ["doesn't", 'doesn'], ["didn't", 'didn'], ["isn't", 'isn'], ["wasn't", 'wasn'], ["weren't", 'weren'],
  ["aren't", 'aren'], ["haven't", 'haven'], ["hasn't", 'hasn'], ["hadn't", 'hadn'], ["couldn't", 'couldn'], ["wouldn't", 'wouldn'],
  ["shouldn't", 'shouldn'], ["won't", 'won'], ["can't", null], ["ain't", 'ain'], ["mustn't", 'mustn'], ["needn't", 'needn'],
  ["I'm", null], ["I've", null], ["I'll", null], ["I'd", null], ["you're", null], ["you've", null], ["you'll", null], ["you'd", null],
  ["he's", null], ["she's", null], ["it's", null], ["we're", null], ["we've", null], ["we'll", null], ["we'd", null],
  ["they're", null], ["they've", null], ["they'll", null], ["they'd", null], ["that's", null], ["there's", null], ["what's", null],
  ["let's", null], ["who's", null], ["here's", null], ["where's", null], ["he'll", null], ["she'll", null], ["it'll", null],
  ["he'd", null], ["she'd", null], ["that'll", null], ["who'd", null], ["how's", null], ["y'all", null],
];
/** Subtlex entries that are only contraction fragments, never typed as words. */
const FRAGMENTS = new Set(['s', 't', 'm', 're', 've', 'll', 'd', 'don', 'doesn', 'didn', 'isn', 'wasn', 'weren', 'aren', 'haven', 'hasn', 'hadn', 'couldn', 'wouldn', 'shouldn', 'ain', 'mustn', 'needn']);

export interface LexiconEntry { word: string; count: number }

/**
 * The keyboard lexicon: subtlex words lower-cased (counts of case variants merged; "I" stays
 * capital), fragments dropped, contractions added (a fragment's count, else the contraction's
 * SOTU count scaled to subtlex's size, at least 50), the top `size` by count.
 */
export function buildLexiconEntries(subtlex: { word: string; count: number }[], corpus: string[][], size = 60000): LexiconEntry[] {
  const counts = new Map<string, number>();
  for (const { word, count } of subtlex) {
    if (!/^[A-Za-z]+$/.test(word)) continue;
    const w = word.toLowerCase() === 'i' ? 'I' : word.toLowerCase();
    counts.set(w, (counts.get(w) ?? 0) + count);
  }
  const fragment = new Map([...FRAGMENTS].map((f) => [f, counts.get(f) ?? 0]));
  for (const f of FRAGMENTS) counts.delete(f);
  for (const single of 'bcefghjklnopqruvwxyz') counts.delete(single);
  const subTotal = [...counts.values()].reduce((a, b) => a + b, 0);
  const sotu = new Map<string, number>();
  let sotuTotal = 0;
  for (const s of corpus) for (const w of s) { sotuTotal++; if (w.includes("'") || w === 'can') sotu.set(w, (sotu.get(w) ?? 0) + 1); }
  const scale = sotuTotal ? subTotal / sotuTotal : 1;
  // A contraction without a stem fragment ("I'm", "you're") shares its suffix's fragment count
  // ('m, 're, 've, 'll, 'd, 's) with the other contractions of that suffix, in SOTU's proportions
  // (+1 each); "can't" takes SOTU's share of "can".
  const suffixOf = (c: string) => c.slice(c.indexOf("'") + 1).toLowerCase();
  const shareSum = new Map<string, number>();
  for (const [c, frag] of CONTRACTIONS) if (!frag) shareSum.set(suffixOf(c), (shareSum.get(suffixOf(c)) ?? 0) + 1 + (sotu.get(c.toLowerCase()) ?? 0));
  for (const [c, frag] of CONTRACTIONS) {
    let n: number;
    if (frag) n = fragment.get(frag) ?? 0;
    else if (c === "can't") n = Math.round((counts.get('can') ?? 0) * (sotu.get("can't") ?? 0) / Math.max(1, sotu.get('can') ?? 0));
    else {
      const suf = suffixOf(c);
      const pool = fragment.get(suf) ?? Math.round((sotu.get(c.toLowerCase()) ?? 0) * scale);
      n = Math.round(pool * (1 + (sotu.get(c.toLowerCase()) ?? 0)) / shareSum.get(suf)!);
    }
    counts.set(c, Math.max(50, n));
  }
  return [...counts].map(([word, count]) => ({ word, count })).sort((a, b) => b.count - a.count || (a.word < b.word ? -1 : 1)).slice(0, size);
}

export function lexiconText(entries: LexiconEntry[]): string {
  return entries.map((e) => `${e.word}\t${e.count}`).join('\n') + '\n';
}

export function parseLexicon(text: string, file = 'lexicon'): LexiconEntry[] {
  const out: LexiconEntry[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const [word, c, extra] = line.split('\t');
    const count = Number(c);
    if (!word || extra !== undefined || !(count > 0)) throw new Error(`${file}:${i + 1}: expected "word<TAB>count" with a positive count, got ${JSON.stringify(line)}`);
    out.push({ word, count });
  });
  if (!out.length) throw new Error(`${file}: no words`);
  return out;
}

/**
 * Drops the n-grams (order >= 2) seen fewer than `minCount` times and renormalises the backoff
 * weights so every history still sums to one: bo(h) = (1 - sum_kept p(w|h)) / (1 - sum_kept p(w|h')).
 */
export function pruneNgramModel(model: NgramModel, corpus: string[][], minCount = 2): NgramModel {
  const vocab = new Set(model.grams[0].keys());
  const raw: Map<string, number>[] = Array.from({ length: model.order }, () => new Map());
  for (const s of corpus) {
    const ws = [BOS, ...s.map((w) => (vocab.has(w) ? w : UNK)), EOS];
    for (let i = 0; i < ws.length; i++) {
      for (let k = 2; k <= model.order && i + k <= ws.length; k++) {
        const g = ws.slice(i, i + k).join(' ');
        raw[k - 1].set(g, (raw[k - 1].get(g) ?? 0) + 1);
      }
    }
  }
  const out = new NgramModel(model.order);
  for (const [g, e] of model.grams[0]) out.grams[0].set(g, { logProb: e.logProb, backoff: 0 });
  for (let k = 2; k <= model.order; k++) {
    for (const [g, e] of model.grams[k - 1]) if ((raw[k - 1].get(g) ?? 0) >= minCount) out.grams[k - 1].set(g, { logProb: e.logProb, backoff: 0 });
  }
  // Backoffs of histories, lowest order first (a history's backoff uses the already pruned lower orders).
  for (let k = 1; k < model.order; k++) {
    const kept = new Map<string, string[]>();
    for (const g of out.grams[k].keys()) {
      const sp = g.lastIndexOf(' ');
      const h = g.slice(0, sp);
      let l = kept.get(h);
      if (!l) kept.set(h, (l = []));
      l.push(g.slice(sp + 1));
    }
    for (const [h, ws] of kept) {
      const hw = h.split(' ');
      let num = 1, den = 1;
      for (const w of ws) {
        num -= Math.exp(out.grams[k].get(`${h} ${w}`)!.logProb);
        den -= Math.exp(out.logProb(w, hw.slice(1)));
      }
      const e = out.grams[k - 1].get(h);
      if (e) e.backoff = Math.log(Math.max(num, 1e-12) / Math.max(den, 1e-12));
    }
  }
  return out;
}

// Binary n-gram file (gzip): "KILNLM1\n", a JSON header line {order, vocab, counts, lo, hi}, then per
// order k its n-grams as k uint16 word ids and two uint16 quantised ln values (prob, backoff) over
// [lo, hi] (step (hi - lo) / 65535 ~ 5e-4: far below the LM's own estimation noise).
const MAGIC = 'KILNLM1\n';
const LO = -32, HI = 8;
const q = (v: number) => Math.round((Math.min(HI, Math.max(LO, v)) - LO) / (HI - LO) * 65535);
const dq = (u: number) => LO + (u / 65535) * (HI - LO);

export function saveNgramBinary(model: NgramModel, path: string): void {
  const vocab = [...model.grams[0].keys()];
  if (vocab.length > 65535) throw new Error(`saveNgramBinary: ${vocab.length} words do not fit 16-bit ids`);
  const id = new Map(vocab.map((w, i) => [w, i]));
  const parts: Buffer[] = [];
  const counts = model.grams.map((g) => g.size);
  parts.push(Buffer.from(MAGIC + JSON.stringify({ order: model.order, vocab, counts, lo: LO, hi: HI }) + '\n'));
  model.grams.forEach((grams, k) => {
    const a = new Uint16Array(grams.size * (k + 3));
    let o = 0;
    for (const [g, e] of grams) {
      for (const w of g.split(' ')) a[o++] = id.get(w)!;
      a[o++] = q(e.logProb);
      a[o++] = q(e.backoff);
    }
    parts.push(Buffer.from(a.buffer));
  });
  writeFileSync(path, gzipSync(Buffer.concat(parts), { level: 9 }));
}

export function loadNgramBinary(path: string): NgramModel {
  let buf: Buffer;
  try { buf = gunzipSync(readFileSync(path)); } catch (e) { throw new Error(`loadNgramBinary: cannot read ${path}: ${(e as Error).message}`); }
  if (buf.subarray(0, MAGIC.length).toString() !== MAGIC) throw new Error(`loadNgramBinary: ${path} is not a kiln n-gram file (no ${JSON.stringify(MAGIC.trim())} header)`);
  const nl = buf.indexOf(10, MAGIC.length);
  const head = JSON.parse(buf.subarray(MAGIC.length, nl).toString()) as { order: number; vocab: string[]; counts: number[]; lo: number; hi: number };
  const m = new NgramModel(head.order);
  let off = nl + 1;
  head.counts.forEach((n, k) => {
    const len = n * (k + 3);
    const a = new Uint16Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + 2 * len));
    off += 2 * len;
    const words: string[] = new Array(k + 1);
    for (let i = 0, o = 0; i < n; i++) {
      for (let j = 0; j <= k; j++) words[j] = head.vocab[a[o++]];
      const logProb = a[o] === 0 && k === 0 ? -99 * Math.LN10 : dq(a[o]);
      m.grams[k].set(words.join(' '), { logProb, backoff: dq(a[o + 1]) === dq(q(0)) ? 0 : dq(a[o + 1]) });
      o += 2;
    }
  });
  if (off !== buf.length) throw new Error(`loadNgramBinary: ${path} has ${buf.length - off} bytes after the n-grams: truncated or corrupt`);
  return m;
}

/** Trains the trigram: Kneser-Ney on the corpus, then pruned to n-grams seen at least `minCount` times. */
export function trainKeyboardLm(corpus: string[][], opts: { order?: number; minCount?: number } = {}): NgramModel {
  const full = estimateKneserNey(corpus, { order: opts.order ?? 3 });
  return pruneNgramModel(full, corpus, opts.minCount ?? 2);
}

// Sentences, vocabularies and feature rows of the tagger and the parser (docs/parser.md).
import type { ConlluSentence } from '../../io/conllu.ts';
import { Vocab, count, normWord, wordShape, NULL_ID, ROOT_ID, UNK_ID } from './vocab.ts';
import { type TransitionSystem, ParseState, extractFeatures, isProjective, oracleActions, FEATURES, WORD_FEATURES, TAG_FEATURES, LABEL_FEATURES } from './transition.ts';
import type { FeatureGroup } from './mlp.ts';

/** One sentence as the models see it: forms, UPOS tags, and (for training) the tree. */
export interface Sentence {
  forms: string[];
  tags: string[];
  /** heads[i] of word i + 1 (0 = root) */
  heads?: number[];
  rels?: string[];
}

export function sentenceOf(s: ConlluSentence): Sentence {
  const w = s.words;
  const tree = w.every((r) => r.cols[6] !== '_' && r.cols[7] !== '_');
  return {
    forms: w.map((r) => r.cols[1]),
    tags: w.map((r) => r.cols[3]),
    ...(tree ? { heads: w.map((r) => Number(r.cols[6])), rels: w.map((r) => r.cols[7]) } : {}),
  };
}

export interface Vocabs {
  words: Vocab;
  tags: Vocab;
  /** relations, no reserved ids: relation r is label r (features use 1 + r) */
  rels: Vocab;
  affixes: Vocab;
  shapes: Vocab;
  /** words outside `words` -> the id of their nearest word by pre-trained vectors (pretrain.ts) */
  aliases?: Map<string, number>;
}

/** The word feature id of a form: its own row, else its alias's, else UNK. */
export function wordId(v: Vocabs, form: string): number {
  const w = normWord(form);
  const id = v.words.id(w, -1);
  if (id >= 0) return id;
  return v.aliases?.get(w) ?? UNK_ID;
}

export function buildVocabs(train: readonly Sentence[], minWordCount = 2): Vocabs {
  const w = new Map<string, number>(), t = new Map<string, number>(), r = new Map<string, number>(), a = new Map<string, number>(), sh = new Map<string, number>();
  for (const s of train) {
    s.forms.forEach((f, i) => {
      count(w, normWord(f));
      count(t, s.tags[i]);
      if (s.rels) count(r, s.rels[i]);
      for (const x of affixesOf(f)) count(a, x);
      count(sh, wordShape(f));
    });
  }
  return { words: Vocab.fromCounts(w, minWordCount), tags: Vocab.fromCounts(t), rels: Vocab.fromCounts(r, 1, false), affixes: Vocab.fromCounts(a, 2), shapes: Vocab.fromCounts(sh, 2) };
}

/** Suffixes of length 1..3 and prefixes of length 1..3 of the lower-cased form. */
function affixesOf(form: string): string[] {
  const f = [...form.toLowerCase()];
  const out: string[] = [];
  for (let k = 1; k <= 3; k++) {
    out.push('s' + (f.length >= k ? f.slice(-k).join('') : '^' + f.join('')));
    out.push('p' + (f.length >= k ? f.slice(0, k).join('') : f.join('') + '$'));
  }
  return out;
}

// ---- tagger: a window of 5 words, affixes of the word and its neighbours, shapes ----

export const TAGGER_GROUPS = { words: 5, affixes: 15, shapes: 3 } as const;
export const TAGGER_FEATURES = TAGGER_GROUPS.words + TAGGER_GROUPS.affixes + TAGGER_GROUPS.shapes;

export function taggerGroups(v: Vocabs, dims: { word: number; affix: number; shape: number }): FeatureGroup[] {
  return [
    { name: 'word', vocab: v.words.size, dim: dims.word, features: TAGGER_GROUPS.words },
    { name: 'affix', vocab: v.affixes.size, dim: dims.affix, features: TAGGER_GROUPS.affixes },
    { name: 'shape', vocab: v.shapes.size, dim: dims.shape, features: TAGGER_GROUPS.shapes },
  ];
}

/** Feature rows of every word of `s`: into out[(at + i) * TAGGER_FEATURES ...]. */
export function taggerFeatures(v: Vocabs, s: Sentence, out: Int32Array, at: number): void {
  const n = s.forms.length;
  const wid = s.forms.map((f) => wordId(v, f));
  const aff = s.forms.map((f) => affixesOf(f).map((x) => v.affixes.id(x)));
  const shp = s.forms.map((f) => v.shapes.id(wordShape(f)));
  for (let i = 0; i < n; i++) {
    let o = (at + i) * TAGGER_FEATURES;
    for (let d = -2; d <= 2; d++) out[o++] = i + d >= 0 && i + d < n ? wid[i + d] : NULL_ID;
    // the word's six affixes, the suffixes (1..3) of both neighbours, the next word's prefixes (1..3)
    for (const x of aff[i]) out[o++] = x;
    for (const d of [-1, 1]) for (let k = 0; k < 3; k++) out[o++] = i + d >= 0 && i + d < n ? aff[i + d][2 * k] : NULL_ID;
    for (let k = 0; k < 3; k++) out[o++] = i + 1 < n ? aff[i + 1][2 * k + 1] : NULL_ID;
    for (const d of [-1, 0, 1]) out[o++] = i + d >= 0 && i + d < n ? shp[i + d] : NULL_ID;
  }
}

// ---- parser ----

export function parserGroups(v: Vocabs, dims: { word: number; tag: number; label: number }): FeatureGroup[] {
  return [
    { name: 'word', vocab: v.words.size, dim: dims.word, features: WORD_FEATURES },
    { name: 'tag', vocab: v.tags.size, dim: dims.tag, features: TAG_FEATURES },
    { name: 'label', vocab: v.rels.size + 1, dim: dims.label, features: LABEL_FEATURES },
  ];
}

/** Per-token ids (index 0 = the root) of the words and tags of `s`. */
export function tokenIds(v: Vocabs, s: Sentence): { words: Int32Array; tags: Int32Array } {
  const n = s.forms.length;
  const words = new Int32Array(n + 1), tags = new Int32Array(n + 1);
  words[0] = ROOT_ID; tags[0] = ROOT_ID;
  for (let i = 0; i < n; i++) { words[i + 1] = wordId(v, s.forms[i]); tags[i + 1] = v.tags.id(s.tags[i]); }
  return { words, tags };
}

export interface OracleExamples {
  /** int32 [N, FEATURES] */
  x: Int32Array;
  /** gold action of each row */
  y: Int32Array;
  n: number;
  sentences: number;
  skippedNonProjective: number;
  skippedUnknownRelation: number;
}

/** Every (state, gold action) of the static oracle over the projective training trees. */
export function oracleExamples(v: Vocabs, data: readonly Sentence[], system: TransitionSystem = 'arc-standard'): OracleExamples {
  const L = v.rels.size;
  let total = 0, nonProj = 0, unkRel = 0;
  const keep: Sentence[] = [];
  for (const s of data) {
    if (!s.heads || !s.rels) continue;
    if (!isProjective(s.heads)) { nonProj++; continue; }
    if (s.rels.some((r) => !v.rels.has(r))) { unkRel++; continue; }
    keep.push(s);
    total += 2 * s.forms.length;
  }
  const x = new Int32Array(total * FEATURES), y = new Int32Array(total);
  let row = 0;
  for (const s of keep) {
    const ids = tokenIds(v, s);
    const acts = oracleActions(s.heads!, s.rels!.map((r) => v.rels.id(r, -1)), L, system);
    const st = new ParseState(s.forms.length, undefined, system);
    for (const a of acts) {
      extractFeatures(st, ids.words, ids.tags, x, row * FEATURES);
      y[row++] = a;
      st.apply(a, L);
    }
  }
  if (row !== total) throw new Error(`oracleExamples: ${row} rows for ${total} expected`);
  return { x, y, n: total, sentences: keep.length, skippedNonProjective: nonProj, skippedUnknownRelation: unkRel };
}

// Tagging and parsing with trained scorers (docs/parser.md). Parsing is a beam search over
// transition sequences (src/decode's beamSearchBatch): every step scores the live states of all
// beams of all sentences of a chunk in one GPU call. Beam 1 is the greedy parser.
import * as kiln from '../../index.ts';
import { beamSearchBatch, type Candidate, type Hypothesis } from '../../decode/beam.ts';
import type { FeatureMlp } from './mlp.ts';
import { ParseState, extractFeatures, FEATURES, SHIFT, type TransitionSystem } from './transition.ts';
import { tokenIds, taggerFeatures, TAGGER_FEATURES, type Sentence, type Vocabs } from './features.ts';
import { scoreRows } from './fit.ts';

export interface ParseResult {
  heads: number[];
  rels: string[];
  /** the transition sequence (2n actions) */
  actions: number[];
  score: number;
}

/** A hypothesis' state: built lazily from its parent when it survives pruning. */
export interface ParseNode {
  parent: ParseNode | null;
  action: number;
  st: ParseState | null;
}

export function materialize(n: ParseNode, labels: number): ParseState {
  if (!n.st) {
    const st = materialize(n.parent!, labels).clone();
    st.apply(n.action, labels);
    n.st = st;
  }
  return n.st;
}

export function actionsOf(n: ParseNode): number[] {
  const out: number[] = [];
  for (let p: ParseNode | null = n; p && p.parent; p = p.parent) out.push(p.action);
  return out.reverse();
}

export interface ParseOptions {
  /** beam width (1 = greedy) */
  beam?: number;
  /** 'local': scores are log-softmax over the legal actions (a locally trained model); 'global': raw scores */
  normalization?: 'local' | 'global';
  /** sentences scored together (their beams form one batch) */
  chunk?: number;
  /** the transition system the model was trained for (default arc-standard) */
  system?: TransitionSystem;
}

/** Parses sentences (forms + tags); returns one tree per sentence, in order. */
export async function parseSentences(model: FeatureMlp, v: Vocabs, sentences: readonly Sentence[], o: ParseOptions = {}): Promise<ParseResult[]> {
  const beam = o.beam ?? 1, norm = o.normalization ?? 'local';
  const L = v.rels.size, A = model.spec.outputs;
  if (A !== 1 + 2 * L) throw new Error(`parseSentences: the model scores ${A} actions; the vocabulary's ${L} relations need ${1 + 2 * L}`);
  const out: ParseResult[] = new Array(sentences.length);
  // chunks of similar length: every step of a chunk is one batch, and a chunk runs 2 * (its longest) steps
  const order = sentences.map((s, i) => i).sort((a, b) => sentences[a].forms.length - sentences[b].forms.length);
  const chunk = o.chunk ?? Math.max(32, Math.floor(2048 / beam));
  const runChunk = async (c: number) => {
    const feats = new Int32Array(chunk * beam * FEATURES);
    const idx = order.slice(c, c + chunk).filter((i) => sentences[i].forms.length > 0);
    for (const i of order.slice(c, c + chunk)) if (!sentences[i].forms.length) out[i] = { heads: [], rels: [], actions: [], score: 0 };
    if (!idx.length) return;
    const ids = idx.map((i) => tokenIds(v, sentences[i]));
    const lens = idx.map((i) => sentences[i].forms.length);
    const maxSteps = 2 * lens.reduce((m, x) => Math.max(m, x), 0);
    const results = await beamSearchBatch<ParseNode>(idx.map((_, k) => [{ parent: null, action: -1, st: new ParseState(lens[k], undefined, o.system ?? 'arc-standard') }]), {
      beamWidth: beam,
      maxSteps,
      expand: async (live) => {
        let rows = 0;
        const states: ParseState[][] = live.map((hs, k) => hs.map((h) => {
          const st = materialize(h.state, L);
          extractFeatures(st, ids[k].words, ids[k].tags, feats, rows++ * FEATURES);
          return st;
        }));
        for (const hs of live) for (const h of hs) if (h.state.parent) h.state.parent.st = null; // only the live states are needed now
        const scores = rows ? await scoreRows(model, feats, rows) : new Float32Array(0);
        let r = 0;
        return live.map((hs, k) => hs.map((h, j) => expandOne(h, states[k][j], scores, r++ * A, A, L, beam, norm, 2 * lens[k])));
      },
    });
    results.forEach((res, k) => {
      const best = res[0];
      const st = materialize(best.state, L);
      const heads = Array.from(st.heads.subarray(1));
      out[idx[k]] = { heads, rels: Array.from(st.labels.subarray(1), (l) => v.rels.items[l]), actions: actionsOf(best.state), score: best.score };
    });
  };
  // Two chunks in flight: one chunk's JavaScript (features, pruning) runs while the GPU scores the
  // other's states, instead of each waiting for the other.
  let next = 0;
  const worker = async () => { while (next < order.length) { const c = next; next += chunk; await runChunk(c); } };
  await Promise.all([worker(), worker()]);
  return out;
}

/** The best `keep` legal children of one hypothesis. */
function expandOne(h: Hypothesis<ParseNode>, st: ParseState, scores: Float32Array, at: number, A: number, L: number, keep: number, norm: 'local' | 'global', total: number): Candidate<ParseNode>[] {
  let lse = 0;
  if (norm === 'local') {
    let mx = -Infinity;
    for (let a = 0; a < A; a++) if (st.legal(a, L) && scores[at + a] > mx) mx = scores[at + a];
    let z = 0;
    for (let a = 0; a < A; a++) if (st.legal(a, L)) z += Math.exp(scores[at + a] - mx);
    lse = mx + Math.log(z);
  }
  // legal actions by score; only SHIFT / the arcs' legality differ, so test the three kinds once
  const okShift = st.canShift(), okLeft = st.canLeft(), okRight = st.canRight();
  const best: number[] = [];
  for (let a = 0; a < A; a++) {
    if (!(a === SHIFT ? okShift : a <= L ? okLeft : okRight)) continue;
    if (best.length < keep) { best.push(a); best.sort((x, y) => scores[at + y] - scores[at + x]); continue; }
    if (scores[at + a] > scores[at + best[keep - 1]]) { best[keep - 1] = a; best.sort((x, y) => scores[at + y] - scores[at + x]); }
  }
  const done = st.steps + 1 === total;
  return best.map((a) => ({ state: { parent: h.state, action: a, st: null }, score: h.score + scores[at + a] - lse, done }));
}

/** Predicted UPOS tags of every sentence (the tagger's best tag per word). */
export async function tagSentences(tagger: FeatureMlp, v: Vocabs, sentences: readonly Sentence[]): Promise<string[][]> {
  const n = sentences.reduce((a, s) => a + s.forms.length, 0);
  const x = new Int32Array(n * TAGGER_FEATURES);
  let at = 0;
  for (const s of sentences) { taggerFeatures(v, s, x, at); at += s.forms.length; }
  const C = tagger.spec.outputs;
  const scores = n ? await scoreRows(tagger, x, n) : new Float32Array(0);
  at = 0;
  return sentences.map((s) => s.forms.map(() => {
    let b = 3; // never a reserved id
    for (let c = 4; c < C; c++) if (scores[at * C + c] > scores[at * C + b]) b = c;
    at++;
    return v.tags.items[b];
  }));
}

export { kiln };

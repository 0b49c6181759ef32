// Suggestions from the Smart Reply network (docs/smart_reply.md):
// - scoreResponses: the response-set mode of Smart Reply: log p(reply | message, user) of a fixed
//   set of candidate replies, every candidate in one batched teacher-forced decoder run;
// - generate: free generation with src/decode's beam search, length-normalised, with a length bias;
// - diversify: the best suggestion of each of k different clusters.
import * as kiln from '../../index.ts';
import { beamSearch, type Hypothesis } from '../../decode/beam.ts';
import { tokenize } from './data.ts';
import { BOS, EOS, PAD, UNK, encode, decodeIds, type ReplyVocab } from './vocab.ts';
import { MAX_MESSAGE, MAX_REPLY } from './train.ts';
import type { ReplyModel } from './model.ts';

export interface RankOptions {
  /** score = log p / length^alpha + lengthBias * length (default alpha 1: per-token; bias 0) */
  alpha?: number;
  lengthBias?: number;
}

const rankOf = (logp: number, len: number, o: RankOptions) => logp / Math.pow(Math.max(1, len), o.alpha ?? 1) + (o.lengthBias ?? 0) * len;

export interface Candidates { texts: string[]; ids: number[][] }

/** A response set: the candidate replies as token ids (EOS added when scored). */
export function candidateSet(v: ReplyVocab, texts: readonly string[]): Candidates {
  return { texts: [...texts], ids: texts.map((t) => encode(v, tokenize(t).slice(0, MAX_REPLY))) };
}

/** The encoder state [1, 1, H] of one message (null: no message, the zero state). */
function encodeMessage(m: ReplyModel, v: ReplyVocab, message: string | null): { h: kiln.Tensor; c: kiln.Tensor } {
  if (message === null) return m.encode(null, [], 0, 1);
  const src = encode(v, tokenize(message).slice(-MAX_MESSAGE));
  const ids = Int32Array.from(src.length ? src : [PAD]);
  return m.encode(ids, [ids.length], ids.length, 1);
}

/**
 * log p(candidate | message, user) of every candidate (EOS included) and its rank score, in
 * batches of `batch` candidates.
 */
export async function scoreResponses(m: ReplyModel, v: ReplyVocab, message: string | null, user: number, cands: Candidates, o: RankOptions & { batch?: number } = {}): Promise<{ logp: Float32Array; rank: Float32Array }> {
  m.train(false);
  const R = cands.ids.length, B = o.batch ?? 256;
  const logp = new Float32Array(R), rank = new Float32Array(R);
  // candidates of similar length share a batch, so few steps are spent on padding
  const order = Array.from(cands.ids.keys()).sort((a, b) => cands.ids[a].length - cands.ids[b].length);
  // the message is encoded once; every batch starts from that state
  const start = kiln.tidy(() => { const s0 = encodeMessage(m, v, message); return [kiln.keep(s0.h), kiln.keep(s0.c)]; });
  try {
    for (let at = 0; at < R; at += B) {
      const which = order.slice(at, at + B);
      const part = which.map((i) => cands.ids[i]);
      const n = part.length;
      const T = Math.max(...part.map((x) => x.length)) + 1;
      const tgtIn = new Int32Array(T * n), tgtOut = new Int32Array(T * n);
      part.forEach((ids, j) => { tgtIn[j] = BOS; ids.forEach((id, t) => { tgtIn[(t + 1) * n + j] = id; tgtOut[t * n + j] = id; }); tgtOut[ids.length * n + j] = EOS; });
      const lens = part.map((x) => x.length + 1);
      const per = kiln.tidy(() => {
        const H = m.spec.hidden;
        const h = kiln.broadcastTo(start[0], [1, n, H]), c = kiln.broadcastTo(start[1], [1, n, H]);
        const { out } = m.decode(tgtIn, lens, T, n, new Int32Array(n).fill(user), h, c);
        return m.tokenLoss(out, tgtOut);
      });
      const loss = (await per.data()) as Float32Array;
      per.dispose();
      part.forEach((ids, j) => {
        let s = 0;
        for (let t = 0; t <= ids.length; t++) s -= loss[t * n + j];
        logp[which[j]] = s;
        rank[which[j]] = rankOf(s, ids.length + 1, o);
      });
    }
  } finally {
    kiln.dispose(start);
  }
  return { logp, rank };
}

interface GenState { ids: number[]; h: Float32Array; c: Float32Array }

/** Beam-search generation of replies (UNK never emitted), best first by the rank score. */
export async function generate(m: ReplyModel, v: ReplyVocab, message: string, user: number, o: RankOptions & { beam?: number; maxLength?: number; minLength?: number; topK?: number } = {}): Promise<{ text: string; logp: number; rank: number }[]> {
  m.train(false);
  const H = m.spec.hidden, beam = o.beam ?? 8, minLength = o.minLength ?? 2;
  const start = kiln.tidy(() => encodeMessage(m, v, message));
  const [h0, c0] = await Promise.all([start.h.data(), start.c.data()]);
  kiln.dispose([start.h, start.c]);
  const users = (n: number) => new Int32Array(n).fill(user);
  const res = await beamSearch<GenState>([{ ids: [], h: h0 as Float32Array, c: c0 as Float32Array }], {
    beamWidth: beam,
    maxSteps: o.maxLength ?? MAX_REPLY,
    topK: o.topK ?? beam,
    finalScore: (hy: Hypothesis<GenState>) => rankOf(hy.score, hy.length, o),
    async expand(live) {
      const n = live.length;
      const hIn = new Float32Array(n * H), cIn = new Float32Array(n * H), last = new Int32Array(n);
      live.forEach((hy, j) => { hIn.set(hy.state.h, j * H); cIn.set(hy.state.c, j * H); last[j] = hy.state.ids.length ? hy.state.ids[hy.state.ids.length - 1] : BOS; });
      const r = kiln.tidy(() => {
        const d = m.decode(last, null, 1, n, users(n), kiln.tensor(hIn, [1, n, H]), kiln.tensor(cIn, [1, n, H]));
        return { lp: m.logProbs(d.out), h: d.hN, c: d.cN };
      });
      const [lp, hs, cs] = await Promise.all([r.lp.data(), r.h.data(), r.c.data()]) as Float32Array[];
      kiln.dispose([r.lp, r.h, r.c]);
      const V = m.spec.vocab;
      return live.map((hy, j) => {
        const row = lp.subarray(j * V, (j + 1) * V);
        // the best `beam` words of this row (UNK, PAD and BOS never; EOS only after minLength words)
        const best: number[] = [];
        for (let w = 0; w < V; w++) {
          if (w === UNK || w === PAD || w === BOS || (w === EOS && hy.state.ids.length < minLength)) continue;
          if (best.length < beam) { best.push(w); best.sort((a, b) => row[b] - row[a]); } else if (row[w] > row[best[beam - 1]]) { best[beam - 1] = w; best.sort((a, b) => row[b] - row[a]); }
        }
        const h = hs.slice(j * H, (j + 1) * H), c = cs.slice(j * H, (j + 1) * H);
        return best.map((w) => ({ state: { ids: w === EOS ? hy.state.ids : [...hy.state.ids, w], h, c }, score: hy.score + row[w], done: w === EOS }));
      });
    },
  });
  return res.map((r) => ({ text: decodeIds(v, r.state.ids), logp: r.score, rank: r.rank }));
}

/** The k best items of different clusters, in rank order (Smart Reply's diversity step). */
export function diversify<T>(ranked: readonly T[], clusterOf: (x: T) => number, k: number): T[] {
  const out: T[] = [], used = new Set<number>();
  for (const x of ranked) {
    if (out.length >= k) break;
    const c = clusterOf(x);
    if (used.has(c)) continue;
    used.add(c);
    out.push(x);
  }
  return out;
}

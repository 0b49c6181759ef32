// Globally normalised beam training (Andor et al. 2016; docs/parser.md). A sentence's transition
// sequence scores sum(rho(state_t, action_t)) with the network's raw scores; the loss is the CRF
// loss over the beam,
//     L = -score(gold) + log sum_{j in beam + gold} exp(score(j)),
// with early update: the search stops at the first step where the gold prefix falls out of the
// beam, and the loss uses the beam and the gold prefix of that step.
//
// dL/drho(node) = sum of the softmax weights of the paths through the node, minus 1 on the gold
// path. So one search (no gradients) gives a weight per (state, action) of the beam's tree, and the
// gradient is that of sum_node w_node * rho(state, action): one forward + backward over the
// distinct states of all sentences of the minibatch, on the GPU.
import * as kiln from '../../index.ts';
import { pruneBeam, type Hypothesis } from '../../decode/beam.ts';
import type { FeatureMlp } from './mlp.ts';
import { ParseState, extractFeatures, FEATURES, SHIFT, type TransitionSystem } from './transition.ts';
import { scoreRows } from './fit.ts';
import { tokenIds, type Vocabs, type Sentence } from './features.ts';

interface Node {
  parent: Node | null;
  action: number;
  st: ParseState;
  gold: boolean;
  /** row of this state's features in the minibatch store (set when scored) */
  row: number;
  /** weight of this node's (parent state, action) in the gradient */
  w: number;
}

export interface BeamTrainStats {
  loss: number;
  sentences: number;
  /** sentences whose gold path fell out of the beam before the end */
  earlyUpdates: number;
  rows: number;
}

/**
 * One minibatch of global training: searches every sentence with width `beam`, then applies one
 * gradient step. `gold[k]` is the oracle action sequence of sentences[k].
 */
export async function globalStep(model: FeatureMlp, v: Vocabs, sentences: readonly Sentence[], gold: readonly number[][], beam: number, opt: kiln.Optimizer, system: TransitionSystem = 'arc-standard'): Promise<BeamTrainStats> {
  const L = v.rels.size, A = model.spec.outputs;
  const ids = sentences.map((s) => tokenIds(v, s));
  let store = new Int32Array(4096 * FEATURES);
  let rows = 0;
  const addRow = (st: ParseState, k: number): number => {
    if ((rows + 1) * FEATURES > store.length) { const s2 = new Int32Array(store.length * 2); s2.set(store); store = s2; }
    extractFeatures(st, ids[k].words, ids[k].tags, store, rows * FEATURES);
    return rows++;
  };
  // live beams, and the final set of paths (beam + gold) per sentence once it stops
  let live: Hypothesis<Node>[][] = sentences.map((s) => [{ state: { parent: null, action: -1, st: new ParseState(s.forms.length, undefined, system), gold: true, row: -1, w: 0 }, score: 0, length: 0, done: false }]);
  const final: (Hypothesis<Node>[] | null)[] = sentences.map(() => null);
  const goldFinal: (Hypothesis<Node> | null)[] = sentences.map(() => null);
  let earlyUpdates = 0;
  for (let step = 0; live.some((b) => b.length); step++) {
    const first = rows;
    for (let k = 0; k < live.length; k++) for (const h of live[k]) h.state.row = addRow(h.state.st, k);
    const scores = await scoreRows(model, store.subarray(first * FEATURES, rows * FEATURES), rows - first);
    live = live.map((hs, k) => {
      if (!hs.length) return hs;
      const total = 2 * sentences[k].forms.length;
      const kids: Hypothesis<Node>[] = [];
      let goldKid: Hypothesis<Node> | null = null;
      for (const h of hs) {
        const st = h.state.st, at = (h.state.row - first) * A;
        const okShift = st.canShift(), okLeft = st.canLeft(), okRight = st.canRight();
        // the best `beam` children of h, and the gold child when h is gold
        const best: number[] = [];
        for (let a = 0; a < A; a++) {
          if (!(a === SHIFT ? okShift : a <= L ? okLeft : okRight)) continue;
          if (best.length < beam) { best.push(a); best.sort((x, y) => scores[at + y] - scores[at + x]); } else if (scores[at + a] > scores[at + best[beam - 1]]) { best[beam - 1] = a; best.sort((x, y) => scores[at + y] - scores[at + x]); }
        }
        const g = h.state.gold ? gold[k][step] : -1;
        if (g >= 0 && !best.includes(g)) best.push(g);
        for (const a of best) {
          const ns = st.clone();
          ns.apply(a, L);
          const kid: Hypothesis<Node> = { state: { parent: h.state, action: a, st: ns, gold: a === g, row: -1, w: 0 }, score: h.score + scores[at + a], length: step + 1, done: step + 1 === total };
          kids.push(kid);
          if (a === g) goldKid = kid;
        }
      }
      const kept = pruneBeam(kids, beam);
      const goldIn = kept.some((h) => h.state.gold);
      if (!goldIn || step + 1 === total) {
        if (!goldIn) earlyUpdates++;
        final[k] = kept;
        goldFinal[k] = goldKid;
        return [];
      }
      return kept;
    });
  }
  // path weights -> node weights -> (row, action, weight) entries
  let lossSum = 0;
  const entries = new Map<number, Map<number, number>>();
  const addW = (n: Node, w: number) => {
    for (let p: Node | null = n; p && p.parent; p = p.parent) {
      const r = p.parent.row;
      let m = entries.get(r);
      if (!m) { m = new Map(); entries.set(r, m); }
      m.set(p.action, (m.get(p.action) ?? 0) + w);
    }
  };
  final.forEach((beamK, k) => {
    const g = goldFinal[k]!;
    const paths = beamK!.some((h) => h === g) ? beamK! : [...beamK!, g];
    const mx = Math.max(...paths.map((h) => h.score));
    const z = paths.reduce((a, h) => a + Math.exp(h.score - mx), 0);
    lossSum += mx + Math.log(z) - g.score;
    for (const h of paths) addW(h.state, Math.exp(h.score - mx) / z);
    addW(g.state, -1);
  });
  // one forward + backward over the weighted states
  const used = [...entries.keys()].filter((r) => [...entries.get(r)!.values()].some((w) => Math.abs(w) > 1e-7));
  const M = used.length;
  const x = new Int32Array(M * FEATURES), W = new Float32Array(M * A);
  const S = sentences.length;
  used.forEach((r, i) => {
    x.set(store.subarray(r * FEATURES, (r + 1) * FEATURES), i * FEATURES);
    for (const [a, w] of entries.get(r)!) W[i * A + a] = w / S;
  });
  if (M) {
    const params = model.namedParameters().map(([, p]) => p);
    kiln.tidy(() => {
      const idsT = model.idTensors(x, M);
      const Wt = kiln.tensor(W, [M, A]);
      opt.minimize(() => kiln.sum(kiln.mul(model.forward(idsT), Wt)), { varList: params });
    });
  }
  return { loss: lossSum / S, sentences: S, earlyUpdates, rows: M };
}

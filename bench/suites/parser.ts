// The parser's scorer on one beam step (docs/parser.md): 2,048 states (256 sentences x beam 8),
// Chen & Manning features (18 words, 18 tags, 12 labels; dims 48/24/24), hidden 256 ReLU, 103
// actions. kiln: the shipped path, every (position, id) pair's hidden contribution precomputed
// (FeatureMlp.precompute) so the hidden layer is embeddingBag sums. tfjs: what a tfjs user writes
// for the same network: gather the embeddings, concat, matMul, relu, matMul. Same weights, same
// ids; work counted as the dense network's flops.
import type { Suite, TF, TFTensor } from './suite.ts';

const ROWS = 2048, H = 256, A = 103;
const GROUPS = [{ name: 'word', vocab: 8590, dim: 48, features: 18 }, { name: 'tag', vocab: 20, dim: 24, features: 18 }, { name: 'label', vocab: 52, dim: 24, features: 12 }];
const IN = GROUPS.reduce((a, g) => a + g.dim * g.features, 0);
const F = GROUPS.reduce((a, g) => a + g.features, 0);

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
}
const r = lcg(99);
const rand = (n: number, scale: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
const W = {
  emb: GROUPS.map((g) => { const e = rand(g.vocab * g.dim, 1); e.fill(0, 0, g.dim); return e; }), // row 0 (NULL) is the zero padding row
  hidden: GROUPS.map((g) => rand(g.features * g.dim * H, 1 / Math.sqrt(IN))),
  bias: rand(H, 0.1), out: rand(A * H, 1 / Math.sqrt(H)), outBias: rand(A, 0.1),
};
// ids with the skew of real states: many NULLs, frequent words low ids
const IDS = new Int32Array(ROWS * F);
for (let i = 0; i < ROWS; i++) {
  let c = 0;
  for (const g of GROUPS) for (let f = 0; f < g.features; f++) IDS[i * F + c++] = r() < 0.4 ? 0 : Math.min(g.vocab - 1, Math.floor(Math.pow(r(), 3) * g.vocab));
}

let mlp: { scoreTensor(x: Int32Array, rows: number): import('../../src/index.ts').Tensor } | null = null;

async function kilnSetup(): Promise<() => void> {
  const kiln = await import('../../src/index.ts');
  const { FeatureMlp } = await import('../../src/models/parser/mlp.ts');
  const m = new FeatureMlp({ groups: GROUPS, hidden: H, outputs: A, dropout: 0, seed: 1 });
  const state: Record<string, import('../../src/index.ts').Tensor> = {};
  GROUPS.forEach((g, i) => {
    state[`emb_${g.name}.weight`] = kiln.tensor(W.emb[i], [g.vocab, g.dim]);
    state[`hidden_${g.name}`] = kiln.tensor(W.hidden[i], [g.features * g.dim, H]);
  });
  state.hidden_bias = kiln.tensor(W.bias, [H]);
  state['output.weight'] = kiln.tensor(W.out, [A, H]);
  state['output.bias'] = kiln.tensor(W.outBias, [A]);
  m.loadStateDict(state);
  kiln.dispose(Object.values(state));
  m.train(false);
  m.precompute();
  mlp = m;
  return () => { m.dispose(); mlp = null; };
}

let tfw: { emb: TFTensor[]; ids: TFTensor[]; w1: TFTensor; b1: TFTensor; w2: TFTensor; b2: TFTensor } | null = null;

async function tfSetup(tf: TF): Promise<() => void> {
  let c = 0;
  const ids = GROUPS.map((g) => {
    const part = new Int32Array(ROWS * g.features);
    for (let i = 0; i < ROWS; i++) for (let f = 0; f < g.features; f++) part[i * g.features + f] = IDS[i * F + c + f];
    c += g.features;
    return tf.tensor2d(part, [ROWS, g.features], 'int32');
  });
  const w1 = new Float32Array(IN * H);
  let at = 0;
  W.hidden.forEach((h) => { w1.set(h, at); at += h.length; });
  tfw = {
    emb: GROUPS.map((g, i) => tf.tensor2d(W.emb[i], [g.vocab, g.dim])), ids,
    w1: tf.tensor2d(w1, [IN, H]), b1: tf.tensor1d(W.bias), w2: tf.transpose(tf.tensor2d(W.out, [A, H])), b2: tf.tensor1d(W.outBias),
  };
  return () => { const t = tfw!; tf.dispose([...t.emb, ...t.ids, t.w1, t.b1, t.w2, t.b2]); tfw = null; };
}

export const parser: Suite[] = [{
  name: 'parser_scorer_beam_step_2048x48feat_h256',
  needs: ['matMul'],
  inputs: [{ shape: [1] }],
  work: { flops: 2 * ROWS * (IN * H + H * A) },
  tol: 1e-3,
  setup: { kiln: kilnSetup, tfjs: tfSetup },
  kiln: () => mlp!.scoreTensor(IDS, ROWS),
  tfjs: (tf) => {
    const t = tfw!;
    const x = tf.concat(GROUPS.map((g, i) => tf.reshape(tf.gather(t.emb[i], t.ids[i]), [ROWS, g.features * g.dim])), 1);
    return tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, t.w1), t.b1)), t.w2), t.b2);
  },
}];

// The Residual-GRU codec (docs/codec.md) decoding a 512x512 image: 4 iterations of the decoder
// (1x1 conv, 4 ConvGRUs with depthToSpace, 1x1 conv) from zero states on fixed +-1 bits
// [1, 32, 32, 32], the shipped network's shape ('small' widths) with seeded weights. kiln: the
// model's own decode (fused GRU cell kernels). tfjs: what a tfjs-core user writes for the same
// network: conv2d for both gate projections, the GRU equations in tf ops, tf.depthToSpace.
// Work: 2 * MACs of the decoder's convolutions.
import type { Suite, TF, TFTensor } from './suite.ts';
import type { Tensor } from '../../src/index.ts';

const SIZE = 512, ITER = 4;
const GRID = SIZE / 16;
type Model = import('../../src/models/codec/model.ts').CodecModel;
let model: Model | null = null;
let weights: Record<string, { data: Float32Array; shape: number[] }> | null = null;
let bits: Float32Array | null = null;
let macs = 0;

async function ensureWeights(): Promise<void> {
  if (weights) return;
  const kiln = await import('../../src/index.ts');
  const { CodecModel, specFor } = await import('../../src/models/codec/model.ts');
  await kiln.ready();
  const m = new CodecModel(specFor('small'), 7);
  weights = {};
  for (const [k, v] of Object.entries(m.stateDict())) weights[k] = { data: (await v.data()) as Float32Array, shape: [...v.shape] };
  m.dispose();
  let s = 12345;
  bits = Float32Array.from({ length: GRID * GRID * 32 }, () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s & 0x10000 ? 1 : -1; });
  // decoder MACs per iteration: each conv's output positions x kernel taps x input channels x output channels
  macs = 0;
  let hw = GRID * GRID;
  const conv = (key: string) => { const sh = weights![key].shape; macs += ITER * hw * sh[0] * sh[1] * sh[2] * sh[3]; };
  conv('dec_conv_w');
  for (let i = 1; i <= 4; i++) {
    conv(`dec_gru${i}.conv_x_weight`); conv(`dec_gru${i}.conv_h_weight`);
    if (weights[`dec_skip${i}_w`]) conv(`dec_skip${i}_w`);
    hw *= 4;
  }
  conv('out_w');
}

async function kilnSetup(): Promise<() => void> {
  await ensureWeights();
  const kiln = await import('../../src/index.ts');
  const { CodecModel, specFor } = await import('../../src/models/codec/model.ts');
  const m = new CodecModel(specFor('small'), 7);
  m.train(false);
  model = m;
  void kiln;
  return () => { m.dispose(); model = null; };
}

let tw: Record<string, TFTensor> | null = null;

async function tfSetup(tf: TF): Promise<() => void> {
  await ensureWeights();
  tw = {};
  for (const [k, v] of Object.entries(weights!)) tw[k] = tf.tensor(v.data, v.shape);
  return () => { tf.dispose(Object.values(tw!)); tw = null; };
}

function tfDecode(tf: TF): TFTensor {
  const w = tw!;
  const conv = (x: TFTensor, f: string, b?: string) => {
    const y = tf.conv2d(x as never, w[f] as never, 1, 'same');
    return b ? tf.add(y, w[b]) : y;
  };
  const hs = [GRID, GRID * 2, GRID * 4, GRID * 8].map((g, i) => tf.zeros([1, g, g, w[`dec_gru${i + 1}.conv_h_weight`].shape[2]!]));
  const code = tf.tensor4d(bits!, [1, GRID, GRID, 32]);
  let out: TFTensor | null = null;
  for (let t = 0; t < ITER; t++) {
    let x = conv(code, 'dec_conv_w', 'dec_conv_b');
    for (let i = 0; i < 4; i++) {
      const p = `dec_gru${i + 1}`;
      const C = hs[i].shape[3]!;
      const [xr, xz, xn] = tf.split(conv(x, `${p}.conv_x_weight`, `${p}.conv_x_bias`), [C, C, C], 3);
      const [hr, hz, hn] = tf.split(conv(hs[i], `${p}.conv_h_weight`, `${p}.conv_h_bias`), [C, C, C], 3);
      const r = tf.sigmoid(tf.add(xr, hr)), z = tf.sigmoid(tf.add(xz, hz));
      const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
      const h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, hs[i]));
      hs[i] = h;
      const o = w[`dec_skip${i + 1}_w`] ? tf.add(h, conv(x, `dec_skip${i + 1}_w`)) : h;
      x = tf.depthToSpace(o as never, 2);
    }
    out = tf.add(conv(x, 'out_w', 'out_b'), 0.5);
  }
  return out!;
}

function kilnDecode(kiln: typeof import('../../src/index.ts')): Tensor {
  const m = model!;
  const st = m.initState(1, SIZE, SIZE);
  const code = kiln.tensor(bits!, [1, GRID, GRID, 32]);
  let out: Tensor | null = null;
  for (let t = 0; t < ITER; t++) out = kiln.add(m.decode(code, st), 0.5);
  return out!;
}

let kilnMod: typeof import('../../src/index.ts') | null = null;

export const codec: Suite[] = [{
  name: 'codec_decode_512x512_4iter',
  needs: ['matMul'],
  inputs: [{ shape: [1] }],
  get work() { return { flops: 2 * macs }; },
  tol: 1e-3,
  sampling: { rounds: 5, maxTime: 2 },
  setup: {
    kiln: async () => { kilnMod = await import('../../src/index.ts'); return kilnSetup(); },
    tfjs: tfSetup,
  },
  kiln: () => kilnDecode(kilnMod!),
  tfjs: (tf) => tfDecode(tf),
}];

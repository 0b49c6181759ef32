// Recurrent layers over a whole sequence: LSTM and GRU, input 64, hidden 256, 50 steps, batch 1
// and 32, forward (returns hs) and forward+backward (returns d loss / d x for loss = sum(hs * r)).
// tfjs has no fused recurrent kernels: its side is the loop a tfjs-core user writes
// (tf.basicLSTMCell per step for the LSTM; the GRU equations in tf ops), with the same weights.
// Work: 2*N*T*G*H*(I+H) flops forward; forward+backward counts three times that.
import type { Suite, KilnOps, TF, TFTensor } from './suite.ts';
import type { Tensor } from '../../src/index.ts';

type RnnW = { wIh: Tensor; wHh: Tensor; bIh: Tensor; bHh: Tensor };
type RnnOps = KilnOps & {
  lstm(x: Tensor, w: RnnW): { hs: Tensor };
  gru(x: Tensor, w: RnnW): { hs: Tensor };
};

const T = 50, I = 64, H = 256;

/** PyTorch-layout weights -> tf.basicLSTMCell's kernel [I+H, 4H] (gates i, j=g, f, o) and bias. */
function tfLstm(tf: TF, x: TFTensor, wIh: TFTensor, wHh: TFTensor, bIh: TFTensor, bHh: TFTensor): TFTensor {
  const N = x.shape[1]!;
  const reorder = (m: TFTensor) => { const [i, f, g, o] = tf.split(m, 4, 0); return tf.concat([i, g, f, o], 0); };
  const kernel = tf.transpose(tf.concat([reorder(wIh), reorder(wHh)], 1)) as tfc2d;
  const bias = reorder(tf.add(bIh, bHh)) as tfc1d;
  let c = tf.zeros([N, H]) as tfc2d, h = tf.zeros([N, H]) as tfc2d;
  const hs: TFTensor[] = [];
  for (const xt of tf.unstack(x)) {
    [c, h] = tf.basicLSTMCell(tf.scalar(0), kernel, bias, xt as tfc2d, c, h) as [tfc2d, tfc2d];
    hs.push(h as TFTensor);
  }
  return tf.stack(hs);
}

function tfGru(tf: TF, x: TFTensor, wIh: TFTensor, wHh: TFTensor, bIh: TFTensor, bHh: TFTensor): TFTensor {
  const N = x.shape[1]!;
  const wi = tf.transpose(wIh), wh = tf.transpose(wHh);
  let h = tf.zeros([N, H]);
  const hs: TFTensor[] = [];
  for (const xt of tf.unstack(x)) {
    const [xr, xz, xn] = tf.split(tf.add(tf.matMul(xt, wi), bIh), 3, 1);
    const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, wh), bHh), 3, 1);
    const r = tf.sigmoid(tf.add(xr, hr)), z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
    hs.push(h);
  }
  return tf.stack(hs);
}

type tfc2d = Parameters<TF['basicLSTMCell']>[3];
type tfc1d = Parameters<TF['basicLSTMCell']>[2];

function suite(cell: 'lstm' | 'gru', N: number, backward: boolean): Suite {
  const G = cell === 'lstm' ? 4 : 3;
  const s = 1 / Math.sqrt(H);
  const fwdFlops = 2 * N * T * G * H * (I + H);
  return {
    name: `${cell}_${backward ? 'fwdbwd' : 'fwd'}_T${T}_i${I}_h${H}_b${N}`,
    needs: [cell as keyof KilnOps, 'grads', 'mul', 'sum'],
    inputs: [
      { shape: [T, N, I] }, { shape: [G * H, I], min: -s, max: s }, { shape: [G * H, H], min: -s, max: s },
      { shape: [G * H], min: -s, max: s }, { shape: [G * H], min: -s, max: s }, { shape: [T, N, H] },
    ],
    work: { flops: backward ? 3 * fwdFlops : fwdFlops },
    sampling: { rounds: 7, maxTime: 0 },
    tol: 1e-3,
    kiln: (k, [x, wIh, wHh, bIh, bHh, r]) => {
      const ops = k as RnnOps;
      const run = (xx: Tensor) => ops[cell](xx, { wIh, wHh, bIh, bHh }).hs;
      if (!backward) return run(x);
      return k.grads((xx: Tensor) => k.sum(k.mul(run(xx), r)))([x])[0];
    },
    tfjs: (tf, [x, wIh, wHh, bIh, bHh, r]) => {
      const run = (xx: TFTensor) => (cell === 'lstm' ? tfLstm : tfGru)(tf, xx, wIh, wHh, bIh, bHh);
      if (!backward) return run(x);
      return tf.grads((xx: TFTensor) => tf.sum(tf.mul(run(xx), r)))([x])[0];
    },
  };
}

export const rnn: Suite[] = [
  suite('lstm', 1, false), suite('lstm', 32, false), suite('lstm', 1, true), suite('lstm', 32, true),
  suite('gru', 1, false), suite('gru', 32, false), suite('gru', 1, true), suite('gru', 32, true),
];

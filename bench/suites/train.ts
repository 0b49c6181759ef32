// One SGD training step of an MLP 784-512-512-10 (relu) on a batch of 128 with softmax
// cross-entropy: forward, backward for all six parameters, and the update w - lr * g. Both sides
// return the updated output-layer weights, which the run compares.
import type { Suite } from './suite.ts';

const B = 128;
const LAYERS = [784, 512, 512, 10];
const LR = 0.1;

const params = LAYERS.slice(1).flatMap((n, i) => [
  { shape: [LAYERS[i], n], min: -1 / Math.sqrt(LAYERS[i]), max: 1 / Math.sqrt(LAYERS[i]) },
  { shape: [n], min: -0.01, max: 0.01 },
]);

// forward flops 2*B*sum(in*out); backward twice that (dX and dW per layer)
const FLOPS = 3 * 2 * B * LAYERS.slice(1).reduce((s, n, i) => s + LAYERS[i] * n, 0);

export const train: Suite[] = [
  {
    name: 'train_mlp_784_512_512_10_b128',
    needs: ['grads', 'softmaxCrossEntropy', 'matMul', 'relu', 'add', 'sub', 'mul', 'softmax'],
    inputs: [{ shape: [B, 784], min: 0, max: 1 }, { shape: [B, 10], min: -3, max: 3 }, ...params],
    work: { flops: FLOPS },
    sampling: { rounds: 9, maxTime: 3 },
    tol: 1e-3,
    kiln: (k, [x, labelLogits, ...ws]) => {
      const labels = k.softmax(labelLogits); // soft labels: same values on both sides
      const loss = (...p: typeof ws) => {
        let h = x;
        for (let l = 0; l < 3; l++) {
          const z = k.add(k.matMul(h, p[2 * l]), p[2 * l + 1]);
          h = l < 2 ? k.relu(z) : z;
        }
        return k.softmaxCrossEntropy(labels, h);
      };
      const g = k.grads(loss)(ws);
      const updated = ws.map((w, i) => k.sub(w, k.mul(g[i], LR)));
      return updated[4];
    },
    tfjs: (tf, [x, labelLogits, ...ws]) => {
      const labels = tf.softmax(labelLogits);
      const loss = (...p: typeof ws) => {
        let h = x;
        for (let l = 0; l < 3; l++) {
          const z = tf.add(tf.matMul(h, p[2 * l]), p[2 * l + 1]);
          h = l < 2 ? tf.relu(z) : z;
        }
        return tf.losses.softmaxCrossEntropy(labels, h) as typeof x;
      };
      const g = tf.grads(loss)(ws);
      const updated = ws.map((w, i) => tf.sub(w, tf.mul(g[i], LR)));
      return updated[4];
    },
  },
];

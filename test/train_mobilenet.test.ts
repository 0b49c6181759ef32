// A small MobileNetV1 (alpha 0.25, 32x32 input, 4 classes) in its training form (batch norm with
// batch statistics, src/models/mobilenet_v1.ts) learns a synthetic image set with Adam: the loss
// goes down clearly, train accuracy is well above chance, the moving statistics move, and the
// number of live tensors stays flat from step to step.
import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, settle } from './helpers.ts';
import { mobilenetV1 } from '../src/models/index.ts';

const t = suite('train_mobilenet');

const R = 32, CLASSES = 4, BATCH = 16, STEPS = 40;

/** Deterministic uniform [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let v = Math.imul(s ^ (s >>> 15), s | 1);
    v ^= v + Math.imul(v ^ (v >>> 7), v | 61);
    return ((v ^ (v >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One 32x32 RGB image of class k, values in about [-1, 1]: 0 horizontal stripes, 1 vertical
 * stripes, 2 a checkerboard, 3 a bright square on a dark field. Period, phase, colour, position
 * and noise are random; a random horizontal flip is the augmentation (it keeps every class).
 */
function image(k: number, r: () => number): Float32Array {
  const img = new Float32Array(R * R * 3);
  const period = 3 + Math.floor(r() * 4), phase = Math.floor(r() * period);
  const col = [0.4 + 0.6 * r(), 0.4 + 0.6 * r(), 0.4 + 0.6 * r()];
  const side = 8 + Math.floor(r() * 10), top = Math.floor(r() * (R - side)), left = Math.floor(r() * (R - side));
  const flip = r() < 0.5;
  for (let y = 0; y < R; y++) {
    for (let x0 = 0; x0 < R; x0++) {
      const x = flip ? R - 1 - x0 : x0;
      const band = (v: number) => Math.floor((v + phase) / period) % 2;
      const on = k === 0 ? band(y) : k === 1 ? band(x) : k === 2 ? band(y) ^ band(x) : Number(y >= top && y < top + side && x >= left && x < left + side);
      for (let c = 0; c < 3; c++) img[(y * R + x0) * 3 + c] = (on ? col[c] : -col[c]) * 0.8 + (r() - 0.5) * 0.4;
    }
  }
  return img;
}

function batch(r: () => number): { x: Float32Array; labels: Int32Array } {
  const x = new Float32Array(BATCH * R * R * 3);
  const labels = new Int32Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    labels[i] = i % CLASSES; // balanced batches
    x.set(image(labels[i], r), i * R * R * 3);
  }
  return { x, labels };
}

t('alpha 0.25, 32x32, 4 classes: loss falls, accuracy above chance, memory flat', async () => {
  const model = mobilenetV1({ alpha: 0.25, resolution: R, classes: CLASSES, form: 'training', seed: 7 });
  const opt = kiln.adam(0.02);
  const r = rng(42);
  const losses: number[] = [];
  const counts: number[] = [];
  let correct = 0, seen = 0;
  const mm = model.params['MobilenetV1/Conv2d_13_pointwise/BatchNorm/moving_mean'];
  const mm0 = Array.from(await mm.data());
  await settle();
  const t0 = performance.now();
  try {
    for (let step = 0; step < STEPS; step++) {
      const { x: xv, labels: lv } = batch(r);
      const x = kiln.tensor(xv, [BATCH, R, R, 3]);
      const labels = kiln.tensor(lv, [BATCH], 'int32');
      let logits: kiln.Tensor | null = null;
      const loss = opt.minimize(() => {
        const out = model.predict(x, { training: true });
        logits = kiln.keep(out);
        return kiln.softmaxCrossEntropy(labels, out);
      }, { returnCost: true })!;
      losses.push((await loss.data())[0]);
      if (step >= STEPS - 8) {
        const am = kiln.argMax(logits!, 1);
        const pred = await am.data();
        am.dispose();
        for (let i = 0; i < BATCH; i++) correct += Number(pred[i] === lv[i]);
        seen += BATCH;
      }
      kiln.dispose([x, labels, loss, logits!]);
      counts.push(kiln.memory().numTensors);
    }
  } finally {
    const secs = (performance.now() - t0) / 1e3;
    const avg = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
    console.log(`  train_mobilenet: ${STEPS} steps of ${BATCH} in ${secs.toFixed(1)} s; loss ${avg(losses.slice(0, 4)).toFixed(3)} -> ${avg(losses.slice(-8)).toFixed(3)}; accuracy (last 8 steps) ${seen ? (correct / seen).toFixed(2) : '-'}`);
  }
  const avg = (a: number[]) => a.reduce((p, q) => p + q, 0) / a.length;
  const first = avg(losses.slice(0, 4)), last = avg(losses.slice(-8));
  assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
  assert.ok(first > 0.8 * Math.log(CLASSES), `the first losses are about chance (ln 4 = 1.39): ${first}`);
  assert.ok(last < 0.6 * first, `final average loss ${last.toFixed(3)} < 0.6 x initial ${first.toFixed(3)}`);
  assert.ok(correct / seen > 0.6, `train accuracy ${(correct / seen).toFixed(2)} > 0.6 (chance 0.25)`);
  // the moving statistics of batch norm were updated in place
  const mm1 = Array.from(await mm.data());
  assert.ok(mm1.some((v, i) => Math.abs(v - mm0[i]) > 1e-4), 'moving_mean updated');
  // memory flat: after the first step (which makes the optimizer's slots) the count does not grow
  // (an upper bound: the GC safety net may reclaim other tests' tensors meanwhile)
  assert.ok(Math.max(...counts.slice(1)) <= counts[1], `live tensors per step: ${counts}`);
  // inference with the moving statistics gives finite logits of the right shape
  const { x: xv } = batch(r);
  const y = kiln.tidy(() => model.predict(kiln.tensor(xv, [BATCH, R, R, 3])));
  assert.equal([...y.shape], [BATCH, CLASSES]);
  assert.ok(Array.from(await y.data()).every(Number.isFinite));
  y.dispose();
  opt.dispose?.();
  model.dispose();
});

t('training form: parameters, errors', () => {
  const m = mobilenetV1({ alpha: 0.25, resolution: 32, classes: 3, form: 'training' });
  try {
    const keys = Object.keys(m.params);
    assert.ok(keys.includes('MobilenetV1/Conv2d_0/BatchNorm/gamma') && keys.includes('MobilenetV1/Conv2d_13_depthwise/BatchNorm/moving_variance'));
    assert.not.ok(keys.includes('MobilenetV1/Conv2d_0/biases'), 'no conv biases in the training form');
    assert.ok(keys.includes('MobilenetV1/Logits/Conv2d_1c_1x1/biases'));
    assert.is(m.params['MobilenetV1/Conv2d_0/BatchNorm/moving_mean'].trainable, false);
    assert.is(m.params['MobilenetV1/Conv2d_0/BatchNorm/beta'].trainable, true);
    assert.is(keys.length, 27 * 5 + 2);
  } finally {
    m.dispose();
  }
  const inf = mobilenetV1({ alpha: 0.25, resolution: 32, classes: 3 });
  try {
    assert.throws(() => inf.predict(kiln.zeros([1, 32, 32, 3]), { training: true }), /needs the training form/);
  } finally {
    inf.dispose();
  }
  assert.throws(() => mobilenetV1({ form: 'train' as 'training' }), /form must be 'inference' or 'training'/);
});

t.run();

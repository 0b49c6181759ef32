// Normalisation ops (NHWC): forward against the float64 references of kernels/instance_norm.ts and
// kernels/batchnorm.ts, gradients by finite differences (test/gradcheck.ts), running statistics,
// errors. The PyTorch goldens (test/golden.test.ts) cover the same ops at other shapes.
import './setup.ts';
import { suite } from 'uvu';
import { observeTensors } from '../src/tensor.ts';
import { kiln, assert, expectClose, randArray } from './helpers.ts';
import { checkGrad } from './gradcheck.ts';
import { normRef, type NormAct } from '../kernels/instance_norm.ts';
import { batchNormRef } from '../kernels/batchnorm.ts';

const t = suite('norm');
const TOL = { rtol: 1e-3, atol: 1e-4 };

/** gamma rows per sample from ids or weights over tables [S, C] (float64). */
function mix(table: Float64Array, S: number, C: number, N: number, ids: Int32Array | null, w: Float64Array | null): Float64Array {
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      if (ids) out[n * C + c] = table[ids[n] * C + c];
      else { let s = 0; for (let k = 0; k < S; k++) s += w![n * S + k] * table[k * C + c]; out[n * C + c] = s; }
    }
  }
  return out;
}

t('batchNorm forward: [C] parameters, optional offset/scale, fused activations, awkward sizes', async () => {
  for (const [shape, act] of [[[2, 3, 5, 7], 'none'], [[2, 3, 5, 8], 'relu6'], [[17, 3], 'relu'], [[3, 4], 'none'], [[1, 1, 1, 129], 'relu6'], [[5], 'none']] as [number[], NormAct][]) {
    const C = shape[shape.length - 1];
    const n = shape.reduce((a, b) => a * b, 1);
    const xv = randArray(n, 1, -3, 3), m = randArray(C, 2), v = randArray(C, 3, 0.1, 2), o = randArray(C, 4), s = randArray(C, 5, 0.5, 3);
    for (const [useO, useS] of [[true, true], [false, false], [true, false], [false, true]]) {
      const y = kiln.tidy(() => kiln.batchNorm(kiln.tensor(xv, shape), kiln.tensor(m), kiln.tensor(v),
        useO ? kiln.tensor(o) : undefined, useS ? kiln.tensor(s) : undefined, 1e-3, act));
      expectClose(await y.data(), batchNormRef(xv, C, m, v, useO ? o : null, useS ? s : null, 1e-3, act), { rtol: 1e-5, atol: 1e-5 }, `${shape} ${act} ${useO}${useS}`);
      y.dispose();
    }
  }
});

t('batchNorm gradients w.r.t. x, mean, variance, offset, scale (also through relu6)', async () => {
  for (const act of ['none', 'relu6'] as NormAct[]) {
    await checkGrad(`batchNorm ${act}`, (x, m, v, o, s) => kiln.batchNorm(x, m, v, o, s, 1e-3, act),
      (x, m, v, o, s) => batchNormRef(x, 3, m, v, o, s, 1e-3, act), [[2, 2, 3, 3], [3], [3], [3], [3]],
      { lo: [-3, -1, 0.2, -1, 0.5], hi: [3, 1, 2, 5, 2], ...TOL, kinks: act === 'relu6' ? [] : undefined });
  }
  await checkGrad('batchNorm vec4 relu', (x, m, v, o, s) => kiln.batchNorm(x, m, v, o, s, 1e-5, 'relu'),
    (x, m, v, o, s) => batchNormRef(x, 8, m, v, o, s, 1e-5, 'relu'), [[2, 3, 8], [8], [8], [8], [8]],
    { lo: [-3, -1, 0.2, -1, 0.5], hi: [3, 1, 2, 1, 2], ...TOL });
  // without offset and scale
  await checkGrad('batchNorm bare', (x, m, v) => kiln.batchNorm(x, m, v), (x, m, v) => batchNormRef(x, 4, m, v, null, null, 1e-3),
    [[3, 4], [4], [4]], { lo: [-2, -1, 0.2], hi: [2, 1, 2], ...TOL });
});

t('instanceNorm forward matches the reference (biased variance, per (n, c) over H, W)', async () => {
  for (const [N, H, W, C] of [[2, 5, 4, 3], [1, 1, 17, 1], [3, 8, 8, 16]]) {
    const xv = randArray(N * H * W * C, 7, -2, 4), g = randArray(C, 8, 0.5, 2), b = randArray(C, 9);
    for (const act of ['none', 'relu', 'relu6'] as NormAct[]) {
      const y = kiln.tidy(() => kiln.instanceNorm(kiln.tensor(xv, [N, H, W, C]), kiln.tensor(g), kiln.tensor(b), 1e-5, act));
      expectClose(await y.data(), normRef(xv, { g: N, l: H * W, c: C, perGroup: false, eps: 1e-5, act }, g, b), TOL, `[${N},${H},${W},${C}] ${act}`);
      y.dispose();
    }
    const bare = kiln.tidy(() => kiln.instanceNorm(kiln.tensor(xv, [N, H, W, C])));
    expectClose(await bare.data(), normRef(xv, { g: N, l: H * W, c: C, perGroup: false, eps: 1e-5, act: 'none' }), TOL, 'no affine');
    bare.dispose();
  }
});

t('instanceNorm gradients w.r.t. x, gamma, beta (and with a fused relu)', async () => {
  const d = (act: NormAct) => ({ g: 2, l: 6, c: 3, perGroup: false, eps: 1e-5, act });
  await checkGrad('instanceNorm', (x, g, b) => kiln.instanceNorm(x, g, b), (x, g, b) => normRef(x, d('none'), g, b), [[2, 2, 3, 3], [3], [3]], TOL);
  await checkGrad('instanceNorm relu', (x, g, b) => kiln.instanceNorm(x, g, b, 1e-5, 'relu'), (x, g, b) => normRef(x, d('relu'), g, b),
    [[2, 2, 3, 3], [3], [3]], { ...TOL, lo: [-1, 0.5, -0.2], hi: [1, 1.5, 0.2] });
  await checkGrad('instanceNorm no affine eps1e-3', (x) => kiln.instanceNorm(x, null, null, 1e-3), (x) => normRef(x, { g: 1, l: 5, c: 2, perGroup: false, eps: 1e-3, act: 'none' }),
    [[1, 5, 1, 2]], TOL);
});

t('conditionalInstanceNorm: style ids and style weights, forward and gradients (tables, weights)', async () => {
  const N = 3, H = 2, W = 3, C = 2, S = 4;
  const ids = Int32Array.from([2, 0, 2]);
  const ref = (x: Float64Array, gt: Float64Array, bt: Float64Array, w: Float64Array | null) =>
    normRef(x, { g: N, l: H * W, c: C, perGroup: true, eps: 1e-5, act: 'none' }, mix(gt, S, C, N, w ? null : ids, w), mix(bt, S, C, N, w ? null : ids, w));
  const idsT = kiln.tensor(ids, [N], 'int32');
  try {
    await checkGrad('cin ids', (x, g, b) => kiln.conditionalInstanceNorm(x, g, b, { styleIds: idsT }), (x, g, b) => ref(x, g, b, null),
      [[N, H, W, C], [S, C], [S, C]], TOL);
  } finally {
    idsT.dispose();
  }
  await checkGrad('cin weights', (x, g, b, w) => kiln.conditionalInstanceNorm(x, g, b, { styleWeights: w }), (x, g, b, w) => ref(x, g, b, w),
    [[N, H, W, C], [S, C], [S, C], [N, S]], { ...TOL, lo: [-1, 0.5, -1, 0], hi: [1, 2, 1, 1] });
});

t('batchNormTrain: batch statistics, gradient through them, running stats updated as torch', async () => {
  const shape = [3, 2, 2, 3];
  const C = 3, L = 12;
  await checkGrad('batchNormTrain', (x, g, b) => kiln.batchNormTrain(x, { gamma: g, beta: b }),
    (x, g, b) => normRef(x, { g: 1, l: L, c: C, perGroup: false, eps: 1e-5, act: 'none' }, g, b), [shape, [C], [C]], TOL);
  const xv = randArray(L * C, 11, -2, 3);
  const rm = kiln.tidy(() => kiln.variable(kiln.tensor([0.5, -1, 0])));
  const rv = kiln.tidy(() => kiln.variable(kiln.tensor([1, 2, 3])));
  const y = kiln.tidy(() => kiln.batchNormTrain(kiln.tensor(xv, shape), { runningMean: rm, runningVar: rv, momentum: 0.25, eps: 1e-3 }));
  expectClose(await y.data(), normRef(xv, { g: 1, l: L, c: C, perGroup: false, eps: 1e-3, act: 'none' }), TOL, 'y');
  const mean = [0, 0, 0], uv = [0, 0, 0];
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < L; k++) mean[c] += xv[k * C + c] / L;
    for (let k = 0; k < L; k++) uv[c] += (xv[k * C + c] - mean[c]) ** 2 / (L - 1);
  }
  expectClose(await rm.data(), [0.5, -1, 0].map((v, c) => 0.75 * v + 0.25 * mean[c]), { rtol: 1e-5, atol: 1e-6 }, 'running mean');
  expectClose(await rv.data(), [1, 2, 3].map((v, c) => 0.75 * v + 0.25 * uv[c]), { rtol: 1e-5, atol: 1e-6 }, 'running var (unbiased)');
  // outside tidy too: the running-stat update leaves nothing behind
  const xt = kiln.tensor(xv, shape);
  const { leaked } = await observeTensors(() => { kiln.batchNormTrain(xt, { runningMean: rm, runningVar: rv }).dispose(); });
  assert.is(leaked.length, 0, 'batchNormTrain leaks no tensors');
  kiln.dispose([y, rm, rv, xt]);
});

t('the statistics kernel handles long rows and many channels (thread per (n, c))', async () => {
  const N = 2, H = 64, W = 48, C = 5;
  const xv = randArray(N * H * W * C, 12, 10, 12); // a large mean: the two-pass variance stays exact
  const y = kiln.tidy(() => kiln.instanceNorm(kiln.tensor(xv, [N, H, W, C])));
  expectClose(await y.data(), normRef(xv, { g: N, l: H * W, c: C, perGroup: false, eps: 1e-5, act: 'none' }), { rtol: 1e-3, atol: 1e-3 });
  y.dispose();
});

/** Analytic float64 backward of normRef (no activation): dx, dgamma [C], dbeta [C] for gamma/beta [C]. */
function normGradRef(x: Float32Array, dy: Float32Array, G: number, L: number, C: number, gamma: Float32Array, eps: number) {
  const dx = new Float64Array(x.length), dg = new Float64Array(C), db = new Float64Array(C);
  for (let g = 0; g < G; g++) {
    for (let c = 0; c < C; c++) {
      const at = (k: number) => (g * L + k) * C + c;
      let m = 0; for (let k = 0; k < L; k++) m += x[at(k)] / L;
      let v = 0; for (let k = 0; k < L; k++) v += (x[at(k)] - m) ** 2 / L;
      const r = 1 / Math.sqrt(v + eps);
      let s1 = 0, s2 = 0;
      for (let k = 0; k < L; k++) { s1 += dy[at(k)]; s2 += dy[at(k)] * (x[at(k)] - m) * r; }
      dg[c] += s2; db[c] += s1;
      for (let k = 0; k < L; k++) dx[at(k)] = gamma[c] * r * (dy[at(k)] - s1 / L - (x[at(k)] - m) * r * s2 / L);
    }
  }
  return { dx, dg, db };
}

t('instanceNorm / batchNormTrain gradients with chunked sums (long rows), vec4 and scalar channels', async () => {
  for (const [N, H, W, C, train] of [[2, 20, 15, 4, false], [1, 33, 31, 3, false], [4, 10, 13, 8, true], [1, 64, 64, 1, false]] as [number, number, number, number, boolean][]) {
    const n = N * H * W * C;
    const xv = randArray(n, 21, -2, 3), dyv = randArray(n, 22), gv = randArray(C, 23, 0.5, 2), bv = randArray(C, 24);
    const x = kiln.tensor(xv, [N, H, W, C]), g = kiln.tensor(gv), b = kiln.tensor(bv), dy = kiln.tensor(dyv, [N, H, W, C]);
    const f = (x: kiln.Tensor, g: kiln.Tensor, b: kiln.Tensor) => (train ? kiln.batchNormTrain(x, { gamma: g, beta: b, eps: 1e-5 }) : kiln.instanceNorm(x, g, b, 1e-5));
    const gs = kiln.grads(f)([x, g, b], dy);
    const want = train ? normGradRef(xv, dyv, 1, N * H * W, C, gv, 1e-5) : normGradRef(xv, dyv, N, H * W, C, gv, 1e-5);
    const what = `[${N},${H},${W},${C}]${train ? ' train' : ''}`;
    expectClose(await gs[0].data(), want.dx, { rtol: 1e-3, atol: 1e-4 }, `${what} dx`);
    expectClose(await gs[1].data(), want.dg, { rtol: 1e-3, atol: 1e-3 }, `${what} dgamma`);
    expectClose(await gs[2].data(), want.db, { rtol: 1e-3, atol: 1e-3 }, `${what} dbeta`);
    kiln.dispose([x, g, b, dy, gs]);
  }
});

t('errors name the op and the shapes', () => kiln.tidy(() => {
  const x = kiln.zeros([1, 2, 2, 3]);
  const c3 = kiln.ones([3]);
  const c4 = kiln.ones([4]);
  try {
    assert.throws(() => kiln.batchNorm(x, c4, c3), /kiln\.batchNorm: 'mean' has shape \[4\]; expected \[3\]/);
    assert.throws(() => kiln.instanceNorm(kiln.zeros([2, 3])), /kiln\.instanceNorm: x must be NHWC \(rank 4\), got shape \[2,3\]/);
    assert.throws(() => kiln.instanceNorm(x, c3, c3, 1e-5, 'gelu' as NormAct), /activation must be 'relu', 'relu6' or 'none'/);
    assert.throws(() => kiln.conditionalInstanceNorm(x, kiln.ones([2, 3]), kiln.ones([2, 3]), {}), /exactly one of \{ styleIds \}/);
    assert.throws(() => kiln.conditionalInstanceNorm(x, kiln.ones([2, 4]), kiln.ones([2, 4]), { styleIds: kiln.tensor([0], [1], 'int32') }), /'gammaTable' has shape \[2,4\]; expected \[S, 3\]/);
    assert.throws(() => kiln.conditionalInstanceNorm(x, kiln.ones([2, 3]), kiln.ones([2, 3]), { styleWeights: kiln.ones([1, 3]) }), /styleWeights has shape \[1,3\]; expected \[1, 2\]/);
    assert.throws(() => kiln.batchNormTrain(x, { momentum: 2 }), /momentum must be in \[0, 1\]/);
  } finally {
    kiln.dispose([x, c3, c4]);
  }
}));

t.run();

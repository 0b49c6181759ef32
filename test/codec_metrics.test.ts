// Codec image metrics (src/models/codec/metrics.ts): msSsim, ssim and psnr on the GPU against the
// float64 references on awkward sizes, closed forms worked out here in float64 (constant images,
// a checkerboard against a flat image, a constant offset), monotonicity in noise, and the errors.
// Tolerances (absolute) against float64, from the errors seen on these and a dozen other random,
// smooth and noisy images: MS-SSIM 5e-6 (seen <= 4e-7), SSIM 1e-6 (<= 1.5e-7), PSNR 2e-5 dB
// (<= 3.3e-6). Flat images are the worst case (all rounding lands on C2 = 9e-4 with no variance to
// dilute it): 1e-4 for MS-SSIM there (seen 2.1e-5 for 0.9 against 0.6).
import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, expectClose, expectThrows } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';
import { msSsim, ssim, psnr, msSsimRef, ssimRef, psnrRef, MS_SSIM_WEIGHTS } from '../src/models/codec/metrics.ts';

const t = suite('codec metrics');

const MS_TOL = { rtol: 0, atol: 5e-6 };
const SSIM_TOL = { rtol: 0, atol: 1e-6 };
const FLAT_TOL = { rtol: 0, atol: 1e-4 };
const PSNR_TOL = { rtol: 0, atol: 2e-5 };

type Shape4 = [number, number, number, number];

/** An image batch in [0, 1]: i.i.d. uniform pixels, or a smooth pattern with a little texture. */
function image(shape: Shape4, seed: number, smooth: boolean): Float32Array {
  const [N, H, W, C] = shape;
  const r = kiln.rng(seed);
  const a = new Float32Array(N * H * W * C);
  for (let i = 0; i < a.length; i++) {
    const p = Math.floor(i / C), h = Math.floor(p / W) % H, w = p % W;
    a[i] = smooth ? 0.5 + 0.3 * Math.sin(h / 7 + i % C) * Math.cos(w / 11 + seed) + 0.15 * r() : r();
  }
  return a;
}

/** a plus uniform noise of half-width `noise` (one level per image if an array), clipped to [0, 1]. */
function noisy(a: Float32Array, N: number, noise: number | number[], seed: number): Float32Array {
  const r = kiln.rng(seed);
  const per = a.length / N;
  return a.map((v, i) => {
    const s = Array.isArray(noise) ? noise[Math.floor(i / per)] : noise;
    return Math.min(1, Math.max(0, v + s * (2 * r() - 1)));
  });
}

async function values(x: kiln.Tensor): Promise<Float32Array> {
  const d = await x.data();
  x.dispose();
  return d as Float32Array;
}

async function gpu(f: (a: kiln.Tensor, b: kiln.Tensor) => kiln.Tensor, a: Float32Array, b: Float32Array, shape: Shape4): Promise<Float32Array> {
  const ta = kiln.tensor(a, shape), tb = kiln.tensor(b, shape);
  try {
    const y = f(ta, tb);
    assert.equal([...y.shape], [shape[0]]);
    return await values(y);
  } finally {
    kiln.dispose([ta, tb]);
  }
}

// invert: b = 1 - a in the first columns, where the contrast-structure term is negative (TensorFlow
// applies relu to the per-channel means, not to each position)
const CASES: { shape: Shape4; smooth: boolean; noise: number; invert: number }[] = [
  { shape: [2, 161, 173, 3], smooth: false, noise: 0.3, invert: 30 },   // the minimum side; odd sides at every scale
  { shape: [2, 200, 167, 1], smooth: true, noise: 0.2, invert: 0 },
];

for (const c of CASES) {
  t(`msSsim, ssim, psnr match the float64 references on ${JSON.stringify(c.shape)}`, async () => {
    const a = image(c.shape, 11, c.smooth), b = noisy(a, c.shape[0], c.noise, 12);
    const [W, C] = [c.shape[2], c.shape[3]];
    for (let i = 0; i < a.length; i++) if (Math.floor(i / C) % W < c.invert) b[i] = 1 - a[i];
    const args = [a, b, ...c.shape] as const;
    const ms = msSsimRef(...args);
    for (const v of ms) assert.ok(v > 0.3 && v < 0.99, `MS-SSIM ${v} should be well inside (0, 1) to be a sharp test`);
    expectClose(await gpu(msSsim, a, b, c.shape), ms, MS_TOL, 'msSsim');
    expectClose(await gpu(ssim, a, b, c.shape), ssimRef(...args), SSIM_TOL, 'ssim');
    expectClose(await gpu(psnr, a, b, c.shape), psnrRef(...args), PSNR_TOL, 'psnr');
  });
}

t('options: 3 power factors on a 41x50 image (the smallest for 3 scales), other window and constants', async () => {
  const shape: Shape4 = [1, 41, 50, 2];
  const a = image(shape, 5, true), b = noisy(a, 1, 0.1, 6);
  const opts = { powerFactors: [0.2, 0.3, 0.5], filterSigma: 1.2, k1: 0.02, k2: 0.05 };
  expectClose(await gpu((x, y) => msSsim(x, y, opts), a, b, shape), msSsimRef(a, b, ...shape, opts), MS_TOL, 'msSsim');
  const s = { filterSize: 7, filterSigma: 1 };
  expectClose(await gpu((x, y) => ssim(x, y, s), a, b, shape), ssimRef(a, b, ...shape, s), SSIM_TOL, 'ssim');
});

t('maxVal: the metrics are unchanged when images and maxVal are scaled together', async () => {
  const shape: Shape4 = [1, 161, 165, 1];
  const a = image(shape, 7, true), b = noisy(a, 1, 0.1, 8);
  const base = await gpu((x, y) => msSsim(x, y), a, b, shape);
  const scaled = await gpu((x, y) => msSsim(x, y, { maxVal: 255 }), a.map((v) => v * 255), b.map((v) => v * 255), shape);
  expectClose(scaled, base, MS_TOL, 'msSsim maxVal 255');
  const p = await gpu((x, y) => psnr(x, y, 255), a.map((v) => v * 255), b.map((v) => v * 255), shape);
  expectClose(p, psnrRef(a, b, ...shape), PSNR_TOL, 'psnr maxVal 255');
});

t('identical images: MS-SSIM and SSIM are 1, PSNR is +Infinity', async () => {
  const shape: Shape4 = [2, 163, 170, 2];
  const a = image(shape, 3, true);
  for (const v of await gpu(msSsim, a, a, shape)) assert.ok(Math.abs(v - 1) <= 1e-6, `msSsim ${v}`);
  for (const v of await gpu(ssim, a, a, shape)) assert.ok(Math.abs(v - 1) <= 1e-6, `ssim ${v}`);
  assert.equal([...await gpu(psnr, a, a, shape)], [Infinity, Infinity]);
  const one = a.subarray(0, a.length / 2);
  assert.equal([...msSsimRef(one, one, 1, 163, 170, 2)], [1]);
});

t('constant images: MS-SSIM = mean over channels of luminance^0.1333 (every cs term is 1)', async () => {
  // a = p[c], b = q[c] in channel c; odd sides keep the images constant through the padding
  const shape: Shape4 = [1, 165, 171, 2];
  const p = [0.5, 0.9], q = [0.25, 0.6];
  const a = new Float32Array(165 * 171 * 2).map((_, i) => p[i % 2]);
  const b = new Float32Array(165 * 171 * 2).map((_, i) => q[i % 2]);
  const c1 = 0.01 ** 2;
  const lum = p.map((pc, c) => {
    const x = Math.fround(pc), y = Math.fround(q[c]);
    return ((2 * x * y + c1) / (x * x + y * y + c1)) ** 0.1333;
  });
  // p = 0.5, q = 0.25: ((0.25 + 1e-4) / (0.3125 + 1e-4))^0.1333
  assert.ok(Math.abs(lum[0] - 0.97070) < 1e-5, `closed form ${lum[0]}`);
  const want = [(lum[0] + lum[1]) / 2];
  expectClose(msSsimRef(a, b, ...shape), want, { rtol: 1e-10, atol: 0 }, 'msSsimRef');
  expectClose(await gpu(msSsim, a, b, shape), want, FLAT_TOL, 'msSsim');
});

t('flat image against a checkerboard: MS-SSIM and SSIM from the Gaussian window alone', async () => {
  // x = 0.5, y = 0.5 + d (-1)^(i+j). The window is g(u) g(v) with g the normalised 1-D Gaussian, so
  // the windowed mean of y is 0.5 +- d s^2 with s = sum_u g(u) (-1)^u, and its variance is
  // d^2 (1 - s^4) at every position; the covariance is 0. At scale 1 both images are flat 0.5 (even
  // sides), so MS-SSIM = cs0^0.0448 with cs0 = C2 / (d^2 (1 - s^4) + C2).
  const [H, W, d] = [162, 176, 0.25];
  const shape: Shape4 = [1, H, W, 1];
  const a = new Float32Array(H * W).fill(0.5);
  const b = new Float32Array(H * W);
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) b[i * W + j] = 0.5 + ((i + j) % 2 ? -d : d);
  const g = Array.from({ length: 11 }, (_, u) => Math.exp(-((u - 5) ** 2) / (2 * 1.5 ** 2)));
  const gs = g.reduce((x, y) => x + y, 0);
  const s = g.reduce((acc, v, u) => acc + (u % 2 ? -v : v), 0) / gs;
  const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
  const cs0 = c2 / (d * d * (1 - s ** 4) + c2);
  const wantMs = cs0 ** 0.0448;
  // valid positions: 152 x 166, half of them with each sign of the mean's deviation
  const lum = (m: number) => (2 * 0.5 * m + c1) / (0.25 + m * m + c1);
  const wantSsim = cs0 * (lum(0.5 + d * s * s) + lum(0.5 - d * s * s)) / 2;
  assert.ok(Math.abs(wantMs - 0.82645) < 1e-5, `closed form ${wantMs}`);
  expectClose(msSsimRef(a, b, ...shape), [wantMs], { rtol: 1e-10, atol: 0 }, 'msSsimRef');
  expectClose(ssimRef(a, b, ...shape), [wantSsim], { rtol: 1e-10, atol: 0 }, 'ssimRef');
  expectClose(await gpu(msSsim, a, b, shape), [wantMs], FLAT_TOL, 'msSsim');
  expectClose(await gpu(ssim, a, b, shape), [wantSsim], SSIM_TOL, 'ssim');
});

t('an inverted image: relu zeroes the negative contrast-structure, so MS-SSIM is 0; SSIM stays negative', async () => {
  const shape: Shape4 = [1, 161, 164, 1];
  const a = image(shape, 13, false), b = a.map((v) => 1 - v);
  assert.equal([...msSsimRef(a, b, ...shape)], [0]);
  assert.equal([...await gpu(msSsim, a, b, shape)], [0]);
  const s = ssimRef(a, b, ...shape);
  assert.ok(s[0] < -0.5, `ssim ${s[0]}`);
  expectClose(await gpu(ssim, a, b, shape), s, SSIM_TOL, 'ssim');
});

t('MS-SSIM and PSNR fall strictly as the noise grows (one batch, one noise level per image)', async () => {
  const levels = [0.01, 0.03, 0.06, 0.1, 0.2, 0.4];
  const shape: Shape4 = [levels.length, 161, 161, 1];
  const one = image([1, 161, 161, 1], 9, true);
  const a = new Float32Array(one.length * levels.length);
  for (let n = 0; n < levels.length; n++) a.set(one, n * one.length);
  const b = noisy(a, levels.length, levels, 10);
  const ms = await gpu(msSsim, a, b, shape), ps = await gpu(psnr, a, b, shape);
  for (let n = 1; n < levels.length; n++) {
    assert.ok(ms[n] < ms[n - 1] - 1e-3, `MS-SSIM ${ms[n]} at noise ${levels[n]} should be below ${ms[n - 1]}`);
    assert.ok(ps[n] < ps[n - 1] - 1, `PSNR ${ps[n]} at noise ${levels[n]} should be below ${ps[n - 1]}`);
  }
  assert.ok(ms[0] > 0.99 && ms[levels.length - 1] < 0.8, `range ${ms[0]} .. ${ms[levels.length - 1]}`);
});

t('PSNR of a constant offset is 20 log10(maxVal / offset), per image', async () => {
  // multiples of 1/256 and offsets of 1/16, 1/64 are exact in float32
  const shape: Shape4 = [2, 37, 29, 3];
  const per = 37 * 29 * 3;
  const r = kiln.rng(4);
  const a = new Float32Array(2 * per).map(() => Math.floor(r() * 200) / 256);
  const b = a.map((v, i) => v + (i < per ? 1 / 16 : -1 / 64));
  const want = [20 * Math.log10(16), 20 * Math.log10(64)];   // 24.08 dB, 36.12 dB
  expectClose(psnrRef(a, b, ...shape), want, { rtol: 1e-12, atol: 0 }, 'psnrRef');
  expectClose(await gpu(psnr, a, b, shape), want, PSNR_TOL, 'psnr');
  const a255 = a.map((v) => v * 256), b255 = a255.map((v, i) => v + (i < per ? 5 : 0.5));
  expectClose(await gpu((x, y) => psnr(x, y, 255), a255, b255, shape), [20 * Math.log10(255 / 5), 20 * Math.log10(255 / 0.5)], PSNR_TOL, 'psnr 255');
});

t('the weights are the paper\'s and msSsim keeps memory flat', async () => {
  assert.equal([...MS_SSIM_WEIGHTS], [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]);
  const shape: Shape4 = [1, 161, 170, 2];
  const a = kiln.tensor(image(shape, 1, false), shape), b = kiln.tensor(image(shape, 2, false), shape);
  const { result, leaked } = await observeTensors(() => [msSsim(a, b), ssim(a, b), psnr(a, b)]);
  assert.equal(leaked.length, 0, `${leaked.length} tensors leaked`);
  kiln.dispose(result);
  // repeated calls reuse pooled buffers: no new GPU buffer after the first
  await values(msSsim(a, b));
  const created = kiln.memory().buffersCreated;
  for (let i = 0; i < 3; i++) await values(msSsim(a, b));
  assert.is(kiln.memory().buffersCreated, created);
  kiln.dispose([a, b]);
});

t('errors name the op, the shapes and the rule', () => {
  const x = kiln.zeros([1, 161, 170, 3]);
  const small = kiln.zeros([1, 160, 300, 3]);
  const r3 = kiln.zeros([161, 170, 3]);
  const i32 = kiln.zeros([1, 161, 170, 3], 'int32');
  const y = kiln.zeros([1, 161, 171, 3]);
  const tiny = kiln.zeros([1, 10, 30, 1]);
  try {
    expectThrows(() => msSsim(x, y), /kiln\.msSsim/, /\[1,161,170,3\]/, /\[1,161,171,3\]/, /same shape/);
    expectThrows(() => msSsim(r3, r3), /kiln\.msSsim/, /rank 4/, /rank 3/);
    expectThrows(() => msSsim(small, small), /kiln\.msSsim/, /smallest image side is 160/, />= 161/, /\(11 - 1\) \* 2\^4 \+ 1/);
    expectThrows(() => msSsim(x, i32), /kiln\.msSsim/, /int32/, /float32/);
    expectThrows(() => msSsim(x, x, { maxVal: 0 }), /kiln\.msSsim/, /maxVal/);
    expectThrows(() => msSsim(x, x, { powerFactors: [] }), /kiln\.msSsim/, /powerFactors/);
    expectThrows(() => msSsim(small, small, { powerFactors: [1, 1, 1, 1, 1, 1] }), />= 321 = \(11 - 1\) \* 2\^5 \+ 1/);
    expectThrows(() => ssim(tiny, tiny), /kiln\.ssim/, /side is 10/, />= 11/);
    expectThrows(() => ssim(x, x, { powerFactors: [1] } as never), /kiln\.ssim/, /powerFactors/);
    expectThrows(() => psnr(x, y), /kiln\.psnr/, /same shape/);
    expectThrows(() => psnr(x, x, -1), /kiln\.psnr/, /maxVal/);
  } finally {
    kiln.dispose([x, small, r3, i32, y, tiny]);
  }
});

t.run();

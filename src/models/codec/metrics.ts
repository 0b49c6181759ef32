// Image-quality metrics for the codec, on the GPU: MS-SSIM (Wang, Simoncelli & Bovik 2003), single
// scale SSIM and PSNR, each one value per image of an NHWC float32 batch. They follow TensorFlow's
// tf.image.ssim_multiscale / tf.image.ssim / tf.image.psnr and are composed of existing kiln ops
// (depthwise convolution with the Gaussian window, elementwise ops, average pooling, means), so
// they are differentiable. msSsimRef, ssimRef and psnrRef are float64 CPU references written
// independently of the GPU path (they share only the default constants): a direct 2-D window
// there, two 1-D passes here.
import { Tensor, tidy, fmtShape } from '../../tensor.ts';
import { tensor } from '../../ops/creation.ts';
import { add, sub, mul, div, square, squaredDifference, relu, pow, log } from '../../ops/elementwise.ts';
import { mean } from '../../ops/reduce.ts';
import { depthwiseConv2d } from '../../ops/depthwise.ts';
import { avgPool } from '../../ops/pool.ts';
import { assertTensor, fail } from '../../ops/util.ts';

/** Per-scale exponents of MS-SSIM (Wang et al. 2003; TensorFlow's _MSSSIM_WEIGHTS), finest scale first. */
export const MS_SSIM_WEIGHTS: readonly number[] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

/** Defaults shared by the GPU metrics and the references (TensorFlow's). */
export const SSIM_DEFAULTS = { maxVal: 1, filterSize: 11, filterSigma: 1.5, k1: 0.01, k2: 0.03 } as const;

export interface SsimOptions {
  /** dynamic range L of the pixel values: 1 for images in [0, 1] (default), 255 for [0, 255] */
  maxVal?: number;
  /** side of the square Gaussian window; default 11 */
  filterSize?: number;
  /** standard deviation of the Gaussian window in pixels; default 1.5 */
  filterSigma?: number;
  /** C1 = (k1 * maxVal)^2; default 0.01 */
  k1?: number;
  /** C2 = (k2 * maxVal)^2; default 0.03 */
  k2?: number;
}

export interface MsSsimOptions extends SsimOptions {
  /** one exponent per scale, finest first; default MS_SSIM_WEIGHTS (5 scales) */
  powerFactors?: readonly number[];
}

/** The normalised 1-D Gaussian, [size]: exp(-u^2 / (2 sigma^2)), u = i - (size - 1) / 2, over its sum. */
export function gaussianWindow1d(size: number, sigma: number): Float64Array {
  const g = new Float64Array(size);
  for (let i = 0; i < size; i++) g[i] = Math.exp(-((i - (size - 1) / 2) ** 2) / (2 * sigma * sigma));
  const total = g.reduce((x, y) => x + y, 0);
  return g.map((v) => v / total);
}

/**
 * The normalised 2-D Gaussian window, row-major [size * size]: exp(-(u^2 + v^2) / (2 sigma^2)) over
 * its sum (TensorFlow's _fspecial_gauss); equal to the outer product of gaussianWindow1d with itself.
 */
export function gaussianWindow(size: number, sigma: number): Float64Array {
  const w = new Float64Array(size * size);
  const c = (size - 1) / 2;
  let total = 0;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const v = Math.exp(-((i - c) ** 2 + (j - c) ** 2) / (2 * sigma * sigma));
      w[i * size + j] = v;
      total += v;
    }
  }
  for (let i = 0; i < w.length; i++) w[i] /= total;
  return w;
}

interface Resolved { maxVal: number; filterSize: number; filterSigma: number; k1: number; k2: number; powers: readonly number[] }

function resolve(op: string, opts: MsSsimOptions | undefined, multiscale: boolean): Resolved {
  if (opts === undefined || opts === null) opts = {};
  if (typeof opts !== 'object') fail(op, `options must be an object { maxVal?, filterSize?, filterSigma?, k1?, k2?${multiscale ? ', powerFactors?' : ''} }, got ${JSON.stringify(opts)}`);
  const num = (name: keyof SsimOptions, ok: (v: number) => boolean, what: string): number => {
    const v = opts![name] ?? SSIM_DEFAULTS[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(op, `${name} must be ${what}, got ${JSON.stringify(opts![name])}`);
    return v;
  };
  const r: Resolved = {
    maxVal: num('maxVal', (v) => v > 0, 'a positive number'),
    filterSize: num('filterSize', (v) => Number.isInteger(v) && v >= 1, 'a positive integer'),
    filterSigma: num('filterSigma', (v) => v > 0, 'a positive number'),
    k1: num('k1', (v) => v >= 0, 'a non-negative number'),
    k2: num('k2', (v) => v >= 0, 'a non-negative number'),
    powers: [1],
  };
  if (multiscale) {
    const p = opts.powerFactors ?? MS_SSIM_WEIGHTS;
    if (!Array.isArray(p) || p.length === 0 || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      fail(op, `powerFactors must be a non-empty array of finite numbers (one per scale), got ${JSON.stringify(opts.powerFactors)}`);
    }
    r.powers = p;
  } else if ('powerFactors' in opts) {
    fail(op, 'powerFactors is an msSsim option (ssim has one scale); remove it');
  }
  return r;
}

/** Checks a pair of NHWC float32 image batches; minSide = 0 skips the size check. */
function checkPair(op: string, a: Tensor, b: Tensor, minSide: number, why: string, rule = ''): void {
  assertTensor(op, 'a', a);
  assertTensor(op, 'b', b);
  const desc = `a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`;
  if (a.rank !== 4 || b.rank !== 4) fail(op, `${desc}: images must be NHWC [N, H, W, C] (rank 4), got rank ${a.rank} and ${b.rank}; add a batch axis with kiln.expandDims(x, 0)`);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') fail(op, `${desc}: dtypes are ${a.dtype} and ${b.dtype}; ${op} takes float32 images. Use kiln.cast(t, 'float32') first`);
  if (a.shape.some((d, i) => d !== b.shape[i])) fail(op, `${desc}: the two image batches must have the same shape`);
  if (a.size === 0) fail(op, `${desc}: the images are empty`);
  const side = Math.min(a.shape[1], a.shape[2]);
  if (side < minSide) fail(op, `${desc}: the smallest image side is ${side} (H ${a.shape[1]}, W ${a.shape[2]}), but ${why} needs H and W >= ${minSide}${rule}`);
}

/** The window as two depthwise filters, [size, 1, C, 1] then [1, size, C, 1]: 'valid' blur of x. */
function windowBlur(C: number, size: number, sigma: number): (x: Tensor) => Tensor {
  const g = gaussianWindow1d(size, sigma);
  const f = new Float32Array(size * C);
  for (let i = 0; i < size; i++) f.fill(g[i], i * C, (i + 1) * C);
  const rows = tensor(f, [size, 1, C, 1]), cols = tensor(f, [1, size, C, 1]);
  return (x) => depthwiseConv2d(depthwiseConv2d(x, rows, 1, 'valid'), cols, 1, 'valid');
}

/**
 * Per-channel SSIM and contrast-structure term of one scale, means over the valid window positions:
 * { ssim [N, C], cs [N, C] } (TensorFlow's _ssim_per_channel and _ssim_helper). xc = x - m and
 * yc = y - m with m [N, 1, 1, C]: (co)variances do not change under a common shift, and taking
 * them of centred values keeps E[x^2] - E[x]^2 from cancelling most of float32's digits.
 */
function ssimPerChannel(xc: Tensor, yc: Tensor, m: Tensor, blur: (x: Tensor) => Tensor, c1: number, c2: number): { ssim: Tensor; cs: Tensor } {
  const mxc = blur(xc), myc = blur(yc);
  const mx = add(mxc, m), my = add(myc, m);
  const luminance = div(add(mul(mul(mx, my), 2), c1), add(add(square(mx), square(my)), c1));
  const cov2 = mul(sub(blur(mul(xc, yc)), mul(mxc, myc)), 2);
  const vars = sub(blur(add(square(xc), square(yc))), add(square(mxc), square(myc)));
  const cs = div(add(cov2, c2), add(vars, c2));
  return { ssim: mean(mul(luminance, cs), [1, 2]), cs: mean(cs, [1, 2]) };
}

/** The per-image, per-channel mean of a and b, [N, 1, 1, C]. */
const centre = (a: Tensor, b: Tensor) => mul(mean(add(a, b), [1, 2], true), 0.5);

/**
 * MS-SSIM of two NHWC float32 image batches [N, H, W, C] -> [N], exactly as TensorFlow's
 * tf.image.ssim_multiscale: per channel and scale, SSIM over the valid positions of an 11x11
 * Gaussian window (sigma 1.5), K1 0.01, K2 0.03, C1 = (K1 L)^2, C2 = (K2 L)^2 with L = maxVal;
 * between scales a 2x2 average pool with stride 2, odd sides first padded by repeating the last
 * row/column (TensorFlow's symmetric pad; here avgPool 'same', which averages the same values);
 * the contrast-structure means of the first S - 1 scales and the SSIM mean of the last go through
 * relu, are raised to the power factors (default [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]) and
 * multiplied, then averaged over channels. H and W must be at least
 * (filterSize - 1) * 2^(S - 1) + 1 (161 by default) so that the last scale still holds a window.
 * Two exact rewrites of TensorFlow's float32 arithmetic cut rounding: the window runs as two 1-D
 * passes, and (co)variances are taken of images centred on their per-channel mean (on flat images
 * the float32 result is then within 2e-5 of float64, against 4e-4 without them).
 */
export function msSsim(a: Tensor, b: Tensor, opts?: MsSsimOptions): Tensor {
  const OP = 'msSsim';
  const o = resolve(OP, opts, true);
  const S = o.powers.length;
  checkPair(OP, a, b, (o.filterSize - 1) * 2 ** (S - 1) + 1, `${S} scales with window ${o.filterSize}x${o.filterSize}`,
    ` = (${o.filterSize} - 1) * 2^${S - 1} + 1; for smaller images use ssim or fewer powerFactors`);
  const c1 = (o.k1 * o.maxVal) ** 2, c2 = (o.k2 * o.maxVal) ** 2;
  // Each scale's intermediates go at the end of its tidy; the centred pyramid and the [N, C]
  // products at the end of the outer one (the peak is scale 0's intermediates).
  return tidy(() => {
    const blur = windowBlur(a.shape[3], o.filterSize, o.filterSigma);
    const m = centre(a, b);
    let x = sub(a, m), y = sub(b, m);   // pooling commutes with the shift
    let acc: Tensor | null = null;
    for (let k = 0; k < S; k++) {
      ({ x, y, acc } = tidy(() => {
        const xs = k > 0 ? avgPool(x, 2, 2, 'same') : x;
        const ys = k > 0 ? avgPool(y, 2, 2, 'same') : y;
        const { ssim, cs } = ssimPerChannel(xs, ys, m, blur, c1, c2);
        const term = pow(relu(k === S - 1 ? ssim : cs), o.powers[k]);
        return { x: xs, y: ys, acc: acc ? mul(acc, term) : term };
      }));
    }
    return mean(acc!, 1);
  });
}

/**
 * Single-scale SSIM [N, H, W, C] -> [N] as TensorFlow's tf.image.ssim: the per-channel mean of
 * luminance * contrast-structure over the valid window positions (no relu), averaged over
 * channels. H and W must be at least filterSize (11).
 */
export function ssim(a: Tensor, b: Tensor, opts?: SsimOptions): Tensor {
  const OP = 'ssim';
  const o = resolve(OP, opts, false);
  checkPair(OP, a, b, o.filterSize, `window ${o.filterSize}x${o.filterSize}`);
  return tidy(() => {
    const m = centre(a, b);
    const blur = windowBlur(a.shape[3], o.filterSize, o.filterSigma);
    return mean(ssimPerChannel(sub(a, m), sub(b, m), m, blur, (o.k1 * o.maxVal) ** 2, (o.k2 * o.maxVal) ** 2).ssim, 1);
  });
}

/**
 * PSNR in dB per image [N, H, W, C] -> [N] as tf.image.psnr: 20 log10(maxVal) - 10 log10(MSE),
 * the MSE over H, W and C; identical images give +Infinity.
 */
export function psnr(a: Tensor, b: Tensor, maxVal = 1): Tensor {
  const OP = 'psnr';
  if (typeof maxVal !== 'number' || !Number.isFinite(maxVal) || maxVal <= 0) fail(OP, `maxVal must be a positive number, got ${JSON.stringify(maxVal)}`);
  checkPair(OP, a, b, 0, '');
  return tidy(() => sub(20 * Math.log10(maxVal), mul(log(mean(squaredDifference(a, b), [1, 2, 3])), 10 / Math.LN10)));
}

// ---- float64 CPU references ----

type Pixels = Float64Array | Float32Array;

/** Channel c of image n of an NHWC array, as a row-major [H, W] float64 plane. */
function plane(x: Pixels, n: number, H: number, W: number, C: number, c: number): Float64Array {
  const p = new Float64Array(H * W);
  for (let i = 0; i < H * W; i++) p[i] = x[(n * H * W + i) * C + c];
  return p;
}

/** Halve a plane: pad odd sides by repeating the last row/column, then average 2x2 blocks. */
function halve(p: Float64Array, H: number, W: number): { p: Float64Array; H: number; W: number } {
  const PH = H + (H % 2), PW = W + (W % 2);
  const padded = new Float64Array(PH * PW);
  for (let i = 0; i < PH; i++) for (let j = 0; j < PW; j++) padded[i * PW + j] = p[Math.min(i, H - 1) * W + Math.min(j, W - 1)];
  const OH = PH / 2, OW = PW / 2;
  const q = new Float64Array(OH * OW);
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) {
      const r0 = 2 * i * PW + 2 * j, r1 = r0 + PW;
      q[i * OW + j] = (padded[r0] + padded[r0 + 1] + padded[r1] + padded[r1 + 1]) / 4;
    }
  }
  return { p: q, H: OH, W: OW };
}

/** Mean SSIM and mean contrast-structure of two planes over the valid window positions. */
function ssimPlane(x: Float64Array, y: Float64Array, H: number, W: number, win: Float64Array, K: number, c1: number, c2: number): { ssim: number; cs: number } {
  const OH = H - K + 1, OW = W - K + 1;
  let sumSsim = 0, sumCs = 0;
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) {
      let mx = 0, my = 0, exx = 0, eyy = 0, exy = 0;
      for (let u = 0; u < K; u++) {
        for (let v = 0; v < K; v++) {
          const w = win[u * K + v];
          const px = x[(i + u) * W + j + v], py = y[(i + u) * W + j + v];
          mx += w * px; my += w * py;
          exx += w * px * px; eyy += w * py * py; exy += w * px * py;
        }
      }
      const vx = exx - mx * mx, vy = eyy - my * my, cov = exy - mx * my;
      const l = (2 * mx * my + c1) / (mx * mx + my * my + c1);
      const cs = (2 * cov + c2) / (vx + vy + c2);
      sumSsim += l * cs;
      sumCs += cs;
    }
  }
  return { ssim: sumSsim / (OH * OW), cs: sumCs / (OH * OW) };
}

function refConstants(opts: MsSsimOptions) {
  const d = SSIM_DEFAULTS;
  const maxVal = opts.maxVal ?? d.maxVal, K = opts.filterSize ?? d.filterSize;
  return {
    K, win: gaussianWindow(K, opts.filterSigma ?? d.filterSigma),
    c1: ((opts.k1 ?? d.k1) * maxVal) ** 2, c2: ((opts.k2 ?? d.k2) * maxVal) ** 2,
    powers: opts.powerFactors ?? MS_SSIM_WEIGHTS,
  };
}

/** Float64 reference of msSsim on NHWC arrays: [N]. */
export function msSsimRef(a: Pixels, b: Pixels, N: number, H: number, W: number, C: number, opts: MsSsimOptions = {}): Float64Array {
  const { K, win, c1, c2, powers } = refConstants(opts);
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let total = 0;
    for (let c = 0; c < C; c++) {
      let x = plane(a, n, H, W, C, c), y = plane(b, n, H, W, C, c), h = H, w = W;
      let prod = 1;
      for (let k = 0; k < powers.length; k++) {
        if (k > 0) {
          const hx = halve(x, h, w), hy = halve(y, h, w);
          x = hx.p; y = hy.p; h = hx.H; w = hx.W;
        }
        const s = ssimPlane(x, y, h, w, win, K, c1, c2);
        const v = k === powers.length - 1 ? s.ssim : s.cs;
        prod *= Math.max(v, 0) ** powers[k];
      }
      total += prod;
    }
    out[n] = total / C;
  }
  return out;
}

/** Float64 reference of ssim on NHWC arrays: [N]. */
export function ssimRef(a: Pixels, b: Pixels, N: number, H: number, W: number, C: number, opts: SsimOptions = {}): Float64Array {
  const { K, win, c1, c2 } = refConstants(opts);
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let total = 0;
    for (let c = 0; c < C; c++) total += ssimPlane(plane(a, n, H, W, C, c), plane(b, n, H, W, C, c), H, W, win, K, c1, c2).ssim;
    out[n] = total / C;
  }
  return out;
}

/** Float64 reference of psnr on NHWC arrays: [N]. */
export function psnrRef(a: Pixels, b: Pixels, N: number, H: number, W: number, C: number, maxVal = 1): Float64Array {
  const out = new Float64Array(N);
  const per = H * W * C;
  for (let n = 0; n < N; n++) {
    let se = 0;
    for (let i = n * per; i < (n + 1) * per; i++) se += (a[i] - b[i]) ** 2;
    out[n] = 10 * Math.log10((maxVal * maxVal) / (se / per));
  }
  return out;
}

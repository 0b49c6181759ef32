// Pooling, NHWC (tfjs signatures): avgPool, maxPool (x, filterSize, strides, pad, options) and
// globalAvgPool. Padded cells never count by default: averages divide by the cells inside the image
// (TensorFlow's SAME), maxima ignore them; `countIncludePad` (avgPool) divides by the window size
// as PyTorch's count_include_pad. `dilations` spaces the window's taps (tf.pool, torch MaxPool2d).
// Gradient rules: src/ops/pool.grad.ts.
import { Tensor, empty, engine, fmtShape } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { checked } from './run.ts';
import { poolProgram, poolAxis, dilatedSize, type PoolGeom, type PoolMode } from '../../kernels/pool.ts';
import { recordPool } from './pool.grad.ts';
import { tracking } from '../autograd/tape.ts';
import { mean } from './reduce.ts';

export type PoolPad = 'valid' | 'same' | number;

export interface PoolOptions {
  /** spacing of the window's taps, [dh, dw] or one number for both; default 1 (a dense window) */
  dilations?: number | [number, number];
}

export interface AvgPoolOptions extends PoolOptions {
  /**
   * Divide every window by its full size fh * fw, padded cells counted as zeros (PyTorch's
   * count_include_pad = true). Default false: divide by the cells inside the image (TensorFlow).
   */
  countIncludePad?: boolean;
}

function pair(op: string, name: string, v: number | [number, number]): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= 1)) {
    fail(op, `${name} must be a positive integer or [height, width] of them, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

/**
 * The pooling geometry of x for a window and strides, TensorFlow's padding rules applied to the
 * dilated window (extent (f - 1) * d + 1).
 */
export function poolGeometry(
  op: string, shape: readonly number[], filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad,
  opts: AvgPoolOptions = {},
): PoolGeom {
  if (shape.length !== 4) fail(op, `x must be NHWC (rank 4), got shape ${fmtShape(shape)}`);
  if (opts === null || typeof opts !== 'object') fail(op, `options must be an object { dilations?${op === 'avgPool' ? ', countIncludePad?' : ''} }, got ${JSON.stringify(opts)}`);
  const [fh, fw] = pair(op, 'filterSize', filterSize);
  const [sh, sw] = pair(op, 'strides', strides);
  const [dh, dw] = pair(op, 'dilations', opts.dilations ?? 1);
  if (opts.countIncludePad !== undefined && typeof opts.countIncludePad !== 'boolean') fail(op, `countIncludePad must be true or false, got ${JSON.stringify(opts.countIncludePad)}`);
  if (pad !== 'valid' && pad !== 'same' && !(Number.isInteger(pad) && (pad as number) >= 0)) {
    fail(op, `pad must be 'valid', 'same' or a non-negative integer, got ${JSON.stringify(pad)}`);
  }
  const eh = dilatedSize(fh, dh), ew = dilatedSize(fw, dw);
  const dil = dh > 1 || dw > 1 ? ` (dilated to [${eh}, ${ew}] by dilations [${dh}, ${dw}])` : '';
  if (typeof pad === 'number' && (pad >= eh || pad >= ew)) fail(op, `pad ${pad} must be smaller than the filter [${fh}, ${fw}]${dil} (a window would hold padding only)`);
  const [n, h, w, c] = shape;
  const H = poolAxis(h, eh, sh, pad), W = poolAxis(w, ew, sw, pad);
  if ((H.out === 0 || W.out === 0) && n * c > 0) fail(op, `the filter [${fh}, ${fw}]${dil} does not fit x ${fmtShape(shape)} with pad '${pad}' (no output)`);
  return { n, h, w, c, oh: H.out, ow: W.out, fh, fw, sh, sw, pt: H.before, pl: W.before, dh, dw, incl: opts.countIncludePad ?? false };
}

function pool(
  mode: PoolMode, op: string, x: Tensor, filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad, opts: AvgPoolOptions,
): Tensor {
  assertTensor(op, 'x', x);
  assertDtype(op, 'x', x, ['float32']);
  if (mode === 'max' && opts && typeof opts === 'object' && 'countIncludePad' in opts) {
    fail(op, 'countIncludePad is an avgPool option (padding never enters a max); remove it');
  }
  const g = poolGeometry(op, x.shape, filterSize, strides, pad, opts);
  const e = engine();
  const y = empty([g.n, g.oh, g.ow, g.c], 'float32');
  if (mode === 'avg') {
    if (y.size) e.dispatch(poolProgram('avg', g), [x.buffer], [y.buffer]);
    checked(y, op);
    return tracking(x) ? recordPool('avg', x, g, y, null) : y;
  }
  const idx = empty(y.shape, 'int32');
  if (y.size) e.dispatch(poolProgram('max', g), [x.buffer], [y.buffer, idx.buffer]);
  checked(y, op);
  if (!tracking(x)) { idx.dispose(); return y; }
  return recordPool('max', x, g, y, idx);
}

/**
 * Average pooling (tf.avgPool): x NHWC, a [fh, fw] window every [sh, sw]; pad 'valid', 'same' or a
 * number. Options: `dilations`, `countIncludePad` (divide by fh * fw, as PyTorch's default).
 */
export function avgPool(
  x: Tensor, filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad, options: AvgPoolOptions = {},
): Tensor {
  return pool('avg', 'avgPool', x, filterSize, strides, pad, options);
}

/**
 * Max pooling (tf.maxPool). The gradient goes to the first largest value of each window.
 * Options: `dilations` (torch.nn.MaxPool2d's dilation; with a numeric pad as its padding).
 */
export function maxPool(
  x: Tensor, filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad, options: PoolOptions = {},
): Tensor {
  return pool('max', 'maxPool', x, filterSize, strides, pad, options);
}

/** Mean over H and W of NHWC x: [N, C] (or [N, 1, 1, C] with keepDims), as a global average pool layer. */
export function globalAvgPool(x: Tensor, keepDims = false): Tensor {
  assertTensor('globalAvgPool', 'x', x);
  if (x.rank !== 4) fail('globalAvgPool', `x must be NHWC (rank 4), got shape ${fmtShape(x.shape)}`);
  return mean(x, [1, 2], keepDims);
}

// Pooling, NHWC (tfjs signatures): avgPool, maxPool (x, filterSize, strides, pad) and
// globalAvgPool. Padded cells never count: averages divide by the cells inside the image
// (TensorFlow's SAME), maxima ignore them. Gradient rules: src/ops/pool.grad.ts.
import { Tensor, empty, engine, fmtShape } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { checked } from './run.ts';
import { poolProgram, poolAxis, type PoolGeom, type PoolMode } from '../../kernels/pool.ts';
import { recordPool } from './pool.grad.ts';
import { tracking } from '../autograd/tape.ts';
import { mean } from './reduce.ts';

export type PoolPad = 'valid' | 'same' | number;

function pair(op: string, name: string, v: number | [number, number]): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= 1)) {
    fail(op, `${name} must be a positive integer or [height, width] of them, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

/** The pooling geometry of x for a window and strides, TensorFlow's padding rules. */
export function poolGeometry(op: string, shape: readonly number[], filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad): PoolGeom {
  if (shape.length !== 4) fail(op, `x must be NHWC (rank 4), got shape ${fmtShape(shape)}`);
  const [fh, fw] = pair(op, 'filterSize', filterSize);
  const [sh, sw] = pair(op, 'strides', strides);
  if (pad !== 'valid' && pad !== 'same' && !(Number.isInteger(pad) && (pad as number) >= 0)) {
    fail(op, `pad must be 'valid', 'same' or a non-negative integer, got ${JSON.stringify(pad)}`);
  }
  if (typeof pad === 'number' && (pad >= fh || pad >= fw)) fail(op, `pad ${pad} must be smaller than the filter [${fh}, ${fw}] (a window would hold padding only)`);
  const [n, h, w, c] = shape;
  const H = poolAxis(h, fh, sh, pad), W = poolAxis(w, fw, sw, pad);
  if ((H.out === 0 || W.out === 0) && n * c > 0) fail(op, `the filter [${fh}, ${fw}] does not fit x ${fmtShape(shape)} with pad '${pad}' (no output)`);
  return { n, h, w, c, oh: H.out, ow: W.out, fh, fw, sh, sw, pt: H.before, pl: W.before };
}

function pool(mode: PoolMode, op: string, x: Tensor, filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad): Tensor {
  assertTensor(op, 'x', x);
  assertDtype(op, 'x', x, ['float32']);
  const g = poolGeometry(op, x.shape, filterSize, strides, pad);
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

/** Average pooling (tf.avgPool): x NHWC, a [fh, fw] window every [sh, sw]; pad 'valid', 'same' or a number. */
export function avgPool(x: Tensor, filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad): Tensor {
  return pool('avg', 'avgPool', x, filterSize, strides, pad);
}

/** Max pooling (tf.maxPool). The gradient goes to the first largest value of each window. */
export function maxPool(x: Tensor, filterSize: number | [number, number], strides: number | [number, number], pad: PoolPad): Tensor {
  return pool('max', 'maxPool', x, filterSize, strides, pad);
}

/** Mean over H and W of NHWC x: [N, C] (or [N, 1, 1, C] with keepDims), as a global average pool layer. */
export function globalAvgPool(x: Tensor, keepDims = false): Tensor {
  assertTensor('globalAvgPool', 'x', x);
  if (x.rank !== 4) fail('globalAvgPool', `x must be NHWC (rank 4), got shape ${fmtShape(x.shape)}`);
  return mean(x, [1, 2], keepDims);
}

// Finite-difference gradient checks (tinygrad's helper_test_op, for gradients): kiln's gradient of
// L = sum(f(xs) * dy), from kiln.grads with a random upstream dy, against central differences of
// the same L computed on a float64 CPU reference of f at the same (float32) input values.
import { kiln, assert } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';
import { reduceRef, type ReduceOp } from '../kernels/reduce.ts';
import { transposeRef, copyRef } from '../kernels/copy.ts';
import { broadcastWalk } from '../kernels/binary.ts';
import { contiguousStrides } from '../src/ops/util.ts';

export type GpuFn = (...xs: kiln.Tensor[]) => kiln.Tensor;
export type RefFn = (...xs: Float64Array[]) => Float64Array;

export interface GradCheckOptions {
  /** input range, one for all inputs or one per input (default [-1, 1]) */
  lo?: number | number[];
  hi?: number | number[];
  /** kiln's (float32) gradient vs the float64 finite differences: |got - want| <= atol + rtol*|want| */
  rtol?: number;
  atol?: number;
  /** points where f is not differentiable: inputs are redrawn until they are `gap` away (default 1e-3) */
  kinks?: number[];
  gap?: number;
  /** fixed values for some inputs (float32-rounded; null: draw at random) */
  inputs?: (ArrayLike<number> | null)[];
  /** finite-difference step (default 1e-6) */
  eps?: number;
  /** the forward check against the reference (default: the gradient tolerance) */
  fwd?: { rtol: number; atol: number };
}

export interface GradCheckResult {
  maxAbsErr: number;
  /** max |got - want| / (atol + rtol*|want|): <= 1 passes */
  worst: number;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

const per = (v: number | number[] | undefined, i: number, dflt: number) => (v === undefined ? dflt : Array.isArray(v) ? v[i] : v);
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function dot(a: Float64Array, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Check the gradient of `gpuFn` with respect to every input. `shapes` gives one shape per input;
 * values are drawn deterministically from the name. Tensors the op needs besides the
 * differentiated ones (indices, conditions) are captured by the closures.
 */
export async function checkGrad(name: string, gpuFn: GpuFn, refFn: RefFn, shapes: number[][], o: GradCheckOptions = {}): Promise<GradCheckResult> {
  const rtol = o.rtol ?? 1e-4;
  const atol = o.atol ?? 1e-5;
  const eps = o.eps ?? 1e-6;
  const gap = o.gap ?? 1e-3;
  const r = kiln.rng(hash(name));
  const xs32 = shapes.map((s, i) => {
    const fixed = o.inputs?.[i];
    if (fixed) {
      assert.is(fixed.length, numel(s), `${name}: inputs[${i}] has ${fixed.length} values for shape [${s}]`);
      return Float32Array.from(fixed);
    }
    const lo = per(o.lo, i, -1), hi = per(o.hi, i, 1);
    const a = new Float32Array(numel(s));
    for (let j = 0; j < a.length; j++) {
      let v: number;
      let tries = 0;
      do {
        v = Math.fround(lo + (hi - lo) * r());
        if (++tries > 1000) throw new Error(`${name}: cannot draw inputs in [${lo}, ${hi}] away from kinks ${o.kinks}`);
      } while (o.kinks?.some((k) => Math.abs(v - k) < gap));
      a[j] = v;
    }
    return a;
  });
  const xs64 = xs32.map((a) => Float64Array.from(a));
  const want = refFn(...xs64.map((a) => a.slice()));

  let outShape: number[] = [];
  let got: Float32Array[] = [];
  let dy = new Float32Array(0);
  const { leaked } = await observeTensors(async () => {
    const xs = xs32.map((a, i) => kiln.tensor(a, shapes[i]));
    try {
      // forward: the reference must describe the same function
      const y = kiln.tidy(() => gpuFn(...xs));
      outShape = [...y.shape];
      const yv = await y.data();
      y.dispose();
      assert.is(want.length, yv.length, `${name}: the reference returned ${want.length} values, kiln ${yv.length} (shape [${outShape}])`);
      const ft = o.fwd ?? { rtol, atol };
      for (let i = 0; i < want.length; i++) {
        if (!(Math.abs(yv[i] - want[i]) <= ft.atol + ft.rtol * Math.abs(want[i]))) {
          assert.unreachable(`${name}: forward value [${i}] is ${yv[i]}, the reference ${want[i]}: the reference does not match the op`);
        }
      }
      dy = new Float32Array(want.length);
      for (let i = 0; i < dy.length; i++) dy[i] = Math.fround(2 * r() - 1);
      const dyT = kiln.tensor(dy, outShape);
      try {
        const gs = kiln.grads(gpuFn)(xs, dyT);
        try {
          assert.is(gs.length, xs.length, `${name}: one gradient per input`);
          gs.forEach((g, i) => {
            assert.equal([...g.shape], shapes[i], `${name}: gradient ${i} has shape [${g.shape}], the input [${shapes[i]}]`);
            assert.is(g.dtype, 'float32');
          });
          got = (await Promise.all(gs.map((g) => g.data()))) as Float32Array[];
        } finally {
          kiln.dispose(gs);
        }
      } finally {
        dyT.dispose();
      }
    } finally {
      kiln.dispose(xs);
    }
  });
  assert.is(leaked.length, 0, `${name}: the gradient left ${leaked.length} tensor(s) alive: ${leaked.slice(0, 5).join(', ')}`);

  let maxAbsErr = 0, worst = 0;
  for (let i = 0; i < xs64.length; i++) {
    const x = xs64[i];
    for (let j = 0; j < x.length; j++) {
      const v = x[j];
      x[j] = v + eps;
      const fp = dot(refFn(...xs64.map((a) => a.slice())), dy);
      x[j] = v - eps;
      const fm = dot(refFn(...xs64.map((a) => a.slice())), dy);
      x[j] = v;
      const fd = (fp - fm) / (2 * eps);
      const g = got[i][j];
      const err = Math.abs(g - fd);
      const bound = atol + rtol * Math.abs(fd);
      if (!(err <= bound)) {
        assert.unreachable(`${name}: d/dx${i}[${j}] (x = ${v}, input shape [${shapes[i]}]): kiln ${g}, finite differences ${fd} (|diff| ${err.toExponential(2)} > atol ${atol} + rtol ${rtol} * |want|)`);
      }
      maxAbsErr = Math.max(maxAbsErr, err);
      worst = Math.max(worst, err / bound);
    }
  }
  return { maxAbsErr, worst };
}

/** Values on a grid: `offset` + k/`den` for random integers k in [lo*den, hi*den) (ties and gaps by construction). */
export function gridValues(n: number, seed: number, lo: number, hi: number, den: number, offset = 0): Float32Array {
  const r = kiln.rng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(lo * den + (hi - lo) * den * r()) / den + offset;
  return a;
}

// ---- float64 references for ops whose kernel reference takes another form --------------------


/** Reduce `axes` of x (shape `shape`): the kept axes first, the reduced ones last, then reduceRef. */
export function reduceAxesRef(op: ReduceOp, x: Float64Array, shape: number[], axes: number[] | undefined): Float64Array {
  const ax = (axes ?? shape.map((_, i) => i)).map((a) => (a < 0 ? a + shape.length : a));
  const kept = shape.map((_, i) => i).filter((i) => !ax.includes(i));
  const perm = [...kept, ...ax];
  const t = transposeRef(x, shape, perm);
  const len = numel(ax.map((a) => shape[a]));
  return reduceRef(op, t, numel(kept.map((i) => shape[i])), len, 1);
}

/** x[begin : begin+size] (size per axis). */
export function sliceRef(x: Float64Array, shape: number[], begin: number[], size: number[]): Float64Array {
  const st = contiguousStrides(shape);
  const off = begin.reduce((a, b, i) => a + b * st[i], 0);
  const out = new Float64Array(numel(size));
  copyRef(x, size, st, off, out, contiguousStrides(size), 0);
  return out;
}

/** Concatenation along `axis`. */
export function concatRef(xs: Float64Array[], shapes: number[][], axis: number): Float64Array {
  const outShape = [...shapes[0]];
  outShape[axis] = shapes.reduce((s, sh) => s + sh[axis], 0);
  const out = new Float64Array(numel(outShape));
  const ost = contiguousStrides(outShape);
  let offset = 0;
  xs.forEach((x, i) => {
    copyRef(x, shapes[i], contiguousStrides(shapes[i]), 0, out, ost, offset * ost[axis]);
    offset += shapes[i][axis];
  });
  return out;
}

/** numpy broadcast of x (shape `shape`) to `outShape`. */
export function broadcastRef(x: Float64Array, shape: number[], outShape: number[]): Float64Array {
  const out = new Float64Array(numel(outShape));
  broadcastWalk(outShape, [shape], (i, [ix]) => { out[i] = x[ix]; });
  return out;
}

// Creating tensors from values: tensor, scalar, zeros, ones, fill, range, random*.
import { rng } from '../util/numeric.ts';
import { empty, engine, Tensor, type DType, type Shape, DTYPES, sizeOf, fmtShape } from '../tensor.ts';
import { fail, assertShape, assertRank } from './util.ts';
import { fillProgram } from '../../kernels/fill.ts';
import { run } from './run.ts';

type Nested = number | boolean | Nested[];
export type TensorLike = ArrayLike<number> | Nested | Float32Array | Int32Array | Uint32Array | Uint8Array;

function inferShape(v: unknown): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) { shape.push(cur.length); cur = cur[0]; }
  if (ArrayBuffer.isView(cur)) shape.push((cur as unknown as ArrayLike<number>).length);
  return shape;
}

function flatten(v: unknown, out: number[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else if (ArrayBuffer.isView(v)) { const a = v as unknown as ArrayLike<number>; for (let i = 0; i < a.length; i++) out.push(a[i]); }
  else if (typeof v === 'boolean') out.push(v ? 1 : 0);
  else out.push(v as number);
}

function inferDtype(values: unknown): DType {
  if (values instanceof Int32Array) return 'int32';
  if (values instanceof Uint32Array) return 'uint32';
  if (values instanceof Uint8Array) return 'bool';
  return 'float32';
}

function typedOf(d: DType, n: number): Float32Array | Int32Array | Uint32Array {
  return d === 'float32' ? new Float32Array(n) : d === 'int32' ? new Int32Array(n) : new Uint32Array(n);
}

/**
 * Create a tensor from values: `kiln.tensor([[1, 2], [3, 4]])`, `kiln.tensor(float32Array, [2, 3])`,
 * `kiln.tensor([1, 2, 3], [3], 'int32')`. The dtype defaults to float32 (or the typed array's).
 */
export function tensor(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  const dt = dtype ?? inferDtype(values);
  if (!DTYPES.includes(dt)) fail('tensor', `unknown dtype '${dt}'; expected one of ${DTYPES.join(', ')}`);
  let flat: ArrayLike<number>;
  if (ArrayBuffer.isView(values)) flat = values as unknown as ArrayLike<number>;
  else if (typeof values === 'number' || typeof values === 'boolean') flat = [+values];
  else { const f: number[] = []; flatten(values, f); flat = f; }
  const inferred = typeof values === 'number' || typeof values === 'boolean' ? [] : inferShape(values);
  const sh = shape ? [...shape] : inferred;
  assertShape('tensor', sh);
  assertRank('tensor', sh);
  if (sizeOf(sh) !== flat.length) {
    fail('tensor', `${flat.length} values cannot fill shape ${fmtShape(sh)} (${sizeOf(sh)} elements)${shape ? `; the values have shape ${fmtShape(inferred)}` : ''}`);
  }
  const t = empty(sh, dt, true);
  if (flat.length) {
    const arr = typedOf(dt, flat.length);
    if (dt === 'float32' || !(flat instanceof Float32Array)) arr.set(flat);
    else for (let i = 0; i < flat.length; i++) arr[i] = flat[i];
    engine().write(t.buffer, arr);
  }
  return t;
}

export function scalar(value: number | boolean, dtype: DType = 'float32'): Tensor {
  return tensor([+value], [], dtype);
}

/** A tensor of `shape` filled with `value` (computed on the GPU). */
export function fill(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  assertShape('fill', shape);
  assertRank('fill', shape);
  const n = sizeOf(shape);
  return run(fillProgram(n, value, dtype), [], shape, dtype);
}

export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor { return fill(shape, 0, dtype); }
export function ones(shape: Shape, dtype: DType = 'float32'): Tensor { return fill(shape, 1, dtype); }
export function zerosLike(x: Tensor): Tensor { return fill(x.shape, 0, x.dtype); }
export function onesLike(x: Tensor): Tensor { return fill(x.shape, 1, x.dtype); }

/** [start, start+step, ...) below `stop`, like tf.range. */
export function range(start: number, stop: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (step === 0) fail('range', 'step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const v = typedOf(dtype, n);
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return tensor(v, [n], dtype);
}

export { rng };

let defaultSeed = 42;

export function randomUniform(shape: Shape, min = 0, max = 1, dtype: DType = 'float32', seed?: number): Tensor {
  assertShape('randomUniform', shape);
  const r = rng(seed ?? defaultSeed++);
  const v = typedOf(dtype, sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = min + (max - min) * r();
  return tensor(v, shape, dtype);
}

export function randomNormal(shape: Shape, mean = 0, stdDev = 1, seed?: number): Tensor {
  assertShape('randomNormal', shape);
  const r = rng(seed ?? defaultSeed++);
  const v = new Float32Array(sizeOf(shape));
  for (let i = 0; i < v.length; i += 2) {
    const u1 = Math.max(r(), 1e-12);
    const u2 = r();
    const m = Math.sqrt(-2 * Math.log(u1));
    v[i] = mean + stdDev * m * Math.cos(2 * Math.PI * u2);
    if (i + 1 < v.length) v[i + 1] = mean + stdDev * m * Math.sin(2 * Math.PI * u2);
  }
  return tensor(v, shape, 'float32');
}

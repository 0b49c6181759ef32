// Reductions over a contiguous block of axes: shaders/reduce.wgsl.
// The op layer views the input as [outer, len, inner] (moving axes first if they are not
// contiguous). inner == 1 uses ROWT on software adapters (see reduceThreads), else ROWS (a workgroup per row; long rows with few of them are split
// into chunks and finished by a second pass over partial states); otherwise COLS (a thread per
// output column, each walking `len` with coalesced loads across threads).
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import { memo } from '../src/gpu/memo.ts';
import { empty, engine, type Tensor, type DType } from '../src/tensor.ts';

export type ReduceOp = 'sum' | 'mean' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin' | 'logsumexp';

const WG = 64;
/** Below this many rows a long row is split so that every core gets work. */
const SPLIT_ROWS_BELOW = 16;
const CHUNK = 8192;
/** Thread-per-row path (software adapters): workgroup size, target thread count, least chunk. */
const TWG = 64;
const THREADS = 256;
const MIN_CHUNK = 1024;

export function reduceOutDtype(op: ReduceOp): DType {
  return op === 'argmax' || op === 'argmin' ? 'int32' : 'float32';
}

function shaderOp(op: ReduceOp): string {
  return op === 'mean' ? 'sum' : op;
}

function uni(rows: number, len: number, chunk: number, chunks: number, inner: number, scale: number): Uniforms {
  return new Uniforms().u32(rows, len, chunk, chunks, inner, 0).f32(scale).u32(0);
}

/** Memoised Program: uniforms from [rows, len, chunk, chunks, inner, scale]. */
const prog = memo((p: Omit<Program, 'uniforms'>, u: [number, number, number, number, number, number]): Program => ({ ...p, uniforms: uni(...u) }));

function rowsGrid(chunks: number, rows: number): [number, number, number] {
  return [chunks, Math.min(rows, 65535), Math.ceil(rows / 65535)];
}

/** Reduce x viewed as [outer, len, inner] over `len`. Returns a new [outer*inner] tensor. */
export function reduce(op: ReduceOp, x: Tensor, outer: number, len: number, inner: number): Tensor {
  const e = engine();
  const outDtype = reduceOutDtype(op);
  const out = empty([outer * inner], outDtype);
  if (out.size === 0) return out;
  const scale = op === 'mean' ? 1 / len : 1;
  const to = outDtype === 'int32' ? 'i32' : 'f32';
  const defs = { [`OP_${shaderOp(op)}`]: true, TO: to };
  if (inner > 1) {
    const n = outer * inner;
    e.dispatch(prog({
      shader: 'reduce', label: `reduce_${op}_cols`, defines: { ...defs, COLS: true }, overrides: { WG },
      workgroups: grid(n, WG), }, [outer, len, len, 1, inner, scale]), [x.buffer], [out.buffer]);
    return out;
  }
  const rows = outer;
  if (e.tuning.threadRows) return reduceThreads(op, x, rows, len, out, defs, scale);
  const chunks = rows < SPLIT_ROWS_BELOW && len > 2 * CHUNK ? Math.min(256, Math.ceil(len / CHUNK)) : 1;
  if (chunks === 1) {
    e.dispatch(prog({
      shader: 'reduce', label: `reduce_${op}`, defines: { ...defs, ROWS: true }, overrides: { WG },
      workgroups: rowsGrid(1, rows), }, [rows, len, len, 1, 1, scale]), [x.buffer], [out.buffer]);
    return out;
  }
  const chunk = Math.ceil(len / chunks);
  const partial = empty([rows * chunks * 2], 'float32');
  e.dispatch(prog({
    shader: 'reduce', label: `reduce_${op}_partial`, defines: { ...defs, ROWS: true, OUT_STATE: true }, overrides: { WG },
    workgroups: rowsGrid(chunks, rows), }, [rows, len, chunk, chunks, 1, scale]), [x.buffer], [partial.buffer]);
  e.dispatch(prog({
    shader: 'reduce', label: `reduce_${op}_final`, defines: { ...defs, ROWS: true, IN_STATE: true }, overrides: { WG },
    workgroups: rowsGrid(1, rows), }, [rows, chunks, chunks, 1, 1, scale]), [partial.buffer], [out.buffer]);
  partial.dispose();
  return out;
}

/**
 * Software adapters (lavapipe, SwiftShader): one thread per (row, chunk), vec4 loads, no
 * barriers. Rows are cut into chunks of >= MIN_CHUNK until there are ~THREADS threads; a second
 * pass folds the chunk states. bench/lab/reduce.ts measured this 5-10x faster than the
 * workgroup tree on lavapipe (1024x1024 sum: 1.9 ms vs 22 ms).
 */
function reduceThreads(op: ReduceOp, x: Tensor, rows: number, len: number, out: Tensor, defs: Record<string, string | boolean>, scale: number): Tensor {
  const e = engine();
  const { vec4, chunk, chunks } = threadChunking(rows, len);
  if (chunks === 1) {
    e.dispatch(prog({
      shader: 'reduce', label: `reduce_${op}`, defines: { ...defs, ROWT: true, VEC4: vec4 }, overrides: { WG: TWG },
      workgroups: grid(rows, TWG), }, [rows, len, len, 1, 1, scale]), [x.buffer], [out.buffer]);
    return out;
  }
  const partial = partialStates(op, x, rows, len);
  e.dispatch(prog({
    shader: 'reduce', label: `reduce_${op}_final`, defines: { ...defs, ROWT: true, IN_STATE: true }, overrides: { WG: TWG },
    workgroups: grid(rows, TWG), }, [rows, chunks, chunks, 1, 1, scale]), [partial.buffer], [out.buffer]);
  partial.dispose();
  return out;
}

/** How the thread-per-row path cuts rows: >= MIN_CHUNK elements a chunk, about THREADS threads. */
export function threadChunking(rows: number, len: number): { vec4: boolean; chunk: number; chunks: number } {
  const vec4 = len % 4 === 0;
  const want = Math.max(1, Math.min(Math.ceil(THREADS / Math.max(rows, 1)), Math.ceil(len / MIN_CHUNK)));
  let chunk = Math.max(1, Math.ceil(len / want));
  if (vec4) chunk = Math.ceil(chunk / 4) * 4;
  return { vec4, chunk, chunks: Math.max(1, Math.ceil(len / chunk)) };
}

/**
 * First pass of a chunked row reduction: states [rows, chunks] as vec2 (for logsumexp: max and
 * sum of exp(x - max)), chunked as threadChunking says. Also used by softmax.
 */
export function partialStates(op: ReduceOp, x: Tensor, rows: number, len: number): Tensor {
  const { vec4, chunk, chunks } = threadChunking(rows, len);
  const partial = empty([rows * chunks * 2], 'float32');
  const defs = { [`OP_${shaderOp(op)}`]: true, TO: reduceOutDtype(op) === 'int32' ? 'i32' : 'f32' };
  engine().dispatch(prog({
    shader: 'reduce', label: `reduce_${op}_partial`, defines: { ...defs, ROWT: true, VEC4: vec4, OUT_STATE: true }, overrides: { WG: TWG },
    workgroups: grid(rows * chunks, TWG), }, [rows, len, chunk, chunks, 1, 1]), [x.buffer], [partial.buffer]);
  return partial;
}

/** Programs this module may compile (for warmup). */
export function reducePrograms(op: ReduceOp): Program[] {
  const defs = { [`OP_${shaderOp(op)}`]: true, TO: reduceOutDtype(op) === 'int32' ? 'i32' : 'f32' };
  return [
    { shader: 'reduce', defines: { ...defs, COLS: true }, overrides: { WG }, workgroups: [1] },
    { shader: 'reduce', defines: { ...defs, ROWS: true }, overrides: { WG }, workgroups: [1] },
  ];
}

/** CPU reference (float64) over [outer, len, inner]. */
export function reduceRef(op: ReduceOp, x: ArrayLike<number>, outer: number, len: number, inner: number): Float64Array {
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const at = (k: number) => x[(o * len + k) * inner + j];
      let r: number;
      switch (op) {
        case 'sum': case 'mean': { r = 0; for (let k = 0; k < len; k++) r += at(k); if (op === 'mean') r /= len; break; }
        case 'prod': { r = 1; for (let k = 0; k < len; k++) r *= at(k); break; }
        case 'max': { r = -Infinity; for (let k = 0; k < len; k++) { const v = at(k); if (v > r || Number.isNaN(v)) r = v; if (Number.isNaN(r)) break; } break; }
        case 'min': { r = Infinity; for (let k = 0; k < len; k++) { const v = at(k); if (v < r || Number.isNaN(v)) r = v; if (Number.isNaN(r)) break; } break; }
        case 'argmax': case 'argmin': {
          let best = 0;
          for (let k = 1; k < len; k++) {
            const v = at(k), b = at(best);
            if (Number.isNaN(b)) break;
            if (Number.isNaN(v) || (op === 'argmax' ? v > b : v < b)) best = k;
          }
          r = best; break;
        }
        case 'logsumexp': {
          let m = -Infinity; for (let k = 0; k < len; k++) m = Math.max(m, at(k));
          if (!Number.isFinite(m)) { r = m; break; }
          let s = 0; for (let k = 0; k < len; k++) s += Math.exp(at(k) - m);
          r = m + Math.log(s); break;
        }
      }
      out[o * inner + j] = r;
    }
  }
  return out;
}

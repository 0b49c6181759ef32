// Skip-gram negative-sampling loss, forward and backward rows (shaders/skipgram.wgsl), and the
// deterministic segment sum of rows that scatters the embedding and skip-gram gradients into
// their tables (shaders/skipgram_segsum.wgsl). The lookup itself is kiln's gather (kernels/gather.ts).
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import { memo } from '../src/gpu/memo.ts';
import { empty, engine, type Tensor } from '../src/tensor.ts';

const WG = 64;

function build(fwd: boolean, b: number, k: number, d: number, v: number): Program {
  const vec4 = d % 4 === 0;
  return {
    shader: 'skipgram', label: fwd ? 'skipGramLoss' : 'skipGramLoss.backward',
    defines: { FWD: fwd, VEC4: vec4 },
    workgroups: grid(b, WG),
    uniforms: new Uniforms().u32(b, k, vec4 ? d / 4 : d, v),
  };
}

/**
 * Memoised Program for B examples with K negatives, dimension D, vocabulary V. Buffers: forward
 * (W_in, W_out, center [B], oid [B, K+1]) -> loss [B]; backward (..., g [B]) -> gin [B, D], gout [B, K+1, D].
 */
export const skipGramProgram = memo(build);

const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function row(w: ArrayLike<number>, r: number, d: number, v: number): number[] | null {
  if (r < 0 || r >= v) return null;
  return Array.from({ length: d }, (_, j) => w[r * d + j]);
}

function dotRows(a: number[] | null, b: number[] | null): number {
  if (!a || !b) return 0;
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

/** CPU reference, float64: loss [B] (center [B], context [B], negatives [B, K]; tables [V, D]). */
export function skipGramRef(win: ArrayLike<number>, wout: ArrayLike<number>, center: ArrayLike<number>, context: ArrayLike<number>, negatives: ArrayLike<number>, v: number, d: number): Float64Array {
  const b = center.length;
  const k = b ? negatives.length / b : 0;
  const out = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    const c = row(win, center[i], d, v);
    let l = softplus(-dotRows(row(wout, context[i], d, v), c));
    for (let q = 0; q < k; q++) l += softplus(dotRows(row(wout, negatives[i * k + q], d, v), c));
    out[i] = l;
  }
  return out;
}

/** CPU reference, float64: gradients of sum(g * loss) w.r.t. W_in and W_out ([V, D] each). */
export function skipGramGradRef(win: ArrayLike<number>, wout: ArrayLike<number>, center: ArrayLike<number>, context: ArrayLike<number>, negatives: ArrayLike<number>, g: ArrayLike<number>, v: number, d: number): { dWin: Float64Array; dWout: Float64Array } {
  const b = center.length;
  const k = b ? negatives.length / b : 0;
  const dWin = new Float64Array(v * d);
  const dWout = new Float64Array(v * d);
  for (let i = 0; i < b; i++) {
    const ci = center[i];
    const c = row(win, ci, d, v);
    if (!c) continue;
    const ids = [context[i], ...Array.from({ length: k }, (_, q) => negatives[i * k + q])];
    ids.forEach((r, q) => {
      const o = row(wout, r, d, v);
      if (!o) return;
      const a = q === 0 ? -g[i] * sigmoid(-dotRows(o, c)) : g[i] * sigmoid(dotRows(o, c));
      for (let j = 0; j < d; j++) {
        dWin[ci * d + j] += a * o[j];
        dWout[r * d + j] += a * c[j];
      }
    });
  }
  return { dWin, dWout };
}

/** CPU reference, float64: table[ids] ([...ids, D]; out-of-range ids give zero rows). */
export function embeddingRef(table: ArrayLike<number>, ids: ArrayLike<number>, v: number, d: number): Float64Array {
  const out = new Float64Array(ids.length * d);
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i];
    if (r < 0 || r >= v) continue;
    for (let j = 0; j < d; j++) out[i * d + j] = table[r * d + j];
  }
  return out;
}

// ---- deterministic segment sum of rows (shaders/skipgram_segsum.wgsl) ----

const BLOCK = 256;

const segsumProgram = memo((mode: string, m: number, v: number, d: number): Program => {
  const vec4 = d % 4 === 0 && d > 0;
  const dv = vec4 ? d / 4 : d;
  const nb = Math.max(1, Math.ceil(v / BLOCK));
  const threads: Record<string, number> = { COUNT: m, BLOCKSUM: nb, SCANBLOCKS: 1, OFFSETS: nb, FILL: m, RANK: m, SUM: m };
  return {
    shader: 'skipgram_segsum', label: `segmentSum.${mode.toLowerCase()}`,
    defines: { [mode]: true, VEC4: vec4 },
    workgroups: grid(threads[mode], WG), uniforms: new Uniforms().u32(m, v, dv, nb),
  };
});

/**
 * out [V, D]: out[r] = sum of the rows upd[i] ([M, D]) with ids[i] = r, added in increasing i
 * (bit-identical run to run, no float atomics); ids outside [0, V) are dropped. Seven dispatches:
 * counts, a blocked scan into row offsets, the items of each row in order, a sum per used row (its first item's thread).
 */
export function segmentSumRows(upd: Tensor, ids: Tensor, v: number): Tensor {
  const m = ids.size;
  const d = m ? upd.size / m : upd.shape[upd.rank - 1] ?? 0;
  const out = empty([v, d], 'float32');
  if (!out.size) return out;
  const e = engine();
  if (!m) {
    e.clear(out.buffer, out.size * 4);
    return out;
  }
  const nb = Math.max(1, Math.ceil(v / BLOCK));
  const cnt = empty([v + 1], 'uint32');
  const bsum = empty([nb + 1], 'uint32');
  const cursor = empty([v], 'uint32');
  const tmp = empty([m], 'uint32');
  const items = empty([m], 'uint32');
  e.clear(cnt.buffer, (v + 1) * 4);
  e.clear(cursor.buffer, v * 4);
  e.clear(out.buffer, out.size * 4); // rows without items stay zero
  const p = (mode: string) => segsumProgram(mode, m, v, d);
  e.dispatch(p('COUNT'), [ids.buffer], [cnt.buffer]);
  e.dispatch(p('BLOCKSUM'), [cnt.buffer], [bsum.buffer]);
  e.dispatch(p('SCANBLOCKS'), [], [bsum.buffer]);
  e.dispatch(p('OFFSETS'), [bsum.buffer], [cnt.buffer]);
  e.dispatch(p('FILL'), [ids.buffer, cnt.buffer], [cursor.buffer, tmp.buffer]);
  e.dispatch(p('RANK'), [ids.buffer, cnt.buffer, tmp.buffer], [items.buffer]);
  e.dispatch(p('SUM'), [upd.buffer, ids.buffer, cnt.buffer, items.buffer], [out.buffer]);
  for (const t of [cnt, bsum, cursor, tmp, items]) t.dispose();
  return out;
}

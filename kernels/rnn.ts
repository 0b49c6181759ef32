// Fused LSTM/GRU kernels and their float64 CPU references in PyTorch's layout. Forward: the
// per-step fused kernel (shaders/rnn_step.wgsl), the one-dispatch persistent loop (rnn.wgsl), and
// the elementwise cell behind kiln's matmul (rnn_cell.wgsl); BPTT: rnn_grad.wgsl (fused and
// persistent) and rnn_cell_grad.wgsl (matmul path). src/ops/rnn.grad.ts picks the path.
import { grid, Uniforms } from '../src/gpu/runtime.ts';
import { empty, engine, type Tensor } from '../src/tensor.ts';
import { copyProgram } from './copy.ts';

export type Cell = 'lstm' | 'gru';

/** Threads of the single workgroup that runs a whole sequence in one dispatch. */
export const PERSISTENT_WG = 256;
const WG = 64;

/**
 * Is one workgroup looping over time faster than one dispatch per step? One workgroup runs on
 * one core of a software adapter (and one SM of a GPU), so it wins while a step's work is small
 * next to a dispatch (~40 us on lavapipe). Thresholds from `npm run bench -- --filter lstm`
 * and bench/lab/rnn.ts.
 */
export function usePersistent(N: number, H: number, software: boolean): boolean {
  return software ? N * H <= 64 : N * H <= PERSISTENT_WG * 4;
}

/** Is the matmul path (tuned matmul per step + elementwise cell) faster than the fused step? */
export function useMatmul(N: number, H: number, software: boolean): boolean {
  return software ? N >= 4 : N * H >= 4096;
}

/** Sequences per invocation: each W_hh load serves this many (see shaders/rnn_step.wgsl). */
export function seqBlock(N: number): number {
  return N >= 4 ? 4 : N >= 2 ? 2 : 1;
}

export interface RnnForward {
  hs: Tensor;
  /** LSTM: cell states [T + 1, N, H] (slot 0 = c0) */
  cs: Tensor | null;
  /** post-activation gates [T, N, H, 4] when saved for the backward pass */
  gates: Tensor | null;
}

/**
 * Runs the recurrence over all T steps. xp [T, N, G*H]: input projections with biases (GRU:
 * without b_hh, which `c0OrBhh` carries), PyTorch gate order; whh [G*H, H] (PyTorch's W_hh);
 * h0, c0 [N, H]; lens int32 [N].
 */
export function rnnForward(cell: Cell, xp: Tensor, whh: Tensor, h0: Tensor, c0OrBhh: Tensor, lens: Tensor,
  T: number, N: number, H: number, save: boolean, persistent: boolean): RnnForward {
  const gru = cell === 'gru';
  const hs = empty([T, N, H], 'float32');
  const cs = gru ? null : empty([T + 1, N, H], 'float32');
  const gates = save ? empty([T, N, H, 4], 'float32') : null;
  const NB = seqBlock(N);
  const e = engine();
  const label = `${cell}Sequence`;
  if (persistent) {
    const outs = [hs, ...(cs ? [cs] : []), ...(gates ? [gates] : [])].map((t) => t.buffer);
    const defines = { GRU: gru, SAVE: save, VEC: H % 4 === 0, NB, B_GATES: 5 + outs.length - 1, B_U: 5 + outs.length };
    const ins = [xp.buffer, whh.buffer, h0.buffer, c0OrBhh.buffer, lens.buffer];
    e.dispatch({ shader: 'rnn', label, defines, overrides: { WG: PERSISTENT_WG }, workgroups: [1], uniforms: new Uniforms().u32(T, N, H, 0) }, ins, outs);
  } else {
    // h_{t-1} in its own read-only buffer: h0, then two scratch buffers in turn; cs slot 0 = c0
    if (cs) e.dispatch(copyProgram([N * H], [1], 0, [1], 0, 'copy'), [c0OrBhh.buffer], [cs.buffer]);
    const scratch = [empty([N, H], 'float32'), empty([N, H], 'float32')];
    const defines = { GRU: gru, SAVE: save, VEC: H % 4 === 0, NB, NB1: NB === 1 };
    const wg = grid(Math.ceil(N / NB) * H, WG);
    let prev = h0;
    for (let t = 0; t < T; t++) {
      const next = scratch[t % 2];
      const ins = gru ? [xp.buffer, whh.buffer, prev.buffer, c0OrBhh.buffer, lens.buffer] : [xp.buffer, whh.buffer, prev.buffer, lens.buffer];
      const o = gru ? [hs.buffer, next.buffer, ...(gates ? [gates.buffer] : [])] : [hs.buffer, cs!.buffer, next.buffer, ...(gates ? [gates.buffer] : [])];
      e.dispatch({ shader: 'rnn_step', label, defines, overrides: { WG }, workgroups: wg, uniforms: new Uniforms().u32(T, N, H, t) }, ins, o);
      prev = next;
    }
    for (const b of scratch) b.dispose();
  }
  return { hs, cs, gates };
}

/**
 * BPTT. up [T, N, H] = d loss / d hs; st: LSTM [4N, H] = (0, dcT, -, -), GRU [2N, H] = 0,
 * updated in place (LSTM slots 2, 3 end as dh0, dc0; GRU slot 1 as dh0). stateSeq: LSTM cs
 * [T + 1, N, H], GRU [h0; hs] [T + 1, N, H]. whh [G*H, H] as in the forward pass.
 * Returns d pre-activations [T, N, G*H] in PyTorch's gate order: hidden side (dgh) and, for
 * the GRU, the input side (dgx; the LSTM's are the same tensor).
 */
export function rnnBackward(cell: Cell, up: Tensor, gates: Tensor, stateSeq: Tensor, whh: Tensor, lens: Tensor, st: Tensor,
  T: number, N: number, H: number, persistent: boolean): { dgh: Tensor; dgx: Tensor } {
  const gru = cell === 'gru';
  const G = gru ? 3 : 4;
  const dgh = empty([T, N, G * H], 'float32');
  const dgx = gru ? empty([T, N, G * H], 'float32') : dgh;
  const outs = gru ? [dgx.buffer, dgh.buffer, st.buffer] : [dgh.buffer, st.buffer];
  const ins = [up.buffer, gates.buffer, stateSeq.buffer, whh.buffer, lens.buffer];
  const NB = seqBlock(N);
  const defines = { GRU: gru, PERSISTENT: persistent, NB };
  const e = engine();
  const label = `${cell}SequenceGrad`;
  if (persistent) {
    e.dispatch({ shader: 'rnn_grad', label, defines, overrides: { WG: PERSISTENT_WG }, workgroups: [1], uniforms: new Uniforms().u32(T, N, H).i32(0) }, ins, outs);
  } else {
    const wg = grid(Math.ceil(N / NB) * H, WG);
    for (let t = T - 1; t >= -1; t--) {
      e.dispatch({ shader: 'rnn_grad', label, defines, overrides: { WG }, workgroups: wg, uniforms: new Uniforms().u32(T, N, H).i32(t) }, ins, outs);
    }
  }
  return { dgh, dgx };
}

/**
 * The elementwise half of forward step t on the matmul path (shaders/rnn_cell.wgsl): hw [N, G*H]
 * = h_{t-1} W_hh^T; hst [N, H] holds h_{t-1} and is updated to h_t in place. cs [T + 1, N, H]
 * (LSTM) and gates [T, N, H, 4] (when saving) are written at step t.
 */
export function rnnCellStep(cell: Cell, t: number, xp: Tensor, hw: Tensor, c0OrBhh: Tensor, lens: Tensor,
  hs: Tensor, hst: Tensor, cs: Tensor | null, gates: Tensor | null, T: number, N: number, H: number): void {
  const gru = cell === 'gru';
  const outs = [hs.buffer, hst.buffer, ...(cs ? [cs.buffer] : []), ...(gates ? [gates.buffer] : [])];
  engine().dispatch({
    shader: 'rnn_cell', label: `${cell}Cell`, defines: { GRU: gru, SAVE: !!gates }, overrides: { WG },
    workgroups: grid(N * H, WG), uniforms: new Uniforms().u32(T, N, H, t),
  }, [xp.buffer, hw.buffer, c0OrBhh.buffer, lens.buffer], outs);
}

/**
 * The elementwise half of BPTT step t on the matmul path (shaders/rnn_cell_grad.wgsl): dhr
 * [N, H] = dg_{t+1} W_hh. Writes dg[t] ([T, N, G*H]; GRU: input side) and dgn [N, G*H] (hidden
 * side, for the next matmul); st carries dh (and dc) between steps.
 */
export function rnnCellGradStep(cell: Cell, t: number, up: Tensor, gates: Tensor, stateSeq: Tensor, dhr: Tensor, lens: Tensor,
  dg: Tensor, dgn: Tensor, st: Tensor, T: number, N: number, H: number): void {
  engine().dispatch({
    shader: 'rnn_cell_grad', label: `${cell}CellGrad`, defines: { GRU: cell === 'gru' }, overrides: { WG },
    workgroups: grid(N * H, WG), uniforms: new Uniforms().u32(T, N, H, t),
  }, [up.buffer, gates.buffer, stateSeq.buffer, dhr.buffer, lens.buffer], [dg.buffer, dgn.buffer, st.buffer]);
}

// ---- CPU references (float64, PyTorch layout) ---------------------------------------------------

export interface RnnRefParams {
  T: number; N: number; I: number; H: number;
  x: ArrayLike<number>; wIh: ArrayLike<number>; wHh: ArrayLike<number>;
  bIh?: ArrayLike<number>; bHh?: ArrayLike<number>;
  h0?: ArrayLike<number>; c0?: ArrayLike<number>;
  /** valid steps per sequence (default T): later steps carry the state and output zeros */
  lens?: ArrayLike<number>;
}

export interface RnnRefResult { hs: Float64Array; hT: Float64Array; cT: Float64Array | null }

const sig = (v: number) => 1 / (1 + Math.exp(-v));

function proj(w: ArrayLike<number>, b: ArrayLike<number> | undefined, v: ArrayLike<number>, vOff: number, rows: number, cols: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    let s = b ? b[r] : 0;
    for (let k = 0; k < cols; k++) s += w[r * cols + k] * v[vOff + k];
    out[r] = s;
  }
}

/** Forward reference for a whole (single-layer, forward-direction) sequence. */
export function rnnRef(cell: Cell, p: RnnRefParams): RnnRefResult & { trace: RnnTrace } {
  const { T, N, I, H } = p;
  const G = cell === 'lstm' ? 4 : 3;
  const h = Float64Array.from(p.h0 ?? new Float64Array(N * H));
  const c = Float64Array.from(p.c0 ?? new Float64Array(N * H));
  const hs = new Float64Array(T * N * H);
  const trace: RnnTrace = { gates: [], hprev: [], cprev: [], c: [], valid: [] };
  const gx = new Float64Array(G * H), gh = new Float64Array(G * H);
  for (let t = 0; t < T; t++) {
    const tg = new Float64Array(N * G * H), thp = Float64Array.from(h), tcp = Float64Array.from(c), tc = new Float64Array(N * H);
    const valid: boolean[] = [];
    for (let n = 0; n < N; n++) {
      const ok = t < (p.lens ? p.lens[n] : T);
      valid.push(ok);
      if (!ok) { tc.set(c.subarray(n * H, n * H + H), n * H); continue; }
      proj(p.wIh, p.bIh, p.x, (t * N + n) * I, G * H, I, gx);
      proj(p.wHh, p.bHh, thp, n * H, G * H, H, gh);
      for (let j = 0; j < H; j++) {
        const o = n * G * H;
        if (cell === 'lstm') {
          const i = sig(gx[j] + gh[j]), f = sig(gx[H + j] + gh[H + j]), g = Math.tanh(gx[2 * H + j] + gh[2 * H + j]), oo = sig(gx[3 * H + j] + gh[3 * H + j]);
          const cn = f * tcp[n * H + j] + i * g;
          c[n * H + j] = cn; tc[n * H + j] = cn;
          h[n * H + j] = oo * Math.tanh(cn);
          tg[o + j] = i; tg[o + H + j] = f; tg[o + 2 * H + j] = g; tg[o + 3 * H + j] = oo;
        } else {
          const r = sig(gx[j] + gh[j]), z = sig(gx[H + j] + gh[H + j]);
          const hn = gh[2 * H + j];
          const nn = Math.tanh(gx[2 * H + j] + r * hn);
          h[n * H + j] = (1 - z) * nn + z * thp[n * H + j];
          tg[o + j] = r; tg[o + H + j] = z; tg[o + 2 * H + j] = nn;
          tc[n * H + j] = hn; // GRU: keep W_hn h + b_hn for the backward pass
        }
      }
      for (let j = 0; j < H; j++) hs[(t * N + n) * H + j] = h[n * H + j];
    }
    trace.gates.push(tg); trace.hprev.push(thp); trace.cprev.push(tcp); trace.c.push(tc); trace.valid.push(valid);
  }
  return { hs, hT: h, cT: cell === 'lstm' ? c : null, trace };
}

export interface RnnTrace { gates: Float64Array[]; hprev: Float64Array[]; cprev: Float64Array[]; c: Float64Array[]; valid: boolean[][] }

export interface RnnRefGrads {
  x: Float64Array; wIh: Float64Array; wHh: Float64Array; bIh: Float64Array; bHh: Float64Array; h0: Float64Array; c0: Float64Array | null;
}

/**
 * Backward reference: gradients of sum(dhs * hs) + sum(dhT * hT) + sum(dcT * cT), where hs has
 * zeros past each sequence's length (their upstream is ignored).
 */
export function rnnGradRef(cell: Cell, p: RnnRefParams, up: { dhs?: ArrayLike<number>; dhT?: ArrayLike<number>; dcT?: ArrayLike<number> }): RnnRefGrads {
  const { T, N, I, H } = p;
  const G = cell === 'lstm' ? 4 : 3;
  const { trace } = rnnRef(cell, p);
  const g: RnnRefGrads = {
    x: new Float64Array(T * N * I), wIh: new Float64Array(G * H * I), wHh: new Float64Array(G * H * H),
    bIh: new Float64Array(G * H), bHh: new Float64Array(G * H), h0: new Float64Array(N * H), c0: cell === 'lstm' ? new Float64Array(N * H) : null,
  };
  const dh = Float64Array.from(up.dhT ?? new Float64Array(N * H));
  const dc = Float64Array.from(up.dcT ?? new Float64Array(N * H));
  const dax = new Float64Array(G * H), dah = new Float64Array(G * H);
  for (let t = T - 1; t >= 0; t--) {
    const tg = trace.gates[t], hp = trace.hprev[t], cp = trace.cprev[t], tc = trace.c[t];
    for (let n = 0; n < N; n++) {
      if (!trace.valid[t][n]) continue; // carried state: dh, dc pass through
      for (let j = 0; j < H; j++) dh[n * H + j] += up.dhs ? up.dhs[(t * N + n) * H + j] : 0;
      const o = n * G * H;
      for (let j = 0; j < H; j++) {
        const d = dh[n * H + j];
        if (cell === 'lstm') {
          const i = tg[o + j], f = tg[o + H + j], gg = tg[o + 2 * H + j], oo = tg[o + 3 * H + j];
          const th = Math.tanh(tc[n * H + j]);
          const dcc = dc[n * H + j] + d * oo * (1 - th * th);
          dax[j] = dcc * gg * i * (1 - i);
          dax[H + j] = dcc * cp[n * H + j] * f * (1 - f);
          dax[2 * H + j] = dcc * i * (1 - gg * gg);
          dax[3 * H + j] = d * th * oo * (1 - oo);
          dc[n * H + j] = dcc * f;
          dah[j] = dax[j]; dah[H + j] = dax[H + j]; dah[2 * H + j] = dax[2 * H + j]; dah[3 * H + j] = dax[3 * H + j];
        } else {
          const r = tg[o + j], z = tg[o + H + j], nn = tg[o + 2 * H + j], hn = tc[n * H + j];
          const dnp = d * (1 - z) * (1 - nn * nn);
          dax[j] = dnp * hn * r * (1 - r);
          dax[H + j] = d * (hp[n * H + j] - nn) * z * (1 - z);
          dax[2 * H + j] = dnp;
          dah[j] = dax[j]; dah[H + j] = dax[H + j]; dah[2 * H + j] = dnp * r;
        }
      }
      // dh_{t-1}: direct path (GRU z*dh) plus W_hh^T dah
      for (let k = 0; k < H; k++) {
        let s = cell === 'gru' ? dh[n * H + k] * tg[o + H + k] : 0;
        for (let r = 0; r < G * H; r++) s += dah[r] * p.wHh[r * H + k];
        dh[n * H + k] = s;
      }
      for (let r = 0; r < G * H; r++) {
        g.bIh[r] += dax[r]; g.bHh[r] += dah[r];
        for (let k = 0; k < I; k++) { g.wIh[r * I + k] += dax[r] * p.x[(t * N + n) * I + k]; g.x[(t * N + n) * I + k] += dax[r] * p.wIh[r * I + k]; }
        for (let k = 0; k < H; k++) g.wHh[r * H + k] += dah[r] * hp[n * H + k];
      }
    }
  }
  g.h0.set(dh);
  if (g.c0) g.c0.set(dc);
  return g;
}

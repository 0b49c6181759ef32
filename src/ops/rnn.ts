// Recurrent layers with fused WGSL cells: lstm / gru over whole sequences and single-step
// lstmCell / gruCell. Weights use PyTorch's layout and gate order, so they interchange with
// torch.nn.LSTM / nn.GRU: W_ih [G*H, I], W_hh [G*H, H], b_ih, b_hh [G*H], gate blocks LSTM
// (i, f, g, o), GRU (r, z, n) with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
//
// A sequence costs one matmul for the input projection of every step, then either one dispatch
// per step or, for small hidden sizes, a single dispatch that loops over time (see
// kernels/rnn.ts usePersistent); never a readback or per-step allocation.
import { Tensor, tidy, fmtShape } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { tensor, zeros } from './creation.ts';
import { add, mul } from './elementwise.ts';
import { gather, reshape, slice } from './movement.ts';
import { matMul } from './matmul.ts';
import { lstmCore, gruCore, type RnnPath } from './rnn.grad.ts';

export type { RnnPath };

/** Weights of one recurrent layer in PyTorch's layout (G = 4 for LSTM, 3 for GRU). */
export interface RnnWeights {
  /** [G*H, I] */
  wIh: Tensor;
  /** [G*H, H] */
  wHh: Tensor;
  /** [G*H], optional */
  bIh?: Tensor | null;
  /** [G*H], optional */
  bHh?: Tensor | null;
}

export interface RnnOptions {
  /** initial hidden state [N, H]; zeros by default */
  h0?: Tensor | null;
  /** LSTM initial cell state [N, H]; zeros by default */
  c0?: Tensor | null;
  /**
   * valid steps per sequence (N integers in [0, T]), like torch's pack_padded_sequence: outputs
   * past a sequence's length are zero and hT / cT are its state after its last valid step.
   */
  lengths?: ArrayLike<number> | null;
  /** run backwards in time (each sequence from its last valid step), outputs in input order */
  reverse?: boolean;
  /**
   * 'auto' (default) picks the fastest measured way for the shape: 'fused' (one dispatch per
   * step), 'persistent' (one dispatch for the whole sequence) or 'matmul' (kiln's matmul for the
   * recurrent product, then a fused cell: two dispatches per step, best for large batches)
   */
  path?: RnnPath;
}

interface Checked { T: number; N: number; I: number; H: number; lens: number[] | null }

function checkArgs(op: string, G: number, x: Tensor, w: RnnWeights, o: RnnOptions, hasC: boolean): Checked {
  assertTensor(op, 'x', x);
  assertDtype(op, 'x', x, ['float32']);
  if (x.rank !== 3) fail(op, `x must be time-major [T, N, I], got ${fmtShape(x.shape)} (for batch-first input use transpose(x, [1, 0, 2]))`);
  const [T, N, I] = x.shape;
  if (!w || typeof w !== 'object') fail(op, 'weights must be an object { wIh, wHh, bIh?, bHh? }');
  assertTensor(op, 'wIh', w.wIh);
  assertTensor(op, 'wHh', w.wHh);
  const rows = w.wIh.shape[0];
  if (w.wIh.rank !== 2 || rows % G !== 0 || rows === 0) fail(op, `wIh must be [${G}*H, I], got ${fmtShape(w.wIh.shape)}`);
  const H = rows / G;
  if (w.wIh.shape[1] !== I) fail(op, `wIh ${fmtShape(w.wIh.shape)} expects inputs of size ${w.wIh.shape[1]}, but x ${fmtShape(x.shape)} has I = ${I}`);
  if (w.wHh.rank !== 2 || w.wHh.shape[0] !== G * H || w.wHh.shape[1] !== H) fail(op, `wHh must be [${G * H}, ${H}] for hidden size ${H} (from wIh ${fmtShape(w.wIh.shape)}), got ${fmtShape(w.wHh.shape)}`);
  for (const [name, b] of [['bIh', w.bIh], ['bHh', w.bHh]] as const) {
    if (b == null) continue;
    assertTensor(op, name, b);
    if (b.rank !== 1 || b.shape[0] !== G * H) fail(op, `${name} must be [${G * H}], got ${fmtShape(b.shape)}`);
  }
  for (const [name, s] of [['h0', o.h0], ...(hasC ? [['c0', o.c0]] : [])] as [string, Tensor | null | undefined][]) {
    if (s == null) continue;
    assertTensor(op, name, s);
    if (s.rank !== 2 || s.shape[0] !== N || s.shape[1] !== H) fail(op, `${name} must be [N, H] = [${N}, ${H}], got ${fmtShape(s.shape)}`);
  }
  if (!hasC && o.c0 != null) fail(op, 'c0 is an LSTM option: a GRU has no cell state');
  if (T === 0) fail(op, `x ${fmtShape(x.shape)} has no time steps (T = 0)`);
  let lens: number[] | null = null;
  if (o.lengths != null) {
    lens = Array.from(o.lengths);
    if (lens.length !== N) fail(op, `lengths has ${lens.length} entries but x ${fmtShape(x.shape)} has N = ${N} sequences`);
    lens.forEach((l, n) => {
      if (!Number.isInteger(l) || l < 0 || l > T) fail(op, `lengths[${n}] = ${l}: lengths must be integers in [0, T = ${T}]`);
    });
  }
  const path = o.path ?? 'auto';
  if (!['auto', 'fused', 'persistent', 'matmul'].includes(path)) fail(op, `path must be 'auto', 'fused', 'persistent' or 'matmul', got ${JSON.stringify(path)}`);
  return { T, N, I, H, lens };
}

/** Per-sequence time reversal of the first lengths[n] steps, as a row index into [T*N, ...]. */
function reverseIndex(T: number, N: number, lens: number[] | null): Tensor {
  const idx = new Int32Array(T * N);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      const L = lens ? lens[n] : T;
      idx[t * N + n] = (t < L ? L - 1 - t : t) * N + n;
    }
  }
  return tensor(idx, [T * N], 'int32');
}

function sequence(op: 'lstm' | 'gru', x: Tensor, w: RnnWeights, o: RnnOptions): { hs: Tensor; hT: Tensor; cT?: Tensor } {
  const G = op === 'lstm' ? 4 : 3;
  const { T, N, I, H, lens } = checkArgs(op, G, x, w, o, op === 'lstm');
  return tidy(() => {
    const rev = o.reverse ? reverseIndex(T, N, lens) : null;
    let x2 = reshape(x, [T * N, I]);
    if (rev) x2 = gather(x2, rev);
    // input projection for all steps at once (the LSTM's two biases fold into it; the GRU's
    // b_hh goes to the kernel, since b_hn sits inside r * (W_hn h + b_hn))
    const bias = op === 'lstm' && w.bIh && w.bHh ? add(w.bIh, w.bHh) : op === 'lstm' ? (w.bIh ?? w.bHh ?? null) : (w.bIh ?? null);
    let proj = matMul(x2, w.wIh, false, true);
    if (bias) proj = add(proj, bias);
    const xp = reshape(proj, [T, N, G * H]);
    const h0 = o.h0 ?? zeros([N, H]);
    const lensT = tensor(Int32Array.from(lens ?? new Array(N).fill(T)), [N], 'int32');
    const path = o.path ?? 'auto';
    let hs: Tensor, cT: Tensor | undefined;
    if (op === 'lstm') {
      ({ hs, cT } = lstmCore(xp, w.wHh, h0, o.c0 ?? zeros([N, H]), lensT, path));
    } else {
      hs = gruCore(xp, w.wHh, w.bHh ?? zeros([G * H]), h0, lensT, path);
    }
    // after the carried steps, hs[T-1] is every sequence's final state
    const hT = reshape(slice(hs, [T - 1, 0, 0], [1, N, H]), [N, H]);
    if (lens && lens.some((l) => l < T)) {
      const mask = new Float32Array(T * N);
      for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) mask[t * N + n] = t < lens[n] ? 1 : 0;
      hs = mul(hs, tensor(mask, [T, N, 1]));
    }
    if (rev) hs = reshape(gather(reshape(hs, [T * N, H]), rev), [T, N, H]);
    return cT ? { hs, hT, cT } : { hs, hT };
  });
}

/**
 * A single-layer LSTM over a time-major sequence x [T, N, I] (torch.nn.LSTM with
 * batch_first=False, one layer, one direction). Returns hs [T, N, H], hT and cT [N, H].
 * Differentiable w.r.t. x, the weights and the initial states (backpropagation through time).
 * Stack layers and directions with kiln.nn.LSTM.
 */
export function lstm(x: Tensor, weights: RnnWeights, opts: RnnOptions = {}): { hs: Tensor; hT: Tensor; cT: Tensor } {
  return sequence('lstm', x, weights, opts) as { hs: Tensor; hT: Tensor; cT: Tensor };
}

/** A single-layer GRU over x [T, N, I] (torch.nn.GRU layout and equations). Returns hs, hT. */
export function gru(x: Tensor, weights: RnnWeights, opts: Omit<RnnOptions, 'c0'> = {}): { hs: Tensor; hT: Tensor } {
  return sequence('gru', x, weights, opts);
}

/** One LSTM step (torch.nn.LSTMCell): x [N, I], h, c [N, H] -> the next h and c. */
export function lstmCell(x: Tensor, h: Tensor, c: Tensor, weights: RnnWeights): { h: Tensor; c: Tensor } {
  assertTensor('lstmCell', 'x', x);
  if (x.rank !== 2) fail('lstmCell', `x must be [N, I], got ${fmtShape(x.shape)}`);
  return tidy(() => {
    const r = sequence('lstm', reshape(x, [1, ...x.shape]), weights, { h0: h, c0: c });
    return { h: r.hT, c: r.cT! };
  });
}

/** One GRU step (torch.nn.GRUCell): x [N, I], h [N, H] -> the next h. */
export function gruCell(x: Tensor, h: Tensor, weights: RnnWeights): Tensor {
  assertTensor('gruCell', 'x', x);
  if (x.rank !== 2) fail('gruCell', `x must be [N, I], got ${fmtShape(x.shape)}`);
  return tidy(() => sequence('gru', reshape(x, [1, ...x.shape]), weights, { h0: h }).hT);
}

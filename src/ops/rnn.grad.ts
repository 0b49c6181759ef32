// The two recurrent core ops and their gradients (backpropagation through time). They take the
// input projections of all steps (one matmul in src/ops/rnn.ts, whose own gradient rule carries
// the gradients on to x, W_ih and the biases) and PyTorch's W_hh as it is.
import { type Tensor, engine, empty } from '../tensor.ts';
import { record, tracking, noGrad } from '../autograd/tape.ts';
import { rnnForward, rnnBackward, rnnCellStep, rnnCellGradStep, usePersistent, useMatmul, type Cell, type RnnForward } from '../../kernels/rnn.ts';
import { checked } from './run.ts';
import { concat, reshape, slice } from './movement.ts';
import { zeros } from './creation.ts';
import { add, clone, mul } from './elementwise.ts';
import { matMul } from './matmul.ts';
import { sum } from './reduce.ts';

/**
 * How a sequence runs: 'fused' (one dispatch per step, the recurrent product inside it),
 * 'persistent' (one dispatch for the whole sequence), 'matmul' (per step kiln's tuned matmul for
 * the recurrent product, then a fused elementwise cell), or 'auto' (the fastest measured for
 * the shape and adapter; see kernels/rnn.ts).
 */
export type RnnPath = 'auto' | 'fused' | 'persistent' | 'matmul';
type Exec = Exclude<RnnPath, 'auto'>;

function execFor(path: RnnPath, N: number, H: number): Exec {
  if (path !== 'auto') return path;
  const sw = engine().info.isSoftware;
  if (usePersistent(N, H, sw)) return 'persistent';
  return useMatmul(N, H, sw) ? 'matmul' : 'fused';
}

/** [N, H] (or [1, N, H]) -> [T-1 first steps of hs] prefixed by h0: the h_{t-1} of every step. */
function previousStates(h0: Tensor, hs: Tensor, T: number, N: number, H: number): Tensor {
  const first = reshape(h0, [1, N, H]);
  return T === 1 ? first : concat([first, slice(hs, [0, 0, 0], [T - 1, N, H])], 0);
}

/** Forward recurrence by the chosen path (kernels see PyTorch's W_hh as it is). */
function forward(cell: Cell, exec: Exec, xp: Tensor, whh: Tensor, h0: Tensor, c0OrBhh: Tensor, lens: Tensor, T: number, N: number, H: number, save: boolean): RnnForward {
  if (exec !== 'matmul') return rnnForward(cell, xp, whh, h0, c0OrBhh, lens, T, N, H, save, exec === 'persistent');
  const hs = empty([T, N, H], 'float32');
  const cs = cell === 'lstm' ? empty([T + 1, N, H], 'float32') : null;
  const gates = save ? empty([T, N, H, 4], 'float32') : null;
  noGrad(() => {
    const hst = clone(h0);
    for (let t = 0; t < T; t++) {
      const hw = matMul(hst, whh, false, true);
      rnnCellStep(cell, t, xp, hw, c0OrBhh, lens, hs, hst, cs, gates, T, N, H);
      hw.dispose();
    }
    hst.dispose();
  });
  return { hs, cs, gates };
}

/**
 * BPTT by the chosen path. Returns the pre-activation gradients [T, N, G*H]: input side (dgx)
 * and hidden side (dgh; the same for the LSTM), and the initial-state gradients.
 */
function backward(cell: Cell, exec: Exec, up: Tensor, gates: Tensor, stateSeq: Tensor, whh: Tensor, lens: Tensor, dcT: Tensor | null,
  T: number, N: number, H: number): { dgx: Tensor; dgh: Tensor; dh0: Tensor; dc0: Tensor | null } {
  const lstm = cell === 'lstm';
  const G = lstm ? 4 : 3;
  const z = zeros([N, H]);
  if (exec !== 'matmul') {
    const st = lstm ? concat([z, dcT ?? z, z, z], 0) : concat([z, z], 0);
    const { dgh, dgx } = rnnBackward(cell, up, gates, stateSeq, whh, lens, st, T, N, H, exec === 'persistent');
    return { dgx, dgh, dh0: slice(st, [(lstm ? 2 : 1) * N, 0], [N, H]), dc0: lstm ? slice(st, [3 * N, 0], [N, H]) : null };
  }
  const st = lstm ? concat([z, dcT ?? z], 0) : clone(z);
  const dg = empty([T, N, G * H], 'float32');
  const dgn = empty([N, G * H], 'float32');
  for (let t = T - 1; t >= 0; t--) {
    const dhr = t === T - 1 ? z : matMul(dgn, whh);
    rnnCellGradStep(cell, t, up, gates, stateSeq, dhr, lens, dg, dgn, st, T, N, H);
    if (dhr !== z) dhr.dispose();
  }
  const dh0 = add(slice(st, [0, 0], [N, H]), matMul(dgn, whh));
  const dc0 = lstm ? slice(st, [N, 0], [N, H]) : null;
  if (lstm) return { dgx: dg, dgh: dg, dh0, dc0 };
  // the hidden side differs from the input side in the n block only: times r
  const r = reshape(slice(gates, [0, 0, 0, 0], [T, N, H, 1]), [T, N, H]);
  const dgh = concat([slice(dg, [0, 0, 0], [T, N, 2 * H]), mul(slice(dg, [0, 0, 2 * H], [T, N, H]), r)], 2);
  return { dgx: dg, dgh, dh0, dc0 };
}

/**
 * LSTM recurrence. xp [T, N, 4H] (x W_ih^T + b_ih + b_hh), whh [4H, H] (W_hh), h0, c0 [N, H],
 * lens int32 [N]. Returns hs [T, N, H] (carried past each length) and cT [N, H].
 */
export function lstmCore(xp: Tensor, whh: Tensor, h0: Tensor, c0: Tensor, lens: Tensor, path: RnnPath): { hs: Tensor; cT: Tensor } {
  const [T, N] = xp.shape;
  const H = whh.shape[1];
  const exec = execFor(path, N, H);
  const save = tracking(xp, whh, h0, c0);
  const f = forward('lstm', exec, xp, whh, h0, c0, lens, T, N, H, save);
  const cs = f.cs!;
  const hs = checked(f.hs, 'lstm');
  const cT = reshape(slice(cs, [T, 0, 0], [1, N, H]), [N, H]);
  if (!save) { cs.dispose(); return { hs, cT }; }
  const gates = f.gates!;
  record('lstm', [xp, whh, h0, c0], [hs, cT], ([dhs, dcT], needs) => {
    const { dgh, dh0, dc0 } = backward('lstm', exec, dhs ?? zeros([T, N, H]), gates, cs, whh, lens, dcT, T, N, H);
    const dWhh = needs[1] ? matMul(reshape(dgh, [T * N, 4 * H]), reshape(previousStates(h0, hs, T, N, H), [T * N, H]), true, false) : null;
    return [dgh, dWhh, needs[2] ? dh0 : null, needs[3] ? dc0 : null];
  }, [gates, cs, lens]);
  return { hs, cT };
}

/**
 * GRU recurrence. xp [T, N, 3H] (x W_ih^T + b_ih), whh [3H, H] (W_hh), bhh [3H] (b_hh),
 * h0 [N, H], lens int32 [N]. Returns hs [T, N, H].
 */
export function gruCore(xp: Tensor, whh: Tensor, bhh: Tensor, h0: Tensor, lens: Tensor, path: RnnPath): Tensor {
  const [T, N] = xp.shape;
  const H = whh.shape[1];
  const exec = execFor(path, N, H);
  const save = tracking(xp, whh, bhh, h0);
  const f = forward('gru', exec, xp, whh, h0, bhh, lens, T, N, H, save);
  const hs = checked(f.hs, 'gru');
  if (!save) return hs;
  const gates = f.gates!;
  return record('gru', [xp, whh, bhh, h0], hs, ([dhs], needs) => {
    const hsx = concat([reshape(h0, [1, N, H]), hs], 0);
    const { dgx, dgh, dh0 } = backward('gru', exec, dhs ?? zeros([T, N, H]), gates, hsx, whh, lens, null, T, N, H);
    const dgh2 = reshape(dgh, [T * N, 3 * H]);
    const dWhh = needs[1] ? matMul(dgh2, reshape(slice(hsx, [0, 0, 0], [T, N, H]), [T * N, H]), true, false) : null;
    return [dgx, dWhh, needs[2] ? sum(dgh2, 0) : null, needs[3] ? dh0 : null];
  }, [gates, lens]);
}

export type { Cell };

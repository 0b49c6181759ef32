// Connectionist temporal classification loss (torch.nn.functional.ctc_loss semantics), and
// the CTC decoders (src/ops/ctc_decode.ts). The gradient w.r.t. logProbs is the true partial
// derivative -dy * gamma (posterior occupancy), so logSoftmax -> ctcLoss differentiates like
// torch's logits gradient through its log_softmax.
import { Tensor, fmtShape, engine } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { tensor } from './creation.ts';
import { checked } from './run.ts';
import { record, tracking } from '../autograd/tape.ts';
import { ctcForward, ctcReduce, ctcBackward, ctcStatus, type CtcConfig, type CtcReduction } from '../../kernels/ctc.ts';

export { ctcGreedyDecode, ctcBeamSearch, type CtcPath, type CtcGreedyOptions, type CtcBeamOptions } from './ctc_decode.ts';

export interface CtcLossOptions {
  /** class id of the blank (default 0) */
  blank?: number;
  /** 'mean' (default: each loss divided by its target length, then averaged), 'sum' or 'none' ([N]) */
  reduction?: CtcReduction;
  /** zero the loss and gradient of sequences with no possible alignment (default false: +Infinity) */
  zeroInfinity?: boolean;
}

/** int32 values given as a tensor, or as plain numbers (checked here and uploaded). */
export type CtcIntsLike = Tensor | ArrayLike<number>;

const OP = 'ctcLoss';

function isNested(x: unknown): x is ArrayLike<number>[] {
  return Array.isArray(x) && x.length > 0 && typeof x[0] === 'object' && x[0] !== null;
}

/** Plain integer values of `x` (checked), or null when it is a tensor (checked on the GPU). */
function ints(name: string, x: CtcIntsLike, n: number | null, T?: number): ArrayLike<number> | null {
  if (x instanceof Tensor) {
    assertTensor(OP, name, x);
    assertDtype(OP, name, x, ['int32']);
    if (n !== null && (x.rank !== 1 || x.shape[0] !== n)) fail(OP, `${name} has shape ${fmtShape(x.shape)}; expected [${n}] (one per sequence of logProbs [T, N, C])`);
    return null;
  }
  if (x === null || typeof x !== 'object' || typeof (x as ArrayLike<number>).length !== 'number') fail(OP, `${name} must be an int32 tensor or an array of integers, got ${x === null ? 'null' : typeof x}`);
  if (n !== null && x.length !== n) fail(OP, `${name} has ${x.length} values; expected ${n} (one per sequence of logProbs [T, N, C])`);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isInteger(v) || v < 0) fail(OP, `${name}[${i}] is ${v}; lengths must be non-negative integers`);
    if (T !== undefined && v > T) fail(OP, `${name}[${i}] is ${v}, longer than the ${T} time steps of logProbs [T, N, C]; lengths must be <= T`);
  }
  return x;
}

function checkLabels(labels: ArrayLike<number>, at: (i: number) => string, C: number, blank: number): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0 || v >= C) fail(OP, `targets${at(i)} is ${v}, not a class id in [0, ${C}) of logProbs [T, N, ${C}]`);
    if (v === blank) fail(OP, `targets${at(i)} is the blank (${blank}); targets hold labels only (padding past a target length is ignored)`);
  }
}

/**
 * CTC loss of log-probabilities `logProbs` [T, N, C] (time-major, e.g. from kiln.logSoftmax)
 * against `targets`, like torch.nn.functional.ctc_loss.
 *
 * - targets: int32 [N, S_max] padded (row n's first targetLengths[n] labels are used) or
 *   [sum(targetLengths)] concatenated; plain arrays work too (nested rows: padded, flat:
 *   concatenated).
 * - inputLengths, targetLengths: [N], int32 tensors or arrays of integers.
 * - Sequences with no alignment (too few frames for the labels and their repeats) have loss
 *   +Infinity and no gradient; `zeroInfinity` makes their loss 0. checkNumerics does not flag
 *   that +Infinity, only NaN from invalid lengths or labels held in tensors (values given as
 *   arrays are checked here and throw a KilnOpError).
 *
 * Gradients flow to logProbs only.
 */
export function ctcLoss(logProbs: Tensor, targets: Tensor | ArrayLike<number> | ArrayLike<number>[], inputLengths: CtcIntsLike, targetLengths: CtcIntsLike, opts: CtcLossOptions = {}): Tensor {
  assertTensor(OP, 'logProbs', logProbs);
  assertDtype(OP, 'logProbs', logProbs, ['float32']);
  if (logProbs.rank !== 3) fail(OP, `logProbs has shape ${fmtShape(logProbs.shape)}; expected [T, N, C] (time-major; transpose a [N, T, C] batch with kiln.transpose(x, [1, 0, 2]))`);
  const [T, N, C] = logProbs.shape;
  const blank = opts.blank ?? 0;
  const reduction = opts.reduction ?? 'mean';
  const zeroInfinity = opts.zeroInfinity ?? false;
  if (!Number.isInteger(blank) || blank < 0 || blank >= C) fail(OP, `blank ${blank} is not a class id in [0, ${C}) of logProbs ${fmtShape(logProbs.shape)}`);
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') fail(OP, `reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
  const il = ints('inputLengths', inputLengths, N, T);
  const tl = ints('targetLengths', targetLengths, N);

  // targets: layout, and the CPU checks that plain values allow
  let concat: boolean;
  let smax: number;
  let tgValues: ArrayLike<number> | null = null;
  if (targets instanceof Tensor) {
    assertTensor(OP, 'targets', targets);
    assertDtype(OP, 'targets', targets, ['int32']);
    if (targets.rank === 2) {
      if (targets.shape[0] !== N) fail(OP, `padded targets ${fmtShape(targets.shape)} must have one row per sequence: [${N}, S_max] for logProbs ${fmtShape(logProbs.shape)}`);
      concat = false;
      smax = targets.shape[1];
    } else if (targets.rank === 1) {
      concat = true;
      smax = targets.shape[0];
    } else {
      fail(OP, `targets has shape ${fmtShape(targets.shape)}; expected [N, S_max] (padded) or [sum(targetLengths)] (concatenated)`);
    }
  } else if (isNested(targets)) {
    if (targets.length !== N) fail(OP, `targets has ${targets.length} rows; expected ${N} (one per sequence of logProbs ${fmtShape(logProbs.shape)})`);
    concat = false;
    smax = Math.max(0, ...targets.map((r) => r.length));
    const flat = new Int32Array(N * smax);
    targets.forEach((r, n) => { for (let i = 0; i < r.length; i++) flat[n * smax + i] = r[i]; });
    targets.forEach((r, n) => checkLabels(r, (i) => `[${n}][${i}]`, C, blank));
    tgValues = flat;
  } else {
    if (targets === null || typeof targets !== 'object' || typeof (targets as ArrayLike<number>).length !== 'number') fail(OP, `targets must be an int32 tensor or an array of labels, got ${targets === null ? 'null' : typeof targets}`);
    concat = true;
    smax = targets.length;
    tgValues = targets as ArrayLike<number>;
  }
  if (tl) {
    let off = 0;
    for (let n = 0; n < N; n++) {
      const s = tl[n];
      if (!concat && s > smax) fail(OP, `targetLengths[${n}] is ${s}, longer than the ${smax} columns of padded targets [${N}, ${smax}]`);
      if (concat && off + s > smax) fail(OP, `targetLengths sum to ${Array.from(tl).reduce((a, b) => a + b, 0)} (through sequence ${n}), more than the ${smax} concatenated targets`);
      if (tgValues && concat) checkLabels(Array.prototype.slice.call(tgValues, off, off + s), (i) => `[${off + i}] (sequence ${n})`, C, blank);
      if (tgValues && !concat && !isNested(targets)) checkLabels(Array.prototype.slice.call(tgValues, n * smax, n * smax + s), (i) => `[${n}][${i}]`, C, blank);
      off += s;
    }
  }

  const keep = tracking(logProbs);
  const cfg: CtcConfig = { T, N, C, blank, smax, concat, zeroInfinity, reduction, keep };
  const own: Tensor[] = [];
  const upload = (v: ArrayLike<number>, shape: number[]) => { const t = tensor(Int32Array.from(v), shape, 'int32'); own.push(t); return t; };
  const tg = tgValues ? upload(tgValues, concat ? [smax] : [N, smax]) : (targets as Tensor);
  const ilT = il ? upload(il, [N]) : (inputLengths as Tensor);
  const tlT = tl ? upload(tl, [N]) : (targetLengths as Tensor);

  const f = ctcForward(logProbs, tg, ilT, tlT, cfg);
  const e = engine();
  if (e.checkNumerics) {
    const st = ctcStatus(f, cfg);
    checked(st, OP);
    st.dispose();
  }
  let loss: Tensor;
  if (reduction === 'none') {
    loss = f.nll;
  } else {
    loss = ctcReduce(f, cfg);
    f.nll.dispose();
  }
  if (keep) {
    // the saved tensors belong to the tape now: the gradient function disposes them with the step
    return record(OP, [logProbs], loss, ([dy]) => [checked(ctcBackward(logProbs, tg, f, dy!, cfg), `${OP}.grad`)], [tg, f.meta, f.alpha]);
  }
  f.meta.dispose();
  f.alpha.dispose();
  for (const t of own) t.dispose();
  return loss;
}

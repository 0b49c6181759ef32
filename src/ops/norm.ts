// Normalisation, NHWC (channel last): batchNorm (given statistics; tfjs signature),
// batchNormTrain (batch statistics, running-stat update as torch), instanceNorm and
// conditionalInstanceNorm (Dumoulin et al.: per-style gamma/beta tables, by id or mixed).
// Two passes: a statistics kernel per (group, channel), then normalise + scale + shift (+ an
// optional fused relu/relu6). Gradient rules: src/ops/norm.grad.ts.
import { Tensor, empty, engine, fmtShape, tidy, type Shape } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { checked } from './run.ts';
import { batchNormProgram } from '../../kernels/batchnorm.ts';
import { normForward, normChunks, type NormAct, type NormDims } from '../../kernels/instance_norm.ts';
import { recordBatchNorm, recordNorm } from './norm.grad.ts';
import { noGrad, tracking } from '../autograd/tape.ts';
import * as R from './reduce.ts';
import { gather, reshape } from './movement.ts';
import { matMul } from './matmul.ts';
import * as E from './elementwise.ts';
import type { Variable } from '../autograd/variable.ts';

export type { NormAct };

function checkAct(op: string, act: unknown): NormAct {
  if (act === undefined || act === null || act === 'none' || act === 'linear') return 'none';
  if (act === 'relu' || act === 'relu6') return act;
  return fail(op, `activation must be 'relu', 'relu6' or 'none', got ${JSON.stringify(act)}`);
}

/** A per-channel parameter: C values (shape [C], or [..., C] with every other dim 1). */
function channelParam(op: string, name: string, t: Tensor | undefined | null, C: number, xShape: Shape): Tensor | null {
  if (t === undefined || t === null) return null;
  assertTensor(op, name, t);
  assertDtype(op, name, t, ['float32']);
  const ok = t.size === C && (t.rank === 0 ? C === 1 : t.shape[t.rank - 1] === C) && t.rank <= xShape.length;
  if (!ok) fail(op, `'${name}' has shape ${fmtShape(t.shape)}; expected [${C}] (one value per channel of x ${fmtShape(xShape)}, channels last)`);
  return t;
}

/**
 * Batch normalisation with given statistics (tf.batchNorm; inference): over the last axis,
 * y = (x - mean) / sqrt(variance + varianceEpsilon) * scale + offset. The parameters are [C]
 * (or [..., C] with ones elsewhere). `activation` fuses relu or relu6. Gradients flow to x,
 * mean, variance, offset and scale.
 */
export function batchNorm(x: Tensor, mean: Tensor, variance: Tensor, offset?: Tensor | null, scale?: Tensor | null, varianceEpsilon = 0.001, activation?: NormAct): Tensor {
  const op = 'batchNorm';
  assertTensor(op, 'x', x);
  assertDtype(op, 'x', x, ['float32']);
  if (x.rank < 1) fail(op, 'x needs a channel axis (shape [..., C])');
  const C = x.shape[x.rank - 1];
  const m = channelParam(op, 'mean', mean, C, x.shape)!;
  const v = channelParam(op, 'variance', variance, C, x.shape)!;
  if (!m || !v) fail(op, 'mean and variance are required');
  const o = channelParam(op, 'offset', offset, C, x.shape);
  const s = channelParam(op, 'scale', scale, C, x.shape);
  if (typeof varianceEpsilon !== 'number' || !(varianceEpsilon >= 0)) fail(op, `varianceEpsilon must be a non-negative number, got ${varianceEpsilon}`);
  const act = checkAct(op, activation);
  const y = empty(x.shape, 'float32');
  if (y.size) {
    engine().dispatch(batchNormProgram(x.size, C, varianceEpsilon, !!o, !!s, act),
      [x.buffer, m.buffer, v.buffer, (o ?? x).buffer, (s ?? x).buffer], [y.buffer]);
  }
  checked(y, op);
  return recordBatchNorm(x, m, v, o, s, varianceEpsilon, act, y);
}

/**
 * Normalise x viewed as [G, L, C] over L per (g, c): the shared core of instanceNorm (G = N),
 * conditionalInstanceNorm and batchNormTrain (G = 1). gamma/beta are [G, C] when perGroup.
 * Returns y and its statistics (planar [2, G, C]: mean, 1/sqrt(var + eps)); the caller disposes
 * them unless `tracked` (then the tape keeps them for the backward pass).
 */
function normalize(op: string, x: Tensor, G: number, L: number, C: number, gamma: Tensor | null, beta: Tensor | null,
  perGroup: boolean, eps: number, act: NormAct): { y: Tensor; stats: Tensor; tracked: boolean } {
  if (L === 0) fail(op, `cannot normalise over an empty axis (x ${fmtShape(x.shape)})`);
  const d: NormDims = { g: G, l: L, c: C, perGroup, hasGamma: !!gamma, hasBeta: !!beta, eps, act };
  const e = engine();
  const stats = empty([2 * G * C], 'float32');
  const y = empty(x.shape, 'float32');
  if (y.size) {
    const plan = normForward(d);
    if (plan.partial) {
      const part = empty([G * normChunks(G, L, C).k * C * 2], 'float32');
      e.dispatch(plan.partial, [x.buffer], [part.buffer]);
      e.dispatch(plan.stats, [part.buffer], [stats.buffer]);
      part.dispose();
    } else {
      e.dispatch(plan.stats, [x.buffer], [stats.buffer]);
    }
    e.dispatch(plan.apply, [x.buffer, stats.buffer, (gamma ?? x).buffer, (beta ?? x).buffer], [y.buffer]);
  }
  checked(y, op);
  const tracked = tracking(x, gamma ?? undefined, beta ?? undefined);
  return { y: tracked ? recordNorm(op, x, gamma, beta, d, stats, y) : y, stats, tracked };
}

function checkNHWC(op: string, x: Tensor): [number, number, number, number] {
  assertTensor(op, 'x', x);
  assertDtype(op, 'x', x, ['float32']);
  if (x.rank !== 4) fail(op, `x must be NHWC (rank 4), got shape ${fmtShape(x.shape)}`);
  return x.shape as unknown as [number, number, number, number];
}

function checkEps(op: string, eps: number): void {
  if (typeof eps !== 'number' || !(eps >= 0)) fail(op, `eps must be a non-negative number, got ${eps}`);
}

/**
 * Instance normalisation (Ulyanov et al.), NHWC: for each (n, c), mean and biased variance over
 * H, W; y = gamma * (x - mean) / sqrt(var + eps) + beta. gamma/beta are [C] (optional).
 */
export function instanceNorm(x: Tensor, gamma?: Tensor | null, beta?: Tensor | null, eps = 1e-5, activation?: NormAct): Tensor {
  const op = 'instanceNorm';
  const [N, H, W, C] = checkNHWC(op, x);
  checkEps(op, eps);
  const g = channelParam(op, 'gamma', gamma, C, x.shape);
  const b = channelParam(op, 'beta', beta, C, x.shape);
  const { y, stats, tracked } = normalize(op, x, N, H * W, C, g, b, false, eps, checkAct(op, activation));
  if (!tracked) stats.dispose();
  return y;
}

export interface StyleOptions {
  /** int32 [N]: the style of each sample (a row of the tables) */
  styleIds?: Tensor;
  /** [N, S]: mixing weights of the styles per sample (rows usually sum to 1) */
  styleWeights?: Tensor;
}

/**
 * Conditional instance normalisation (Dumoulin et al., "A learned representation for artistic
 * style"): instance norm whose gamma/beta come from tables [S, C], one row per style, picked by
 * `styleIds` [N] or mixed by `styleWeights` [N, S] (gamma[n] = styleWeights[n] @ gammaTable).
 * Gradients flow to x, both tables and styleWeights.
 */
export function conditionalInstanceNorm(x: Tensor, gammaTable: Tensor, betaTable: Tensor, style: StyleOptions, eps = 1e-5, activation?: NormAct): Tensor {
  const op = 'conditionalInstanceNorm';
  const [N, H, W, C] = checkNHWC(op, x);
  checkEps(op, eps);
  for (const [name, t] of [['gammaTable', gammaTable], ['betaTable', betaTable]] as const) {
    assertTensor(op, name, t);
    assertDtype(op, name, t, ['float32']);
    if (t.rank !== 2 || t.shape[1] !== C) fail(op, `'${name}' has shape ${fmtShape(t.shape)}; expected [S, ${C}] (one row per style, one column per channel of x ${fmtShape(x.shape)})`);
  }
  const S = gammaTable.shape[0];
  if (betaTable.shape[0] !== S) fail(op, `gammaTable ${fmtShape(gammaTable.shape)} and betaTable ${fmtShape(betaTable.shape)} must have the same number of styles`);
  if (!style || (!style.styleIds === !style.styleWeights)) fail(op, 'pass exactly one of { styleIds } (int32 [N]) or { styleWeights } ([N, S])');
  let gm: Tensor, bt: Tensor;
  if (style.styleIds) {
    const ids = style.styleIds;
    assertTensor(op, 'styleIds', ids);
    assertDtype(op, 'styleIds', ids, ['int32']);
    if (ids.rank !== 1 || ids.shape[0] !== N) fail(op, `styleIds has shape ${fmtShape(ids.shape)}; expected [${N}] (one style per sample)`);
    gm = gather(gammaTable, ids);
    bt = gather(betaTable, ids);
  } else {
    const w = style.styleWeights!;
    assertTensor(op, 'styleWeights', w);
    assertDtype(op, 'styleWeights', w, ['float32']);
    if (w.rank !== 2 || w.shape[0] !== N || w.shape[1] !== S) fail(op, `styleWeights has shape ${fmtShape(w.shape)}; expected [${N}, ${S}] (samples x styles)`);
    gm = matMul(w, gammaTable);
    bt = matMul(w, betaTable);
  }
  const { y, stats, tracked } = normalize(op, x, N, H * W, C, gm, bt, true, eps, checkAct(op, activation));
  if (!tracked) { stats.dispose(); gm.dispose(); bt.dispose(); }
  return y;
}

export interface BatchNormTrainOptions {
  gamma?: Tensor | null;
  beta?: Tensor | null;
  /** updated in place (Variable.assign) with the batch mean: (1 - momentum) * running + momentum * batch */
  runningMean?: Variable | null;
  /** updated in place with the unbiased batch variance (torch semantics) */
  runningVar?: Variable | null;
  /** torch's convention: the weight of the new batch statistics (default 0.1) */
  momentum?: number;
  eps?: number;
  activation?: NormAct;
}

/**
 * Batch normalisation with batch statistics (training mode), channel last: mean and biased
 * variance over every axis but the last; y = gamma * (x - mean) / sqrt(var + eps) + beta.
 * The gradient flows through the batch statistics. Running statistics, when given, are updated
 * in place as torch does (unbiased variance, weight `momentum` on the new batch).
 */
export function batchNormTrain(x: Tensor, opts: BatchNormTrainOptions = {}): Tensor {
  const op = 'batchNormTrain';
  assertTensor(op, 'x', x);
  assertDtype(op, 'x', x, ['float32']);
  if (x.rank < 2) fail(op, `x needs a batch and a channel axis (shape [N, ..., C]), got ${fmtShape(x.shape)}`);
  const C = x.shape[x.rank - 1];
  const L = x.size / Math.max(C, 1);
  const eps = opts.eps ?? 1e-5;
  checkEps(op, eps);
  const momentum = opts.momentum ?? 0.1;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) fail(op, `momentum must be in [0, 1], got ${momentum}`);
  const g = channelParam(op, 'gamma', opts.gamma, C, x.shape);
  const b = channelParam(op, 'beta', opts.beta, C, x.shape);
  const rm = channelParam(op, 'runningMean', opts.runningMean, C, x.shape);
  const rv = channelParam(op, 'runningVar', opts.runningVar, C, x.shape);
  const { y, stats, tracked } = normalize(op, x, 1, L, C, g, b, false, eps, checkAct(op, opts.activation));
  if (rm || rv) {
    // torch: running = (1 - momentum) * running + momentum * batch (unbiased variance)
    noGrad(() => tidy(() => {
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const mean = R.mean(x, axes);
      const unbiased = E.mul(R.mean(E.squaredDifference(x, mean), axes), L > 1 ? L / (L - 1) : 1);
      const upd = (r: Variable, batch: Tensor) => r.assign(reshape(E.add(E.mul(r, 1 - momentum), E.mul(batch, momentum)), r.shape));
      if (rm) upd(rm as Variable, mean);
      if (rv) upd(rv as Variable, unbiased);
    }));
  }
  if (!tracked) stats.dispose();
  return y;
}

// Learning-rate schedules: functions from the optimizer's step (the number of updates made so
// far: 0 for the first) to a learning rate. Every optimizer takes one wherever it takes a
// learning rate. Formulas follow tf.keras.optimizers.schedules and torch.optim.lr_scheduler.
import { fail } from '../ops/util.ts';

/** A learning rate as a function of the step (0 for the first update). */
export type Schedule = (step: number) => number;
/** A fixed learning rate or a schedule. */
export type LearningRate = number | Schedule;

function check(op: string, cond: boolean, msg: string): void {
  if (!cond) fail(op, msg);
}

/** lr at every step. */
export function constant(lr: number): Schedule {
  check('constant', Number.isFinite(lr) && lr >= 0, `lr must be a finite number >= 0, got ${lr}`);
  return () => lr;
}

/**
 * lr * decayRate^(step / decaySteps), or decayRate^floor(step / decaySteps) with `staircase`
 * (tf.keras ExponentialDecay).
 */
export function exponentialDecay(lr: number, decaySteps: number, decayRate: number, staircase = false): Schedule {
  check('exponentialDecay', decaySteps > 0, `decaySteps must be > 0, got ${decaySteps}`);
  check('exponentialDecay', decayRate > 0, `decayRate must be > 0, got ${decayRate}`);
  return (step) => {
    const p = step / decaySteps;
    return lr * decayRate ** (staircase ? Math.floor(p) : p);
  };
}

/** lr * gamma^floor(step / stepSize) (torch StepLR, counted in steps). */
export function stepDecay(lr: number, stepSize: number, gamma = 0.1): Schedule {
  check('stepDecay', Number.isInteger(stepSize) && stepSize > 0, `stepSize must be a positive integer, got ${stepSize}`);
  return (step) => lr * gamma ** Math.floor(step / stepSize);
}

/**
 * values[0] while step <= boundaries[0], values[1] while boundaries[0] < step <= boundaries[1],
 * ..., values[n] after the last boundary (tf.keras PiecewiseConstantDecay).
 */
export function piecewiseConstant(boundaries: number[], values: number[]): Schedule {
  check('piecewiseConstant', values.length === boundaries.length + 1, `needs one more value than boundaries, got ${boundaries.length} boundaries and ${values.length} values`);
  check('piecewiseConstant', boundaries.every((b, i) => i === 0 || b > boundaries[i - 1]), `boundaries must increase, got [${boundaries.join(', ')}]`);
  return (step) => {
    for (let i = 0; i < boundaries.length; i++) if (step <= boundaries[i]) return values[i];
    return values[boundaries.length];
  };
}

export interface CosineDecayOptions {
  /** the floor, as a fraction of lr (default 0) */
  alpha?: number;
  /** steps of linear warmup from 0 to lr before the decay starts (default 0) */
  warmupSteps?: number;
}

/**
 * Linear warmup, then cosine decay:
 *   step < W:  lr * step / W
 *   else:      s = min(step - W, decaySteps);  lr * ((1 - alpha) * (1 + cos(pi * s / decaySteps)) / 2 + alpha)
 * (tf.keras CosineDecay with the warmup of the usual transformer recipes, which start at 0).
 */
export function cosineDecay(lr: number, decaySteps: number, opts: CosineDecayOptions = {}): Schedule {
  const alpha = opts.alpha ?? 0;
  const warm = opts.warmupSteps ?? 0;
  check('cosineDecay', decaySteps > 0, `decaySteps must be > 0, got ${decaySteps}`);
  check('cosineDecay', alpha >= 0 && alpha <= 1, `alpha must be in [0, 1], got ${alpha}`);
  check('cosineDecay', warm >= 0, `warmupSteps must be >= 0, got ${warm}`);
  return (step) => {
    if (step < warm) return (lr * step) / warm;
    const s = Math.min(step - warm, decaySteps);
    return lr * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * s) / decaySteps)) + alpha);
  };
}

/** The learning rate at `step`; throws unless it is a finite number >= 0. */
export function resolveLr(op: string, lr: LearningRate, step: number): number {
  const v = typeof lr === 'function' ? lr(step) : lr;
  check(op, typeof v === 'number' && Number.isFinite(v) && v >= 0, `the learning rate at step ${step} is ${v}; it must be a finite number >= 0`);
  return v;
}

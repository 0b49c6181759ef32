// The first-order optimizers, with PyTorch's update rules (torch.optim) and tfjs's names
// (tf.train.*). Each is one fused kernel variant in shaders/optim.wgsl; the formulas are written
// out per factory below and in docs/optim.md.
import { fail } from '../ops/util.ts';
import type { UpdateHyper, UpdateKind, UpdateVariant } from '../../kernels/optim.ts';
import { Optimizer, type OptimizerConfig } from './optimizer.ts';
import type { LearningRate } from './schedules.ts';

function need(op: string, ok: boolean, msg: string): void {
  if (!ok) fail(op, msg);
}

const nonNeg = (op: string, name: string, v: number) => need(op, Number.isFinite(v) && v >= 0, `${name} must be a finite number >= 0, got ${v}`);
const unit = (op: string, name: string, v: number) => need(op, v >= 0 && v < 1, `${name} must be in [0, 1), got ${v}`);

export interface SGDConfig extends OptimizerConfig {
  /** L2 penalty: g += weightDecay * p (default 0) */
  weightDecay?: number;
}

/** Plain SGD: p -= lr * (g + weightDecay * p). */
export class SGDOptimizer extends Optimizer {
  protected readonly kind: UpdateKind = 'sgd';
  readonly weightDecay: number;
  constructor(lr: LearningRate, config: SGDConfig = {}) {
    super('sgd', lr, config);
    this.weightDecay = config.weightDecay ?? 0;
    nonNeg('sgd', 'weightDecay', this.weightDecay);
  }
  protected variant(): UpdateVariant { return {}; }
  protected hyper(lr: number): UpdateHyper { return { lr, weightDecay: this.weightDecay }; }
}

export interface MomentumConfig extends SGDConfig {
  nesterov?: boolean;
  /** dampening of the gradient in the buffer (default 0) */
  dampening?: number;
}

/**
 * SGD with momentum, PyTorch's formulas (torch.optim.SGD):
 *   g = g + weightDecay * p
 *   buf = g on the first step, else momentum * buf + (1 - dampening) * g
 *   p -= lr * (nesterov ? g + momentum * buf : buf)
 * With dampening 0 this is also tf.train.momentum.
 */
export class MomentumOptimizer extends Optimizer {
  protected readonly kind: UpdateKind = 'momentum';
  readonly weightDecay: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  constructor(lr: LearningRate, readonly momentum: number, config: MomentumConfig = {}) {
    super('momentum', lr, config);
    this.weightDecay = config.weightDecay ?? 0;
    this.dampening = config.dampening ?? 0;
    this.nesterov = config.nesterov ?? false;
    nonNeg('momentum', 'momentum', momentum);
    nonNeg('momentum', 'weightDecay', this.weightDecay);
    nonNeg('momentum', 'dampening', this.dampening);
    if (this.nesterov) need('momentum', momentum > 0 && this.dampening === 0, 'Nesterov momentum needs momentum > 0 and dampening 0 (as in PyTorch)');
  }
  protected variant(): UpdateVariant { return {}; }
  protected hyper(lr: number): UpdateHyper {
    return { lr, weightDecay: this.weightDecay, momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov };
  }
}

export interface AdamConfig extends OptimizerConfig {
  /** keep the running maximum of v and normalise by it (AMSGrad) */
  amsgrad?: boolean;
  /** adam: L2 penalty added to the gradient; adamw: decoupled decay (see adamw) */
  weightDecay?: number;
}

/**
 * Adam and AdamW, PyTorch's formulas (torch.optim.Adam / AdamW), t the variable's step:
 *   adam:  g = g + weightDecay * p          adamw:  p = p * (1 - lr * weightDecay)
 *   m = beta1 * m + (1 - beta1) * g
 *   v = beta2 * v + (1 - beta2) * g^2
 *   vmax = max(vmax, v)  (amsgrad; then v below is vmax)
 *   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * The bias corrections are computed in float64 on the CPU and passed as uniforms.
 */
export class AdamOptimizer extends Optimizer {
  protected readonly kind: UpdateKind = 'adam';
  readonly amsgrad: boolean;
  readonly weightDecay: number;
  constructor(lr: LearningRate, readonly beta1: number, readonly beta2: number, readonly eps: number, readonly decoupled: boolean, config: AdamConfig = {}) {
    const op = decoupled ? 'adamw' : 'adam';
    super(op, lr, config);
    this.amsgrad = config.amsgrad ?? false;
    this.weightDecay = config.weightDecay ?? (decoupled ? 1e-2 : 0);
    unit(op, 'beta1', beta1);
    unit(op, 'beta2', beta2);
    nonNeg(op, 'eps', eps);
    nonNeg(op, 'weightDecay', this.weightDecay);
  }
  protected variant(): UpdateVariant { return { amsgrad: this.amsgrad }; }
  protected hyper(lr: number, t: number): UpdateHyper {
    return {
      lr,
      weightDecay: this.decoupled ? 0 : this.weightDecay,
      decay: this.decoupled ? 1 - lr * this.weightDecay : 1,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      stepSize: lr / (1 - this.beta1 ** t),
      bc2Sqrt: Math.sqrt(1 - this.beta2 ** t),
    };
  }
}

export interface RMSPropConfig extends OptimizerConfig {
  /** smoothing constant of the running averages (PyTorch's alpha; default 0.99) */
  alpha?: number;
  /** tfjs's name for alpha */
  rho?: number;
  momentum?: number;
  eps?: number;
  centered?: boolean;
  weightDecay?: number;
}

/**
 * RMSprop, PyTorch's formulas (torch.optim.RMSprop; eps outside the square root):
 *   g = g + weightDecay * p
 *   sq = alpha * sq + (1 - alpha) * g^2
 *   centered: ga = alpha * ga + (1 - alpha) * g;  avg = sqrt(max(sq - ga^2, 0)) + eps
 *   else:     avg = sqrt(sq) + eps
 *   momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf
 *   else:         p -= lr * g / avg
 */
export class RMSPropOptimizer extends Optimizer {
  protected readonly kind: UpdateKind = 'rmsprop';
  readonly alpha: number;
  readonly momentum: number;
  readonly eps: number;
  readonly centered: boolean;
  readonly weightDecay: number;
  constructor(lr: LearningRate, config: RMSPropConfig = {}) {
    super('rmsprop', lr, config);
    if (config.alpha !== undefined && config.rho !== undefined && config.alpha !== config.rho) fail('rmsprop', `alpha (${config.alpha}) and rho (${config.rho}) name the same constant; pass one`);
    this.alpha = config.alpha ?? config.rho ?? 0.99;
    this.momentum = config.momentum ?? 0;
    this.eps = config.eps ?? 1e-8;
    this.centered = config.centered ?? false;
    this.weightDecay = config.weightDecay ?? 0;
    unit('rmsprop', 'alpha', this.alpha);
    nonNeg('rmsprop', 'momentum', this.momentum);
    nonNeg('rmsprop', 'eps', this.eps);
    nonNeg('rmsprop', 'weightDecay', this.weightDecay);
  }
  protected variant(): UpdateVariant { return { centered: this.centered, momentum: this.momentum > 0 }; }
  protected hyper(lr: number): UpdateHyper {
    return { lr, weightDecay: this.weightDecay, alpha: this.alpha, eps: this.eps, momentum: this.momentum };
  }
}

export interface AdagradConfig extends OptimizerConfig {
  /** lr / (1 + (t - 1) * lrDecay) at step t (default 0) */
  lrDecay?: number;
  weightDecay?: number;
  /** starting value of the sum of squares (default 0; tfjs uses 0.1) */
  initialAccumulatorValue?: number;
  eps?: number;
}

/**
 * Adagrad, PyTorch's formulas (torch.optim.Adagrad):
 *   g = g + weightDecay * p;  sum += g^2;  p -= lr / (1 + (t - 1) * lrDecay) * g / (sqrt(sum) + eps)
 */
export class AdagradOptimizer extends Optimizer {
  protected readonly kind: UpdateKind = 'adagrad';
  readonly lrDecay: number;
  readonly weightDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;
  constructor(lr: LearningRate, config: AdagradConfig = {}) {
    super('adagrad', lr, config);
    this.lrDecay = config.lrDecay ?? 0;
    this.weightDecay = config.weightDecay ?? 0;
    this.initialAccumulatorValue = config.initialAccumulatorValue ?? 0;
    this.eps = config.eps ?? 1e-10;
    nonNeg('adagrad', 'lrDecay', this.lrDecay);
    nonNeg('adagrad', 'weightDecay', this.weightDecay);
    nonNeg('adagrad', 'initialAccumulatorValue', this.initialAccumulatorValue);
    nonNeg('adagrad', 'eps', this.eps);
  }
  protected variant(): UpdateVariant { return {}; }
  protected override initialState(): number { return this.initialAccumulatorValue; }
  protected hyper(lr: number, t: number): UpdateHyper {
    return { lr: lr / (1 + (t - 1) * this.lrDecay), weightDecay: this.weightDecay, eps: this.eps };
  }
}

/** Stochastic gradient descent (tf.train.sgd, torch.optim.SGD without momentum). */
export function sgd(lr: LearningRate, config?: SGDConfig): SGDOptimizer {
  return new SGDOptimizer(lr, config);
}

/**
 * SGD with momentum (tf.train.momentum; torch.optim.SGD with momentum). The third argument is
 * tfjs's useNesterov or a config.
 */
export function momentum(lr: LearningRate, momentum = 0.9, config?: MomentumConfig | boolean): MomentumOptimizer {
  return new MomentumOptimizer(lr, momentum, typeof config === 'boolean' ? { nesterov: config } : config);
}

/** Adam (tf.train.adam; torch.optim.Adam), PyTorch's defaults. weightDecay is an L2 penalty. */
export function adam(lr: LearningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, config?: AdamConfig): AdamOptimizer {
  return new AdamOptimizer(lr, beta1, beta2, eps, false, config);
}

/** AdamW (torch.optim.AdamW): Adam with decoupled weight decay p *= 1 - lr * weightDecay. */
export function adamw(lr: LearningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 1e-2, config?: Omit<AdamConfig, 'weightDecay'>): AdamOptimizer {
  return new AdamOptimizer(lr, beta1, beta2, eps, true, { ...config, weightDecay });
}

/** RMSprop (torch.optim.RMSprop; tf.train.rmsprop's decay is `rho`/`alpha`), PyTorch's defaults. */
export function rmsprop(lr: LearningRate = 1e-2, config?: RMSPropConfig): RMSPropOptimizer {
  return new RMSPropOptimizer(lr, config);
}

/** Adagrad (tf.train.adagrad; torch.optim.Adagrad), PyTorch's defaults. */
export function adagrad(lr: LearningRate = 1e-2, config?: AdagradConfig): AdagradOptimizer {
  return new AdagradOptimizer(lr, config);
}

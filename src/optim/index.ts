// Optimizers (src/optim): fused GPU updates, learning-rate schedules, gradient clipping, L-BFGS.
export { Optimizer, type GradientList, type OptimizerConfig, type MinimizeOptions, type NamedTensor } from './optimizer.ts';
export {
  SGDOptimizer, MomentumOptimizer, AdamOptimizer, RMSPropOptimizer, AdagradOptimizer,
  sgd, momentum, adam, adamw, rmsprop, adagrad,
  type SGDConfig, type MomentumConfig, type AdamConfig, type RMSPropConfig, type AdagradConfig,
} from './optimizers.ts';
export { LBFGS, lbfgs, type LBFGSConfig, type ValueAndGrads } from './lbfgs.ts';
export { clipByGlobalNorm, globalNorm } from './clip.ts';
export { exponentialDecay, stepDecay, piecewiseConstant, cosineDecay, type Schedule, type LearningRate, type CosineDecayOptions } from './schedules.ts';
import * as schedulesNs from './schedules.ts';
import { sgd, momentum, adam, adamw, rmsprop, adagrad } from './optimizers.ts';
import { lbfgs } from './lbfgs.ts';

/** Learning-rate schedules, including `constant` (also exported one by one but for it). */
export const schedules = {
  constant: schedulesNs.constant,
  exponentialDecay: schedulesNs.exponentialDecay,
  stepDecay: schedulesNs.stepDecay,
  piecewiseConstant: schedulesNs.piecewiseConstant,
  cosineDecay: schedulesNs.cosineDecay,
};

/** The optimizers under tfjs's namespace: kiln.train.adam(...) as tf.train.adam(...). */
export const train = { sgd, momentum, adam, adamw, rmsprop, adagrad, lbfgs };

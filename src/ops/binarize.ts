// The codec's binarizer as an op: b = sign-like quantisation of x in [-1, 1] to {-1, +1}, with the
// straight-through gradient of Toderici et al. (db/dx = 1: the expected value of the stochastic
// binarizer is x, so its derivative is passed through unchanged).
import { Tensor } from '../tensor.ts';
import { binarizeProgram } from '../../kernels/binarize.ts';
import { record } from '../autograd/tape.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { run } from './run.ts';

export interface BinarizeOptions {
  /** draw b = +1 with probability (1 + x) / 2 (training); default false: b = +1 where x >= 0 */
  stochastic?: boolean;
  /** seed of the stochastic draw (same seed, same bits); required when stochastic */
  seed?: number;
}

/**
 * Quantise x (expected in [-1, 1], e.g. a tanh output) to -1 / +1. Deterministic by default;
 * `{ stochastic: true, seed }` samples b with E[b] = clamp(x, -1, 1). Gradient: straight through.
 */
export function binarize(x: Tensor, opts: BinarizeOptions = {}): Tensor {
  assertTensor('binarize', 'x', x);
  assertDtype('binarize', 'x', x, ['float32']);
  const stochastic = opts.stochastic ?? false;
  if (stochastic && !(Number.isInteger(opts.seed) && opts.seed! >= 0 && opts.seed! <= 0xffffffff)) {
    fail('binarize', `stochastic binarization needs an integer seed in [0, 2^32), got ${opts.seed}: pass { stochastic: true, seed: step }`);
  }
  const y = run(binarizeProgram(x.size, stochastic, stochastic ? opts.seed! : 0), [x], x.shape, 'float32');
  return record('binarize', [x], y, ([dy]) => [dy]);
}

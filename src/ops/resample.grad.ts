// Gradient of the nearest-neighbour resize: each input pixel sums the upstream gradient of the
// output pixels that copied it (shaders/resample.wgsl NEAREST_GRAD; a gather, no atomics).
import type { Tensor } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { run } from './run.ts';
import { resizeNearestProgram } from '../../kernels/resample.ts';

export function recordResizeNearest(x: Tensor, y: Tensor): Tensor {
  if (!tracking(x)) return y;
  const [N, H, W, C] = x.shape;
  const [, oh, ow] = y.shape;
  return record('resizeNearestNeighbor', [x], y, ([dy]) => [run(resizeNearestProgram(N, H, W, C, oh, ow, true), [dy!], x.shape, 'float32')]);
}

// Gradients of avgPool and maxPool: one thread per input gathers dy over the windows covering it
// (shaders/pool.wgsl AVG_GRAD / MAX_GRAD); maxPool keeps the forward pass's argmax indices.
import type { Tensor } from '../tensor.ts';
import { record } from '../autograd/tape.ts';
import { run } from './run.ts';
import { poolGradProgram, type PoolGeom, type PoolMode } from '../../kernels/pool.ts';

export function recordPool(mode: PoolMode, x: Tensor, g: PoolGeom, y: Tensor, idx: Tensor | null): Tensor {
  return record(`${mode}Pool`, [x], y, ([dy]) => [
    run(poolGradProgram(mode, g), idx ? [dy!, idx] : [dy!], x.shape, 'float32'),
  ], idx ? [idx] : []);
}

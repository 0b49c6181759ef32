// Gradient of the nearest-neighbour resize: each input pixel sums the upstream gradient of the
// output pixels that copied it (shaders/resample.wgsl NEAREST_GRAD; a gather, no atomics).
import { empty, engine, type Tensor } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { run } from './run.ts';
import { resizeNearestProgram, nearestMaps } from '../../kernels/resample.ts';

/** The int32 source/range tables for alignCorners / halfPixelCenters (a new tensor). */
export function nearestMapsTensor(inH: number, inW: number, outH: number, outW: number, alignCorners: boolean, halfPixelCenters: boolean): Tensor {
  const m = nearestMaps(inH, inW, outH, outW, alignCorners, halfPixelCenters);
  const t = empty([m.length], 'int32', true);
  engine().write(t.buffer, m);
  return t;
}

export function recordResizeNearest(x: Tensor, y: Tensor, flags: { alignCorners: boolean; halfPixelCenters: boolean }): Tensor {
  if (!tracking(x)) return y;
  const [N, H, W, C] = x.shape;
  const [, oh, ow] = y.shape;
  const general = flags.alignCorners || flags.halfPixelCenters;
  return record('resizeNearestNeighbor', [x], y, ([dy]) => {
    if (!general) return [run(resizeNearestProgram(N, H, W, C, oh, ow, true, false), [dy!], x.shape, 'float32')];
    const maps = nearestMapsTensor(H, W, oh, ow, flags.alignCorners, flags.halfPixelCenters);
    const dx = run(resizeNearestProgram(N, H, W, C, oh, ow, true, true), [dy!, maps], x.shape, 'float32');
    maps.dispose();
    return [dx];
  });
}

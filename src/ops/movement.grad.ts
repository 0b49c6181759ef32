// Gradient rules of the data-movement ops. Index inputs (gather, unsortedSegmentSum) have none.
import { Tensor, sizeOf, InternalTensorCache, type Shape } from '../tensor.ts';
import { record, tracking, noGrad } from '../autograd/tape.ts';
import { sumToShape } from '../autograd/shape.ts';
import { padRef, type PadMode } from '../../kernels/pad.ts';
import * as M from './movement.ts';
import { tensor } from './creation.ts';

const live = (x: Tensor, y: Tensor) => tracking(x) && y.dtype === 'float32';

/** reshape, expandDims, squeeze: the gradient is dy in the input's shape. */
export function recordReshape(op: string, x: Tensor, y: Tensor): Tensor {
  if (!live(x, y)) return y;
  return record(op, [x], y, ([dy]) => [M.reshape(dy!, x.shape)]);
}

export function recordTranspose(x: Tensor, perm: number[], y: Tensor): Tensor {
  if (!live(x, y)) return y;
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return record('transpose', [x], y, ([dy]) => [M.transpose(dy!, inv)]);
}

export function recordSlice(x: Tensor, begin: number[], y: Tensor): Tensor {
  if (!live(x, y)) return y;
  return record('slice', [x], y, ([dy]) => [M.pad(dy!, x.shape.map((d, i) => [begin[i], d - begin[i] - y.shape[i]] as [number, number]))]);
}

export function recordConcat(xs: Tensor[], axis: number, y: Tensor): Tensor {
  if (!xs.some((x) => tracking(x)) || y.dtype !== 'float32') return y;
  return record('concat', xs, y, ([dy], needs) => {
    let offset = 0;
    return xs.map((x, k) => {
      const begin = x.shape.map((_, i) => (i === axis ? offset : 0));
      offset += x.shape[axis];
      return needs[k] ? M.slice(dy!, begin, [...x.shape]) : null;
    });
  });
}

export function recordBroadcastTo(x: Tensor, y: Tensor): Tensor {
  if (!live(x, y)) return y;
  return record('broadcastTo', [x], y, ([dy]) => [sumToShape(dy!, x.shape)]);
}

// Reflect/symmetric padding reads some inputs several times: its gradient scatter-adds dy back
// through the index map of the padding (which input element each output came from). The map is
// built once per (shape, pads, mode) on the CPU and kept on the GPU as an internal tensor, so a
// training step (style transfer pads every layer) uploads nothing.
const PAD_MAPS = new InternalTensorCache(16);

function padIndexMap(shape: Shape, before: number[], outShape: Shape, mode: PadMode): Tensor {
  return PAD_MAPS.get(`${shape}|${before}|${outShape}|${mode}`, () => {
    const ids = new Float64Array(sizeOf(shape));
    for (let k = 0; k < ids.length; k++) ids[k] = k;
    const map = Int32Array.from(padRef(ids, shape, before, outShape, mode, -1));
    return noGrad(() => tensor(map, [map.length], 'int32'));
  });
}

export function recordPad(x: Tensor, paddings: [number, number][], mode: PadMode, y: Tensor): Tensor {
  if (!live(x, y)) return y;
  return record('pad', [x], y, ([dy]) => {
    if (mode === 'constant') return [M.slice(dy!, paddings.map((p) => p[0]), [...x.shape])];
    const idx = padIndexMap(x.shape, paddings.map((p) => p[0]), y.shape, mode);
    return [M.reshape(M.unsortedSegmentSum(M.reshape(dy!, [idx.size]), idx, x.size), x.shape)];
  });
}

/** gather: scatter-add dy into the gathered rows (the indices get no gradient). */
export function recordGather(x: Tensor, indices: Tensor, axis: number, y: Tensor): Tensor {
  if (!live(x, y)) return y;
  return record('gather', [x, indices], y, ([dy]) => {
    const n = x.shape[axis];
    const k = indices.size;
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const flatIdx = M.reshape(indices, [k]);
    if (outer === 1) {
      return [M.reshape(M.unsortedSegmentSum(M.reshape(dy!, [k, inner]), flatIdx, n), x.shape), null];
    }
    // move the gathered axis first: [k, outer, inner] -> scatter -> [n, outer, inner] -> back
    const d3 = M.transpose(M.reshape(dy!, [outer, k, inner]), [1, 0, 2]);
    const s = M.unsortedSegmentSum(d3, flatIdx, n);
    return [M.reshape(M.transpose(s, [1, 0, 2]), x.shape), null];
  });
}

/** unsortedSegmentSum: each update row receives the gradient of the row it was added to. */
export function recordSegmentSum(updates: Tensor, indices: Tensor, y: Tensor): Tensor {
  if (!live(updates, y)) return y;
  return record('unsortedSegmentSum', [updates, indices], y, ([dy]) => {
    const g = M.gather(dy!, M.reshape(indices, [indices.size]), 0);
    return [M.reshape(g, updates.shape), null];
  });
}


// Resampling, NHWC: resizeNearestNeighbor and resizeBilinear (tfjs), upsampleNearest (integer
// scale factors), depthToSpace / spaceToDepth (TensorFlow's DCR order). Gradient rules:
// resample.grad.ts (resizeBilinear's is recorded below, next to the op).
import { Tensor, fmtShape, empty, engine } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { run } from './run.ts';
import { resizeNearestProgram, resizeBilinearProgram, bilinearMaps } from '../../kernels/resample.ts';
import { record, tracking } from '../autograd/tape.ts';
import { nearestMapsTensor } from './resample.grad.ts';
import { reshape, transpose } from './movement.ts';
import { recordResizeNearest } from './resample.grad.ts';

function checkNHWC(op: string, x: Tensor): [number, number, number, number] {
  assertTensor(op, 'x', x);
  if (x.rank !== 4) fail(op, `x must be NHWC (rank 4), got shape ${fmtShape(x.shape)}`);
  return x.shape as unknown as [number, number, number, number];
}

/** Shared argument checks of the resizes: [N, H, W, C, newH, newW]. */
function checkResize(op: string, x: Tensor, size: [number, number], alignCorners: boolean, halfPixelCenters: boolean): [number, number, number, number, number, number] {
  const [N, H, W, C] = checkNHWC(op, x);
  assertDtype(op, 'x', x, ['float32']);
  if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d > 0)) {
    fail(op, `size must be [newHeight, newWidth] (positive integers), got ${JSON.stringify(size)}`);
  }
  if (typeof alignCorners !== 'boolean' || typeof halfPixelCenters !== 'boolean') fail(op, 'alignCorners and halfPixelCenters must be booleans');
  if (alignCorners && halfPixelCenters) fail(op, 'alignCorners and halfPixelCenters cannot both be true (as tf)');
  if (H === 0 || W === 0) fail(op, `cannot resize an empty image (x ${fmtShape(x.shape)})`);
  return [N, H, W, C, size[0], size[1]];
}

/**
 * Nearest-neighbour resize of NHWC images to [newHeight, newWidth] (tf.image.resizeNearestNeighbor).
 * By default output row i reads row floor(i*H/newH); alignCorners and halfPixelCenters pick the
 * source rows as tfjs does (kernels/resample.ts nearestSource).
 */
export function resizeNearestNeighbor(x: Tensor, size: [number, number], alignCorners = false, halfPixelCenters = false): Tensor {
  const op = 'resizeNearestNeighbor';
  const [N, H, W, C, oh, ow] = checkResize(op, x, size, alignCorners, halfPixelCenters);
  const flags = { alignCorners, halfPixelCenters };
  if (!alignCorners && !halfPixelCenters) return recordResizeNearest(x, run(resizeNearestProgram(N, H, W, C, oh, ow, false, false), [x], [N, oh, ow, C], 'float32'), flags);
  const maps = nearestMapsTensor(H, W, oh, ow, alignCorners, halfPixelCenters);
  const y = run(resizeNearestProgram(N, H, W, C, oh, ow, false, true), [x, maps], [N, oh, ow, C], 'float32');
  maps.dispose();
  return recordResizeNearest(x, y, flags);
}

/** The int32 tables of kernels/resample.ts bilinearMaps (a new tensor). */
function bilinearMapsTensor(inH: number, inW: number, outH: number, outW: number, alignCorners: boolean, halfPixelCenters: boolean): Tensor {
  const m = bilinearMaps(inH, inW, outH, outW, alignCorners, halfPixelCenters);
  const t = empty([m.length], 'int32', true);
  engine().write(t.buffer, m);
  return t;
}

/**
 * Bilinear resize of NHWC images to [newHeight, newWidth] (tf.image.resizeBilinear): output pixel
 * (i, j) samples the input at (i * sh, j * sw), sh = H / newH (alignCorners: (H - 1) / (newH - 1);
 * halfPixelCenters: (i + 0.5) * sh - 0.5, clamped at the border), interpolating along x, then y.
 * The gradient gathers dy times the interpolation weights into each input pixel (no atomics).
 */
export function resizeBilinear(x: Tensor, size: [number, number], alignCorners = false, halfPixelCenters = false): Tensor {
  const op = 'resizeBilinear';
  const [N, H, W, C, oh, ow] = checkResize(op, x, size, alignCorners, halfPixelCenters);
  const maps = bilinearMapsTensor(H, W, oh, ow, alignCorners, halfPixelCenters);
  const y = run(resizeBilinearProgram(N, H, W, C, oh, ow, false), [x, maps], [N, oh, ow, C], 'float32');
  maps.dispose();
  if (!tracking(x)) return y;
  return record(op, [x], y, ([dy]) => {
    const m = bilinearMapsTensor(H, W, oh, ow, alignCorners, halfPixelCenters);
    const dx = run(resizeBilinearProgram(N, H, W, C, oh, ow, true), [dy!, m], x.shape, 'float32');
    m.dispose();
    return [dx];
  });
}

/** Nearest-neighbour upsampling by integer factors (torch's F.interpolate(mode='nearest')): [N, H*sh, W*sw, C]. */
export function upsampleNearest(x: Tensor, scale: number | [number, number]): Tensor {
  const op = 'upsampleNearest';
  const [, H, W] = checkNHWC(op, x);
  const [sh, sw] = typeof scale === 'number' ? [scale, scale] : Array.isArray(scale) && scale.length === 2 ? scale : [NaN, NaN];
  if (!Number.isInteger(sh) || !Number.isInteger(sw) || sh < 1 || sw < 1) fail(op, `scale must be a positive integer or [sh, sw] of them, got ${JSON.stringify(scale)}`);
  return resizeNearestNeighbor(x, [H * sh, W * sw]);
}

/** Moves blocks of channels into space (tf.depthToSpace, NHWC, DCR): [N, H, W, C] -> [N, H*b, W*b, C/(b*b)]. */
export function depthToSpace(x: Tensor, blockSize: number): Tensor {
  const op = 'depthToSpace';
  const [N, H, W, C] = checkNHWC(op, x);
  const b = blockSize;
  if (!Number.isInteger(b) || b < 2) fail(op, `blockSize must be an integer >= 2, got ${b}`);
  if (C % (b * b)) fail(op, `the channels of x ${fmtShape(x.shape)} (${C}) must be divisible by blockSize^2 = ${b * b}`);
  const oc = C / (b * b);
  const a = reshape(x, [N, H, W, b, b, oc]);
  const t = transpose(a, [0, 1, 3, 2, 4, 5]);
  const y = reshape(t, [N, H * b, W * b, oc]);
  a.dispose();
  t.dispose();
  return y;
}

/** The inverse of depthToSpace (tf.spaceToDepth): [N, H, W, C] -> [N, H/b, W/b, C*b*b]. */
export function spaceToDepth(x: Tensor, blockSize: number): Tensor {
  const op = 'spaceToDepth';
  const [N, H, W, C] = checkNHWC(op, x);
  const b = blockSize;
  if (!Number.isInteger(b) || b < 2) fail(op, `blockSize must be an integer >= 2, got ${b}`);
  if (H % b || W % b) fail(op, `the height and width of x ${fmtShape(x.shape)} must be divisible by blockSize ${b}`);
  const a = reshape(x, [N, H / b, b, W / b, b, C]);
  const t = transpose(a, [0, 1, 3, 2, 4, 5]);
  const y = reshape(t, [N, H / b, W / b, C * b * b]);
  a.dispose();
  t.dispose();
  return y;
}

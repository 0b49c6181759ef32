// Gradient of depthwiseConv2d: the activation mask (relu/relu6, from the saved output), then
// dx (one dispatch), dfilter (chunked partial sums, then one sum over the chunks: no atomics) and
// dbias (a sum of the masked upstream gradient over N, OH, OW). Only the wanted ones are computed.
import type { Tensor } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { depthwiseConv2dDxProgram, depthwiseConv2dDfilterProgram, dfilterChunks, type DwActivation, type DwGeom } from '../../kernels/depthwise_conv2d.ts';
import { unaryGradProgram } from '../../kernels/unary_grad.ts';
import { run } from './run.ts';
import { reshape } from './movement.ts';
import { sum } from './reduce.ts';
import { zeros } from './creation.ts';

/** dx [N,H,W,C] of a depthwise conv from dy [N,OH,OW,C*M] (after any activation mask) and the filter. */
export function depthwiseConv2dBackpropInput(dy: Tensor, filter: Tensor, g: DwGeom): Tensor {
  return run(depthwiseConv2dDxProgram(g), [dy, filter], [g.N, g.H, g.W, g.C], 'float32');
}

/** dfilter [KH,KW,C,M] of a depthwise conv from x [N,H,W,C] and dy [N,OH,OW,C*M]. */
export function depthwiseConv2dBackpropFilter(x: Tensor, dy: Tensor, g: DwGeom): Tensor {
  const shape = [g.KH, g.KW, g.C, g.M];
  if (g.N * g.OH * g.OW === 0) return zeros(shape);
  const { chunks } = dfilterChunks(g);
  const part = run(depthwiseConv2dDfilterProgram(g), [x, dy], [chunks, g.KH * g.KW * g.C * g.M], 'float32');
  return reshape(chunks === 1 ? part : sum(part, 0), shape);
}

export function recordDepthwise(x: Tensor, filter: Tensor, bias: Tensor | null, y: Tensor, g: DwGeom, act: DwActivation): Tensor {
  const inputs = bias ? [x, filter, bias] : [x, filter];
  if (!tracking(...inputs)) return y;
  return record('depthwiseConv2d', inputs, y, ([dy], needs) => {
    let gy = dy!;
    // relu/relu6 derivatives from the output: y > 0 iff the pre-activation is > 0, 0 < y < 6 iff 0 < it < 6
    if (act !== 'linear') gy = run(unaryGradProgram(act, y.size), [y, y, gy], y.shape, 'float32');
    const dx = needs[0] ? depthwiseConv2dBackpropInput(gy, filter, g) : null;
    const dw = needs[1] ? depthwiseConv2dBackpropFilter(x, gy, g) : null;
    const CM = g.C * g.M;
    const db = bias && needs[2] ? reshape(sum(reshape(gy, [gy.size / CM, CM]), 0), bias.shape) : null;
    return bias ? [dx, dw, db] : [dx, dw];
  }, [y]);
}

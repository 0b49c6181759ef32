// 2-D convolution, tfjs vocabulary: conv2d(x, filter, strides, pad, dilations) and
// fusedConv2d({ x, filter, strides, pad, dilations, bias, activation }). NHWC activations, HWIO
// filters; pad 'same' (TensorFlow's: the extra row/column at the bottom/right), 'valid', a number
// (all four sides) or explicit [[top, bottom], [left, right]].
//
// Kernels (kernels/conv2d.ts): an implicit GEMM with bias and relu/relu6 fused in its epilogue.
// A 1x1, stride-1, unpadded conv without bias and activation is a plain matrix product: x viewed
// as [N*H*W, Cin] times the filter viewed as [Cin, Cout], no copies. With a bias or an activation
// it takes the implicit GEMM, whose fused epilogue saves the add and relu dispatches (as fast as
// matMul alone on MobileNet's pointwise layers: bench/lab/depthwise_pointwise.ts).
import { Tensor, fmtShape } from '../tensor.ts';
import { conv2dProgram, convGeom, type Activation, type ConvGeom, type PadSpec } from '../../kernels/conv2d.ts';
import { assertTensor, fail } from './util.ts';
import { run } from './run.ts';
import { reshape } from './movement.ts';
import { matMul } from './matmul.ts';
import { recordConv2d, conv2dKernel } from './conv.grad.ts';

export type { Activation, PadSpec } from '../../kernels/conv2d.ts';

export interface FusedConv2dArgs {
  x: Tensor;
  filter: Tensor;
  strides: number | [number, number];
  pad: PadSpec;
  dilations?: number | [number, number];
  bias?: Tensor | null;
  activation?: Activation;
}

function validPair(op: string, name: string, v: unknown): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((s) => Number.isInteger(s) && s >= 1)) {
    fail(op, `${name} must be a positive integer or [h, w] of positive integers, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

function validPad(op: string, pad: unknown): PadSpec {
  if (pad === 'same' || pad === 'valid') return pad;
  if (typeof pad === 'number') {
    if (!Number.isInteger(pad) || pad < 0) fail(op, `pad ${pad} must be a non-negative integer, 'same' or 'valid'`);
    return pad;
  }
  const ok = Array.isArray(pad) && pad.length === 2 && pad.every((q) => Array.isArray(q) && q.length === 2 && q.every((v) => Number.isInteger(v) && v >= 0));
  if (!ok) fail(op, `pad must be 'same', 'valid', a non-negative integer or [[top, bottom], [left, right]], got ${JSON.stringify(pad)}`);
  return pad as PadSpec;
}

/** Validate and resolve; returns the geometry (x taken as rank 4). */
function prepare(op: string, a: FusedConv2dArgs): ConvGeom {
  const { x, filter, bias } = a;
  assertTensor(op, 'x', x);
  assertTensor(op, 'filter', filter);
  if (bias !== undefined && bias !== null) assertTensor(op, 'bias', bias);
  const desc = `x ${fmtShape(x.shape)}, filter ${fmtShape(filter.shape)}`;
  if (x.rank !== 4 && x.rank !== 3) fail(op, `${desc}: x must be NHWC [N, H, W, Cin] (or [H, W, Cin]), got rank ${x.rank}`);
  if (filter.rank !== 4) fail(op, `${desc}: filter must be HWIO [KH, KW, Cin, Cout], got rank ${filter.rank}; reshape a [KH, KW, Cin] filter to [KH, KW, Cin, 1]`);
  for (const [n, t] of [['x', x], ['filter', filter], ['bias', bias]] as const) {
    if (t && t.dtype !== 'float32') fail(op, `${desc}: ${n} has dtype ${t.dtype}; ${op} takes float32 only. Use kiln.cast(${n}, 'float32') first`);
  }
  const xs = x.rank === 3 ? [1, ...x.shape] : [...x.shape];
  const [KH, KW, Cin, Cout] = filter.shape;
  if (xs[3] !== Cin) {
    fail(op, `${desc}: x has ${xs[3]} input channels (last dimension) but the filter expects ${Cin} (its third dimension); the filter must be [KH, KW, ${xs[3]}, Cout]`);
  }
  if (KH < 1 || KW < 1 || Cout < 1) fail(op, `${desc}: the filter has an empty dimension`);
  const strides = validPair(op, 'strides', a.strides);
  const dil = validPair(op, 'dilations', a.dilations ?? 1);
  const pad = validPad(op, a.pad);
  const act = a.activation ?? 'linear';
  if (act !== 'linear' && act !== 'relu' && act !== 'relu6') fail(op, `activation ${JSON.stringify(act)} is not supported; use 'linear', 'relu' or 'relu6' (or apply it after the conv)`);
  if (bias && !(bias.rank === 1 && bias.shape[0] === Cout)) fail(op, `${desc}: bias has shape ${fmtShape(bias.shape)}; expected [${Cout}] (one value per output channel)`);
  const g = convGeom(xs, filter.shape, strides, pad, dil);
  if (g.OH < 1 || g.OW < 1) {
    fail(op, `${desc}, strides [${strides}], dilations [${dil}], pads [${g.pads}]: the output would be ${g.OH}x${g.OW}; the (dilated) filter is larger than the padded input. Use pad 'same' or a smaller filter`);
  }
  return g;
}

function conv(op: string, a: FusedConv2dArgs): Tensor {
  const g = prepare(op, a);
  const { x, filter } = a;
  const bias = a.bias ?? null;
  const act = a.activation ?? 'linear';
  const x4 = x.rank === 3 ? reshape(x, [1, ...x.shape]) : x;
  let y: Tensor;
  if (!bias && act === 'linear' && g.KH === 1 && g.KW === 1 && g.sH === 1 && g.sW === 1 && g.pads.every((p) => p === 0)) {
    // plain pointwise (no bias, no activation): one matMul over views of x and the filter
    y = reshape(matMul(reshape(x4, [g.N * g.H * g.W, g.Cin]), reshape(filter, [g.Cin, g.Cout])), [g.N, g.OH, g.OW, g.Cout]);
  } else {
    const prog = conv2dProgram(g, false, !!bias, act, conv2dKernel());
    y = run(prog, [x4, filter, bias ?? filter], [g.N, g.OH, g.OW, g.Cout], 'float32');
    y = recordConv2d(x4, filter, bias, g, act, y);
  }
  return x.rank === 3 ? reshape(y, y.shape.slice(1)) : y;
}

/**
 * 2-D convolution (cross-correlation, as tf.conv2d): x [N, H, W, Cin] (or [H, W, Cin]),
 * filter [KH, KW, Cin, Cout] -> [N, OH, OW, Cout]. `pad`: 'same' | 'valid' | n | [[t, b], [l, r]].
 */
export function conv2d(
  x: Tensor, filter: Tensor, strides: number | [number, number] = 1, pad: PadSpec = 'valid', dilations: number | [number, number] = 1,
): Tensor {
  return conv('conv2d', { x, filter, strides, pad, dilations });
}

/** conv2d + bias + activation in one kernel (tf.fused.conv2d): act(conv2d(x, filter) + bias). */
export function fusedConv2d(args: FusedConv2dArgs): Tensor {
  if (!args || typeof args !== 'object') fail('fusedConv2d', 'expects one object { x, filter, strides, pad, dilations?, bias?, activation? }');
  return conv('fusedConv2d', { ...args, strides: args.strides ?? 1, pad: args.pad ?? 'valid' });
}

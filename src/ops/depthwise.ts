// Depthwise 2-D convolution (tf.depthwiseConv2d, tf.fused.depthwiseConv2d): NHWC input, filter
// [KH, KW, C, M], output channel c*M + m. One dispatch forward (bias and relu/relu6 fused).
import { Tensor, fmtShape } from '../tensor.ts';
import { depthwiseConv2dProgram, dwGeometry, type DwActivation, type DwGeom } from '../../kernels/depthwise_conv2d.ts';
import { assertTensor, fail } from './util.ts';
import { run } from './run.ts';
import { reshape } from './movement.ts';
import { recordDepthwise } from './depthwise.grad.ts';

/** 'same' | 'valid' | one explicit pad for every side | [[top, bottom], [left, right]] (or the 4-row NHWC form). */
export type DepthwisePad = 'same' | 'valid' | number | number[][];

export interface FusedDepthwiseConv2dArgs {
  x: Tensor;
  filter: Tensor;
  strides: number | [number, number];
  pad: DepthwisePad;
  dataFormat?: 'NHWC';
  dilations?: number | [number, number];
  bias?: Tensor | null;
  activation?: DwActivation;
}

const OP = 'depthwiseConv2d';

function pair(op: string, name: string, v: unknown): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((n) => Number.isInteger(n) && n >= 1)) {
    fail(op, `${name} must be a positive integer or a pair [h, w] of them, got ${JSON.stringify(v)}`);
  }
  return p as [number, number];
}

function resolvePad(op: string, pad: unknown): 'same' | 'valid' | [number, number, number, number] {
  if (pad === 'same' || pad === 'valid') return pad;
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  if (typeof pad === 'number') {
    if (!ok(pad)) fail(op, `pad ${pad} must be a non-negative integer (or 'same', 'valid', [[top, bottom], [left, right]])`);
    return [pad, pad, pad, pad];
  }
  if (Array.isArray(pad) && pad.every((r) => Array.isArray(r) && r.length === 2 && r.every(ok))) {
    if (pad.length === 2) return [pad[0][0], pad[0][1], pad[1][0], pad[1][1]];
    if (pad.length === 4 && pad[0][0] === 0 && pad[0][1] === 0 && pad[3][0] === 0 && pad[3][1] === 0) {
      return [pad[1][0], pad[1][1], pad[2][0], pad[2][1]];
    }
  }
  return fail(op, `pad ${JSON.stringify(pad)} is not understood; expected 'same', 'valid', a non-negative integer, [[top, bottom], [left, right]] or [[0, 0], [top, bottom], [left, right], [0, 0]]`);
}

function depthwiseImpl(op: string, a: FusedDepthwiseConv2dArgs): Tensor {
  const { x, filter } = a;
  assertTensor(op, 'x', x);
  assertTensor(op, 'filter', filter);
  const bias = a.bias ?? null;
  if (bias) assertTensor(op, 'bias', bias);
  const act = a.activation ?? 'linear';
  if (act !== 'linear' && act !== 'relu' && act !== 'relu6') {
    fail(op, `activation ${JSON.stringify(act)} is not supported; use 'linear', 'relu' or 'relu6' (or apply the activation after the op)`);
  }
  if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') {
    fail(op, `dataFormat ${JSON.stringify(a.dataFormat)} is not supported: kiln convolutions are NHWC; transpose NCHW input with kiln.transpose(x, [0, 2, 3, 1])`);
  }
  const desc = `x ${fmtShape(x.shape)} and filter ${fmtShape(filter.shape)}`;
  if (x.rank !== 4 && x.rank !== 3) fail(op, `${desc}: x must be NHWC [N, H, W, C] (or [H, W, C]), got rank ${x.rank}`);
  if (filter.rank !== 4) fail(op, `${desc}: filter must be [KH, KW, C, M] (M = channel multiplier), got rank ${filter.rank}`);
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) {
    fail(op, `${desc}: dtypes are x ${x.dtype}, filter ${filter.dtype}${bias ? `, bias ${bias.dtype}` : ''}; depthwiseConv2d takes float32 only. Use kiln.cast(t, 'float32') first`);
  }
  const x4 = x.rank === 3 ? reshape(x, [1, ...x.shape]) : x;
  const C = x4.shape[3];
  if (filter.shape[2] !== C) {
    fail(op, `${desc}: the filter has ${filter.shape[2]} input channels (dim 2), x has ${C} (dim 3); a depthwise filter is [KH, KW, C, M] with C = the input's channels`);
  }
  const strides = pair(op, 'strides', a.strides);
  const dil = pair(op, 'dilations', a.dilations ?? 1);
  const pads = resolvePad(op, a.pad);
  const g: DwGeom = dwGeometry(x4.shape, filter.shape, strides, pads, dil);
  if (g.KH < 1 || g.KW < 1 || g.M < 1) fail(op, `${desc}: the filter has an empty dimension`);
  if (g.OH < 1 || g.OW < 1) {
    fail(op, `${desc}: the output would be ${g.OH}x${g.OW} (strides [${strides}], dilations [${dil}], pad ${JSON.stringify(a.pad)}): the dilated kernel ${(g.KH - 1) * g.dh + 1}x${(g.KW - 1) * g.dw + 1} is larger than the padded input; use pad 'same' or a smaller kernel`);
  }
  const CM = C * g.M;
  if (bias && (bias.size !== CM || bias.shape[bias.rank - 1] !== CM)) {
    fail(op, `${desc}: bias ${fmtShape(bias.shape)} must have C*M = ${CM} values, one per output channel (shape [${CM}])`);
  }
  const outShape = [g.N, g.OH, g.OW, CM];
  const y = run(depthwiseConv2dProgram(g, act, !!bias), [x4, filter, bias ?? filter], outShape, 'float32');
  const yr = recordDepthwise(x4, filter, bias, y, g, act);
  return x.rank === 3 ? reshape(yr, outShape.slice(1)) : yr;
}

/**
 * Depthwise 2-D convolution: x [N, H, W, C] (or [H, W, C]), filter [KH, KW, C, M] ->
 * [N, OH, OW, C*M], output channel c*M + m. tfjs's signature: the 5th argument may be the
 * dataFormat ('NHWC') followed by dilations, or the dilations themselves.
 */
export function depthwiseConv2d(x: Tensor, filter: Tensor, strides: number | [number, number], pad: DepthwisePad,
  dataFormatOrDilations?: 'NHWC' | number | [number, number], dilations?: number | [number, number]): Tensor {
  const isFormat = typeof dataFormatOrDilations === 'string';
  return depthwiseImpl(OP, {
    x, filter, strides, pad,
    dataFormat: isFormat ? dataFormatOrDilations as 'NHWC' : undefined,
    dilations: isFormat ? dilations : dataFormatOrDilations ?? dilations,
  });
}

/** depthwiseConv2d + bias + activation ('linear' | 'relu' | 'relu6') in one dispatch (tf.fused.depthwiseConv2d). */
export function fusedDepthwiseConv2d(args: FusedDepthwiseConv2dArgs): Tensor {
  if (!args || typeof args !== 'object') fail('fusedDepthwiseConv2d', 'expects one object { x, filter, strides, pad, dilations?, bias?, activation? }');
  return depthwiseImpl('fusedDepthwiseConv2d', args);
}

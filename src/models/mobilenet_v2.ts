// MobileNetV2 (Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks"):
// a 3x3/2 conv, 17 inverted residual blocks (1x1 expand x t -> 3x3 depthwise -> 1x1 linear
// projection, a residual add when stride 1 and in == out), a 1x1 conv to 1280, global average pool,
// fully connected. Channels rounded with the reference _make_divisible(c * alpha, 8); the last conv
// is 1280 unless alpha > 1 (then make_divisible(1280 * alpha, 8)), as in Keras and torchvision.
// Inference form: batch norm folded into conv biases; each conv is one fused dispatch.
import { Tensor, tidy } from '../tensor.ts';
import { fusedConv2d } from '../ops/conv.ts';
import { fusedDepthwiseConv2d } from '../ops/depthwise.ts';
import { globalAvgPool } from '../ops/pool.ts';
import { matMul } from '../ops/matmul.ts';
import { add } from '../ops/elementwise.ts';
import { fail } from '../ops/util.ts';
import type { Variable } from '../autograd/variable.ts';
import type { LayerInfo } from './summary.ts';
import { freeScope, headLayers, randomParams, checkImages } from './common.ts';

export interface MobileNetV2Options {
  /** width multiplier; default 1 */
  alpha?: number;
  /** input height = width the layer list describes; default 224 */
  resolution?: number;
  /** output classes; default 1000 (the TF-slim checkpoints have 1001, index 0 = background) */
  classes?: number;
  /** seed for the random weights; default 1 */
  seed?: number;
}

/** The paper's Table 2 body: (expansion t, output channels c, repeats n, first stride s). */
export const MOBILENET_V2_BLOCKS: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

/** The reference implementation's _make_divisible: nearest multiple of `divisor`, at least `divisor`, never more than 10% down. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** One inverted residual block: its convs in order; `residual` when the input is added to the output. */
export interface MobileNetV2Block { name: string; convs: LayerInfo[]; residual: boolean }

export interface MobileNetV2 {
  readonly alpha: number;
  readonly resolution: number;
  readonly classes: number;
  /** parameters keyed by Keras layer name with BN folded: 'Conv1/kernel', 'Conv1/bias', 'block_1_expand/kernel', 'block_1_depthwise/depthwise_kernel', 'predictions/kernel', ... */
  readonly params: Record<string, Variable>;
  readonly layers: LayerInfo[];
  readonly blocks: MobileNetV2Block[];
  /** x [N, H, W, 3] -> logits [N, classes] (no softmax) */
  predict(x: Tensor): Tensor;
  dispose(): void;
}

function checkOptions(o: MobileNetV2Options): Required<Omit<MobileNetV2Options, 'seed'>> {
  const alpha = o.alpha ?? 1;
  const resolution = o.resolution ?? 224;
  const classes = o.classes ?? 1000;
  if (!(alpha > 0) || !Number.isFinite(alpha)) fail('mobilenetV2', `alpha must be a positive number, got ${o.alpha}`);
  if (!Number.isInteger(resolution) || resolution < 1) fail('mobilenetV2', `resolution must be a positive integer, got ${o.resolution}`);
  if (!Number.isInteger(classes) || classes < 1) fail('mobilenetV2', `classes must be a positive integer, got ${o.classes}`);
  return { alpha, resolution, classes };
}

const outSize = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;

function build(opts: MobileNetV2Options) {
  const o = checkOptions(opts);
  const layers: LayerInfo[] = [];
  const blocks: MobileNetV2Block[] = [];
  let h = o.resolution, w = o.resolution, c = 3;
  const conv = (name: string, kind: 'conv' | 'depthwise' | 'pointwise', k: number, stride: number, cout: number, activation: 'relu6' | 'linear') => {
    const pad = (k - 1) / 2;
    const oh = outSize(h, k, stride, pad), ow = outSize(w, k, stride, pad);
    const wname = kind === 'depthwise' ? 'depthwise_kernel' : 'kernel';
    const l: LayerInfo = {
      name, kind, inputShape: [h, w, c], outputShape: [oh, ow, cout], kernel: [k, k], stride, pad,
      channels: { in: c, out: cout }, norm: 'bn', activation, params: [`${name}/${wname}`, `${name}/bias`],
    };
    layers.push(l);
    h = oh; w = ow; c = cout;
    return l;
  };
  conv('Conv1', 'conv', 3, 2, makeDivisible(32 * o.alpha), 'relu6');
  let i = 0;
  for (const [t, ch, n, s] of MOBILENET_V2_BLOCKS) {
    const out = makeDivisible(ch * o.alpha);
    for (let r = 0; r < n; r++, i++) {
      const stride = r === 0 ? s : 1;
      const name = i === 0 ? 'expanded_conv' : `block_${i}`;
      const cin = c;
      const convs: LayerInfo[] = [];
      if (t !== 1) convs.push(conv(`${name}_expand`, 'pointwise', 1, 1, makeDivisible(cin * t), 'relu6'));
      convs.push(conv(`${name}_depthwise`, 'depthwise', 3, stride, c, 'relu6'));
      convs.push(conv(`${name}_project`, 'pointwise', 1, 1, out, 'linear'));
      blocks.push({ name, convs, residual: stride === 1 && cin === out });
    }
  }
  conv('Conv_1', 'pointwise', 1, 1, o.alpha > 1 ? makeDivisible(1280 * o.alpha) : 1280, 'relu6');
  layers.push(...headLayers(h, w, c, o.classes, 'global_average_pooling2d', 'predictions', ['predictions/kernel', 'predictions/bias']));
  return { layers, blocks, opts: o };
}

/** The layer list of MobileNetV2 for (alpha, resolution, classes); pure, no GPU. */
export function mobilenetV2Layers(opts: MobileNetV2Options = {}): LayerInfo[] {
  return build(opts).layers;
}

/**
 * MobileNetV2 with random weights (He-normal; biases small) in inference form. Conv kernels HWIO,
 * depthwise [3, 3, C, 1], 'predictions/kernel' [C, classes]; each conv's '/bias' is its folded batch
 * norm. Padding is symmetric (k - 1) / 2 (PyTorch's; TF 'SAME' pads stride-2 convs bottom/right).
 */
export function mobilenetV2(opts: MobileNetV2Options = {}): MobileNetV2 {
  const { layers, blocks, opts: { alpha, resolution, classes } } = build(opts);
  const scope = freeScope('mobilenetv2');
  const params = randomParams(layers, opts.seed ?? 1, (key) => `${scope}/${key}`, (l) => {
    const [kh, kw] = l.kernel;
    const { in: cin, out: cout } = l.channels;
    return {
      shape: l.kind === 'fc' ? [cin, cout] : l.kind === 'depthwise' ? [kh, kw, cin, 1] : [kh, kw, cin, cout],
      gain: l.activation === 'relu6' ? 2 : 1,
      fanIn: l.kind === 'depthwise' ? kh * kw : kh * kw * cin,
    };
  });
  let disposed = false;
  const convOf = (y: Tensor, l: LayerInfo) => {
    const a = { x: y, filter: params[l.params[0]], bias: params[l.params[1]], strides: l.stride, pad: l.pad ?? 0, activation: l.activation === 'relu6' ? 'relu6' as const : 'linear' as const };
    return l.kind === 'depthwise' ? fusedDepthwiseConv2d(a) : fusedConv2d(a);
  };
  const predict = (x: Tensor): Tensor => {
    checkImages('mobilenetV2.predict', x, disposed);
    return tidy(() => {
      let y = convOf(x, layers[0]);
      for (const b of blocks) {
        let r = y;
        for (const l of b.convs) r = convOf(r, l);
        y = b.residual ? add(y, r) : r;
      }
      y = convOf(y, layers[layers.length - 3]);
      return add(matMul(globalAvgPool(y), params['predictions/kernel']), params['predictions/bias']);
    });
  };
  return {
    alpha, resolution, classes, params, layers, blocks, predict,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of Object.values(params)) v.dispose();
    },
  };
}

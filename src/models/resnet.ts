// ResNet (He et al. 2015, "Deep Residual Learning for Image Recognition") as torchvision builds it:
// basic blocks (two 3x3 convs) for depth 18/34, bottleneck blocks (1x1, 3x3, 1x1 x4) for 50/101/152
// with the stride on the 3x3 conv (torchvision's "ResNet v1.5"; the paper and the original Caffe
// models put it on the first 1x1), projection shortcuts (1x1 conv + BN, option B) wherever the shape
// changes, identity shortcuts elsewhere. Inference form: every batch norm folded into a conv bias,
// so each conv is one fused dispatch (conv + bias [+ relu]); a block ends with add + relu.
import { Tensor, tidy } from '../tensor.ts';
import { fusedConv2d } from '../ops/conv.ts';
import { maxPool, globalAvgPool } from '../ops/pool.ts';
import { matMul } from '../ops/matmul.ts';
import { add, relu } from '../ops/elementwise.ts';
import { fail } from '../ops/util.ts';
import type { Variable } from '../autograd/variable.ts';
import type { LayerInfo } from './summary.ts';
import { freeScope, headLayers, randomParams, checkImages } from './common.ts';

export type ResNetDepth = 18 | 34 | 50 | 101 | 152;

export interface ResNetOptions {
  /** 18, 34 (basic blocks), 50, 101, 152 (bottleneck blocks); default 50 */
  depth?: ResNetDepth;
  /** output classes; default 1000 */
  classes?: number;
  /** input height = width the layer list describes; default 224 */
  resolution?: number;
  /** seed for the random weights; default 1 */
  seed?: number;
}

/** Blocks per stage (conv2_x .. conv5_x), the paper's Table 1. */
export const RESNET_STAGES: Record<ResNetDepth, readonly [number, number, number, number]> = {
  18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3],
};

/** One residual block: its convs in order, and the projection shortcut if there is one. */
export interface ResNetBlock { name: string; convs: LayerInfo[]; downsample?: LayerInfo }

export interface ResNet {
  readonly depth: ResNetDepth;
  readonly resolution: number;
  readonly classes: number;
  /** parameters keyed by torchvision state_dict name with BN folded: 'conv1.weight', 'conv1.bias', 'layer1.0.conv1.weight', 'fc.weight', ... */
  readonly params: Record<string, Variable>;
  readonly layers: LayerInfo[];
  readonly blocks: ResNetBlock[];
  /** x [N, H, W, 3] -> logits [N, classes] (no softmax) */
  predict(x: Tensor): Tensor;
  dispose(): void;
}

function checkOptions(o: ResNetOptions): Required<Omit<ResNetOptions, 'seed'>> {
  const depth = o.depth ?? 50;
  const classes = o.classes ?? 1000;
  const resolution = o.resolution ?? 224;
  if (!(depth in RESNET_STAGES)) fail('resnet', `depth must be one of 18, 34, 50, 101, 152, got ${o.depth}`);
  if (!Number.isInteger(resolution) || resolution < 1) fail('resnet', `resolution must be a positive integer, got ${o.resolution}`);
  if (!Number.isInteger(classes) || classes < 1) fail('resnet', `classes must be a positive integer, got ${o.classes}`);
  return { depth: Number(depth) as ResNetDepth, classes, resolution };
}

/** PyTorch conv/pool output size with symmetric padding p. */
const outSize = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;

function build(opts: ResNetOptions): { layers: LayerInfo[]; blocks: ResNetBlock[]; opts: Required<Omit<ResNetOptions, 'seed'>> } {
  const o = checkOptions(opts);
  const layers: LayerInfo[] = [];
  const blocks: ResNetBlock[] = [];
  let h = o.resolution, w = o.resolution, c = 3;
  const conv = (name: string, k: number, stride: number, cout: number, activation: 'relu' | 'linear', from?: [number, number, number]): LayerInfo => {
    const [ih, iw, ic] = from ?? [h, w, c];
    const pad = (k - 1) / 2;
    const oh = outSize(ih, k, stride, pad), ow = outSize(iw, k, stride, pad);
    if (oh < 1 || ow < 1) fail('resnet', `resolution ${o.resolution} is too small (layer ${name} would be ${oh}x${ow})`);
    const l: LayerInfo = {
      name, kind: k === 1 ? 'pointwise' : 'conv', inputShape: [ih, iw, ic], outputShape: [oh, ow, cout], kernel: [k, k], stride, pad,
      channels: { in: ic, out: cout }, norm: 'bn', activation, params: [`${name}.weight`, `${name}.bias`],
    };
    layers.push(l);
    if (!from) { h = oh; w = ow; c = cout; }
    return l;
  };
  conv('conv1', 7, 2, 64, 'relu');
  const mh = outSize(h, 3, 2, 1), mw = outSize(w, 3, 2, 1);
  layers.push({
    name: 'maxpool', kind: 'maxpool', inputShape: [h, w, c], outputShape: [mh, mw, c], kernel: [3, 3], stride: 2, pad: 1,
    channels: { in: c, out: c }, norm: 'none', activation: 'none', params: [],
  });
  h = mh; w = mw;
  const bottleneck = o.depth >= 50;
  const expansion = bottleneck ? 4 : 1;
  RESNET_STAGES[o.depth].forEach((n, si) => {
    const planes = 64 << si;
    for (let b = 0; b < n; b++) {
      const name = `layer${si + 1}.${b}`;
      const stride = b === 0 && si > 0 ? 2 : 1;
      const input: [number, number, number] = [h, w, c];
      const out = planes * expansion;
      const convs = bottleneck
        ? [conv(`${name}.conv1`, 1, 1, planes, 'relu'), conv(`${name}.conv2`, 3, stride, planes, 'relu'), conv(`${name}.conv3`, 1, 1, out, 'linear')]
        : [conv(`${name}.conv1`, 3, stride, planes, 'relu'), conv(`${name}.conv2`, 3, 1, planes, 'linear')];
      const downsample = stride !== 1 || input[2] !== out ? conv(`${name}.downsample.0`, 1, stride, out, 'linear', input) : undefined;
      blocks.push({ name, convs, downsample });
    }
  });
  layers.push(...headLayers(h, w, c, o.classes, 'avgpool', 'fc', ['fc.weight', 'fc.bias']));
  return { layers, blocks, opts: o };
}

/** The layer list of ResNet-depth (convs in torchvision's order, each block's shortcut after its convs); pure, no GPU. */
export function resnetLayers(opts: ResNetOptions = {}): LayerInfo[] {
  return build(opts).layers;
}

/**
 * ResNet with random weights (He-normal; biases small) in inference form. Weights are HWIO
 * [KH, KW, Cin, Cout]; 'fc.weight' is [Cin, classes] (torchvision's transposed); every '.bias' of a
 * conv is its folded batch norm. Padding is PyTorch's symmetric (k - 1) / 2.
 */
export function resnet(opts: ResNetOptions = {}): ResNet {
  const { layers, blocks, opts: { depth, classes, resolution } } = build(opts);
  const scope = freeScope(`resnet${depth}`);
  const params = randomParams(layers, opts.seed ?? 1, (key) => `${scope}/${key}`, (l) => {
    const [kh, kw] = l.kernel;
    const { in: cin, out: cout } = l.channels;
    // the last conv of a block and the shortcut start smaller so that the random net stays tame
    return {
      shape: l.kind === 'fc' ? [cin, cout] : [kh, kw, cin, cout],
      gain: l.kind === 'fc' ? 1 : l.activation === 'linear' ? 0.5 : 2,
      fanIn: kh * kw * cin,
    };
  });
  let disposed = false;
  const convOf = (y: Tensor, l: LayerInfo) => fusedConv2d({
    x: y, filter: params[l.params[0]], bias: params[l.params[1]], strides: l.stride, pad: l.pad ?? 0,
    activation: l.activation === 'relu' ? 'relu' : 'linear',
  });
  const predict = (x: Tensor): Tensor => {
    checkImages('resnet.predict', x, disposed);
    return tidy(() => {
      let y = convOf(x, layers[0]);
      y = maxPool(y, 3, 2, 1);
      for (const b of blocks) {
        let r = y;
        for (const l of b.convs) r = convOf(r, l);
        y = relu(add(r, b.downsample ? convOf(y, b.downsample) : y));
      }
      const pooled = globalAvgPool(y); // [N, C]
      return add(matMul(pooled, params['fc.weight']), params['fc.bias']);
    });
  };
  return {
    depth, resolution, classes, params, layers, blocks, predict,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of Object.values(params)) v.dispose();
    },
  };
}

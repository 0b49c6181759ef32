// MobileNet v1 (Howard et al. 2017, "MobileNets: Efficient Convolutional Neural Networks for
// Mobile Vision Applications"), as in the TF-slim implementation behind the 16 released
// checkpoints: width multiplier alpha, input resolution rho, 1001 classes (index 0 = background).
// Inference form (default): every batch norm is folded into its conv's weights and a bias, so each
// conv is one fused dispatch (conv + bias + relu6) and a depthwise-separable block is two.
// Training form (`form: 'training'`): every conv is followed by a real batch norm (gamma, beta,
// moving mean and variance); predict(x, { training: true }) normalises with the batch statistics
// (batchNormTrain, gradients through them) and updates the moving ones, predict(x) uses the moving ones.
import { Tensor, tidy } from '../tensor.ts';
import { fusedConv2d } from '../ops/conv.ts';
import { fusedDepthwiseConv2d } from '../ops/depthwise.ts';
import { globalAvgPool } from '../ops/pool.ts';
import { batchNorm, batchNormTrain } from '../ops/norm.ts';
import { reshape } from '../ops/movement.ts';
import { fail } from '../ops/util.ts';
import type { Variable } from '../autograd/variable.ts';
import type { LayerInfo } from './summary.ts';
import { freeScope, headLayers, randomParams, batchNormParams, checkImages } from './common.ts';

export interface MobileNetV1Options {
  /** width multiplier: channels are max(8, floor(c * alpha)) as in TF-slim (min_depth 8); default 1 */
  alpha?: number;
  /** input height = width the layer list describes; default 224 */
  resolution?: number;
  /** output classes; 1001 in the TF checkpoints (0 = background); default 1001 */
  classes?: number;
  /** seed for the random weights; default 1 */
  seed?: number;
  /**
   * 'inference' (default): batch norms folded into per-conv biases (two dispatches per separable
   * block). 'training': a batch norm after every conv, trainable with predict(x, { training: true }).
   */
  form?: 'inference' | 'training';
  /** training form: weight of a batch's statistics in the moving ones (torch's momentum); default 0.1 */
  bnMomentum?: number;
}

export interface PredictOptions {
  /** training form only: normalise with the batch's statistics and update the moving ones; default false */
  training?: boolean;
}

export interface MobileNetV1 {
  readonly alpha: number;
  readonly resolution: number;
  readonly classes: number;
  readonly form: 'inference' | 'training';
  /**
   * parameters keyed by TF-slim checkpoint name, e.g. 'MobilenetV1/Conv2d_0/weights'; in the
   * training form the convs have no '.../biases' but '.../BatchNorm/gamma', 'beta', 'moving_mean'
   * and 'moving_variance' (the last two not trainable)
   */
  readonly params: Record<string, Variable>;
  /** one entry per layer, in order (see summary.ts) */
  readonly layers: LayerInfo[];
  /** x [N, H, W, 3] -> logits [N, classes] (no softmax) */
  predict(x: Tensor, opts?: PredictOptions): Tensor;
  dispose(): void;
}

/** The paper's Table 1 body: (stride, output channels) of the 13 depthwise-separable blocks. */
export const MOBILENET_V1_BLOCKS: readonly (readonly [number, number])[] = [
  [1, 64], [2, 128], [1, 128], [2, 256], [1, 256], [2, 512],
  [1, 512], [1, 512], [1, 512], [1, 512], [1, 512], [2, 1024], [1, 1024],
];

/** TF-slim's channel rounding: max(min_depth = 8, int(c * alpha)). */
export const mobilenetDepth = (c: number, alpha: number) => Math.max(8, Math.floor(c * alpha));

const SCOPE = 'MobilenetV1';
/** 'same' padding output size (TF). */
const sameOut = (n: number, s: number) => Math.ceil(n / s);

function checkOptions(o: MobileNetV1Options): { alpha: number; resolution: number; classes: number } {
  const alpha = o.alpha ?? 1;
  const resolution = o.resolution ?? 224;
  const classes = o.classes ?? 1001;
  if (!(alpha > 0) || !Number.isFinite(alpha)) fail('mobilenetV1', `alpha must be a positive number, got ${o.alpha}`);
  if (!Number.isInteger(resolution) || resolution < 1) fail('mobilenetV1', `resolution must be a positive integer, got ${o.resolution}`);
  if (!Number.isInteger(classes) || classes < 1) fail('mobilenetV1', `classes must be a positive integer, got ${o.classes}`);
  return { alpha, resolution, classes };
}

/** TF-slim's batch-norm epsilon (the training form's). */
const BN_EPS = 1e-3;

/** The layer list of MobileNet v1 for (alpha, resolution, classes); pure, no GPU. */
export function mobilenetV1Layers(opts: MobileNetV1Options = {}): LayerInfo[] {
  const { alpha, resolution, classes } = checkOptions(opts);
  const layers: LayerInfo[] = [];
  let h = resolution, w = resolution, c = 3;
  const conv = (name: string, kind: 'conv' | 'depthwise' | 'pointwise', k: number, stride: number, cout: number) => {
    const oh = sameOut(h, stride), ow = sameOut(w, stride);
    const wname = kind === 'depthwise' ? 'depthwise_weights' : 'weights';
    layers.push({
      name, kind, inputShape: [h, w, c], outputShape: [oh, ow, cout], kernel: [k, k], stride,
      channels: { in: c, out: cout }, norm: 'bn', activation: 'relu6',
      params: [`${SCOPE}/${name}/${wname}`, `${SCOPE}/${name}/biases`],
    });
    h = oh; w = ow; c = cout;
  };
  conv('Conv2d_0', 'conv', 3, 2, mobilenetDepth(32, alpha));
  MOBILENET_V1_BLOCKS.forEach(([s, out], i) => {
    conv(`Conv2d_${i + 1}_depthwise`, 'depthwise', 3, s, c);
    conv(`Conv2d_${i + 1}_pointwise`, 'pointwise', 1, 1, mobilenetDepth(out, alpha));
  });
  layers.push(...headLayers(h, w, c, classes, 'AvgPool_1a', 'Logits/Conv2d_1c_1x1',
    [`${SCOPE}/Logits/Conv2d_1c_1x1/weights`, `${SCOPE}/Logits/Conv2d_1c_1x1/biases`]));
  return layers;
}

/**
 * MobileNet v1 with random weights (He-normal; biases small) in inference form. Parameters are
 * kiln Variables keyed by their TF-slim checkpoint names; weight shapes are the checkpoints'
 * (conv HWIO [KH, KW, Cin, Cout], depthwise [3, 3, C, 1], logits [1, 1, C, classes]) and each
 * conv's batch norm is represented by its folded bias ('.../biases', one per output channel).
 */
export function mobilenetV1(opts: MobileNetV1Options = {}): MobileNetV1 {
  const { alpha, resolution, classes } = checkOptions(opts);
  const form = opts.form ?? 'inference';
  if (form !== 'inference' && form !== 'training') fail('mobilenetV1', `form must be 'inference' or 'training', got ${JSON.stringify(opts.form)}`);
  const momentum = opts.bnMomentum ?? 0.1;
  if (!(momentum >= 0 && momentum <= 1)) fail('mobilenetV1', `bnMomentum must be in [0, 1], got ${opts.bnMomentum}`);
  const training = form === 'training';
  const layers = mobilenetV1Layers({ alpha, resolution, classes });
  // Variable names are global: a second live model gets a scope suffix (keys stay the checkpoint names).
  const scope = freeScope(SCOPE);
  const varName = (key: string) => scope + key.slice(SCOPE.length);
  const bnPrefix = (l: LayerInfo) => `${SCOPE}/${l.name}/BatchNorm`;
  const params = randomParams(layers, opts.seed ?? 1, varName, (l) => {
    const [kh, kw] = l.kernel;
    const { in: cin, out: cout } = l.channels;
    return {
      shape: l.kind === 'depthwise' ? [kh, kw, cin, 1] : [kh, kw, cin, cout],
      gain: l.kind === 'fc' ? 1 : 2,
      fanIn: l.kind === 'depthwise' ? kh * kw : kh * kw * cin,
    };
  }, (l) => !training || l.norm !== 'bn');
  if (training) {
    for (const l of layers) if (l.norm === 'bn') Object.assign(params, batchNormParams(bnPrefix(l), l.channels.out, varName));
  }
  let disposed = false;
  const predict = (x: Tensor, po: PredictOptions = {}): Tensor => {
    checkImages('mobilenetV1.predict', x, disposed);
    const batchStats = po?.training ?? false;
    if (batchStats && !training) fail('mobilenetV1.predict', "training: true needs the training form (batch norms folded away in the inference form); build with mobilenetV1({ form: 'training' })");
    return tidy(() => {
      let y = x;
      for (const l of layers) {
        if (l.kind === 'avgpool') { y = globalAvgPool(y, true); continue; }
        const [filter, bias] = [params[l.params[0]], params[l.params[1]]];
        if (training && l.norm === 'bn') {
          // conv (no bias), then batch norm + relu6 in one kernel
          y = l.kind === 'depthwise'
            ? fusedDepthwiseConv2d({ x: y, filter, strides: l.stride, pad: 'same' })
            : fusedConv2d({ x: y, filter, strides: l.stride, pad: 'same' });
          const bn = (k: string) => params[`${bnPrefix(l)}/${k}`];
          y = batchStats
            ? batchNormTrain(y, { gamma: bn('gamma'), beta: bn('beta'), runningMean: bn('moving_mean'), runningVar: bn('moving_variance'), momentum, eps: BN_EPS, activation: 'relu6' })
            : batchNorm(y, bn('moving_mean'), bn('moving_variance'), bn('beta'), bn('gamma'), BN_EPS, 'relu6');
        } else if (l.kind === 'depthwise') {
          y = fusedDepthwiseConv2d({ x: y, filter, strides: l.stride, pad: 'same', bias, activation: 'relu6' });
        } else {
          y = fusedConv2d({ x: y, filter, strides: l.stride, pad: 'same', bias, activation: l.activation === 'relu6' ? 'relu6' : 'linear' });
        }
      }
      return reshape(y, [x.shape[0], classes]);
    });
  };
  return {
    alpha, resolution, classes, form, params, layers, predict,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const v of Object.values(params)) v.dispose();
    },
  };
}

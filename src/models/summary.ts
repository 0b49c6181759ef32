// Counting multiply-accumulates (MACs) and parameters from a model's own layer list.
// Pure arithmetic: needs no GPU, so `kiln summary` works without an adapter.

/** One layer of a model, per example (shapes are [H, W, C], batch left out). */
export interface LayerInfo {
  /** the layer's scope in the TF-slim checkpoint, e.g. 'Conv2d_0', 'Conv2d_3_depthwise' */
  name: string;
  /** conv: a full KHxKW convolution; depthwise: one KHxKW filter per channel; pointwise: a 1x1 conv;
   *  avgpool: global average pool; maxpool: a KHxKW max pool (ResNet's stem);
   *  fc: fully connected (a 1x1 conv on a 1x1 map, as in the checkpoints) */
  kind: 'conv' | 'depthwise' | 'pointwise' | 'avgpool' | 'maxpool' | 'fc';
  inputShape: [number, number, number];
  outputShape: [number, number, number];
  kernel: [number, number];
  stride: number;
  channels: { in: number; out: number };
  /** 'bn': followed by batch norm, folded into a bias at inference; 'bias': a plain bias; 'none' */
  norm: 'bn' | 'bias' | 'none';
  /** 'linear' on the last conv of a residual block: the shortcut is added after it (then ResNet applies relu) */
  activation: 'relu6' | 'relu' | 'linear' | 'none';
  /** explicit symmetric padding (PyTorch style) where the model uses it; absent: TF 'SAME' */
  pad?: number;
  /** names of the model's parameter tensors for this layer (keys of model.params) */
  params: string[];
}

/**
 * Which tensors count as parameters.
 * - 'checkpoint' (default): weights + plain biases + for each batch-normalised channel the three
 *   values stored in the TF-slim MobileNet v1 checkpoints: beta, moving mean, moving variance
 *   (the checkpoints' batch norm has no gamma). Reproduces the "Million Parameters" column.
 * - 'inference': what a folded model holds: weights + one bias per output channel (BN folded in).
 * - 'trainable': weights + plain biases + gamma and beta per batch-normalised channel.
 * - 'keras': weights + plain biases + gamma, beta, moving mean and moving variance (Keras' total).
 * - 'weights': conv and fc weights only (no biases, no batch norm); the TF-slim MobileNetV2 table's count.
 */
export type ParamRule = 'checkpoint' | 'inference' | 'trainable' | 'keras' | 'weights';
export const PARAM_RULES: readonly ParamRule[] = ['checkpoint', 'inference', 'trainable', 'keras', 'weights'];

const BN_VALUES: Record<ParamRule, number> = { checkpoint: 3, inference: 1, trainable: 2, keras: 4, weights: 0 };

export interface SummaryOptions {
  params?: ParamRule;
  /** count a pooling layer's H*W*C accumulates as MACs (default false: the paper counts conv and fc only) */
  poolMacs?: boolean;
  /** count an unfolded batch norm as 2 MACs per output element (scale and shift), as THOP does for
   *  ResNet's published 1.82 / 3.67 / 4.11 / 7.83 / 11.56 G (default false: BN is folded away) */
  bnMacs?: boolean;
}

export interface LayerCount extends LayerInfo { macs: number; weights: number; paramCount: number }

export interface Summary {
  layers: LayerCount[];
  /** total multiply-accumulates for one example */
  macs: number;
  /** total parameters under `rule` */
  params: number;
  rule: ParamRule;
}

/** MACs of one layer for one example: conv OH*OW*KH*KW*Cin*Cout, depthwise OH*OW*KH*KW*C, fc Cin*Cout, pooling 0 (or H*W*C with poolMacs). */
export function layerMacs(l: LayerInfo, poolMacs = false): number {
  const [oh, ow] = l.outputShape;
  const [kh, kw] = l.kernel;
  switch (l.kind) {
    case 'conv': case 'pointwise': return oh * ow * kh * kw * l.channels.in * l.channels.out;
    case 'depthwise': return oh * ow * kh * kw * l.channels.in;
    case 'fc': return l.channels.in * l.channels.out;
    case 'avgpool': return poolMacs ? l.inputShape[0] * l.inputShape[1] * l.inputShape[2] : 0;
    case 'maxpool': return poolMacs ? oh * ow * kh * kw * l.channels.out : 0;
  }
}

/** Weight values of one layer (no biases or normalisation). */
export function layerWeights(l: LayerInfo): number {
  const [kh, kw] = l.kernel;
  switch (l.kind) {
    case 'conv': case 'pointwise': return kh * kw * l.channels.in * l.channels.out;
    case 'depthwise': return kh * kw * l.channels.in;
    case 'fc': return l.channels.in * l.channels.out;
    case 'avgpool': case 'maxpool': return 0;
  }
}

/** Per-layer and total MACs and parameters of a layer list (or of a model that has one). */
export function summary(layersOrModel: readonly LayerInfo[] | { layers: readonly LayerInfo[] }, opts: SummaryOptions = {}): Summary {
  const list = 'layers' in layersOrModel ? layersOrModel.layers : layersOrModel;
  const rule = opts.params ?? 'checkpoint';
  if (!PARAM_RULES.includes(rule)) throw new Error(`summary: unknown parameter rule '${rule}'; use one of ${PARAM_RULES.join(', ')}`);
  const layers = list.map((l) => {
    const weights = layerWeights(l);
    const per = l.norm === 'bn' ? BN_VALUES[rule] : l.norm === 'bias' && rule !== 'weights' ? 1 : 0;
    const bn = opts.bnMacs && l.norm === 'bn' ? 2 * l.outputShape[0] * l.outputShape[1] * l.outputShape[2] : 0;
    return { ...l, macs: layerMacs(l, opts.poolMacs) + bn, weights, paramCount: weights + per * l.channels.out };
  });
  return {
    layers,
    macs: layers.reduce((s, l) => s + l.macs, 0),
    params: layers.reduce((s, l) => s + l.paramCount, 0),
    rule,
  };
}

/** Alias of summary() for a model object. */
export const summarize = (model: { layers: readonly LayerInfo[] }, opts?: SummaryOptions) => summary(model, opts);

const fmtM = (n: number) => (n / 1e6).toFixed(2);

/** The per-layer table `kiln summary` prints, ending with "Total: N.NN M MACs, N.NN M parameters". */
export function formatSummary(s: Summary, title = ''): string {
  const rows = s.layers.map((l) => [l.name, l.kind, `[${l.outputShape.join(', ')}]`, l.macs.toLocaleString('en-US'), l.paramCount.toLocaleString('en-US')]);
  const head = ['layer', 'kind', 'output', 'MACs', 'params'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  const out = [] as string[];
  if (title) out.push(title, '');
  out.push(line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line), '');
  out.push(`Total: ${fmtM(s.macs)} M MACs, ${fmtM(s.params)} M parameters (${s.rule} rule)`);
  return out.join('\n');
}

// Whole-model forward (inference) latency: MobileNetV1 1.0-224 and 0.25-128, ResNet-50, batch 1
// and 8. kiln runs its own model (src/models: BN folded, one fused dispatch per conv); tfjs-webgpu
// runs the same network, built here from tf ops (tf.fused.conv2d / tf.fused.depthwiseConv2d with
// the folded-BN bias and relu6/relu, tf.maxPool, tf.mean, tf.matMul) with the same weights, read
// back from the kiln model once, outside the timed region. work.flops = 2 * MACs * batch, MACs from
// kiln's summary (convs and the classifier; pooling and the residual adds not counted), so the
// GFLOP/s column is twice the achieved GMAC/s.
import type { Sampling, Suite, TF, TFTensor } from './suite.ts';
import type { Tensor } from '../../src/index.ts';
import { mobilenetV1, mobilenetV1Layers, resnet, resnetLayers, summary, type LayerInfo } from '../../src/models/index.ts';

interface Net { layers: LayerInfo[]; params: Record<string, Tensor & { dispose(): void }>; predict(x: Tensor): Tensor; dispose(): void }

type Tf4 = Parameters<TF['conv2d']>[0];
type TfFilter = Parameters<TF['conv2d']>[1];
type TfBias = TFTensor & { rank: 1 };

/** MobileNetV1 from the layer list: conv / depthwise + bias + relu6, mean, 1x1 logits conv. */
function tfMobilenet(tf: TF, layers: LayerInfo[], w: Record<string, TFTensor>, x: TFTensor, classes: number): TFTensor {
  let y = x as Tf4;
  for (const l of layers) {
    if (l.kind === 'avgpool') { y = tf.mean(y, [1, 2], true) as Tf4; continue; }
    const [filter, bias] = [w[l.params[0]] as TfFilter, w[l.params[1]] as TfBias];
    const activation = l.activation === 'relu6' ? 'relu6' : 'linear';
    y = l.kind === 'depthwise'
      ? tf.fused.depthwiseConv2d({ x: y, filter, strides: l.stride, pad: 'same', bias, activation })
      : tf.fused.conv2d({ x: y, filter, strides: l.stride, pad: 'same', bias, activation });
  }
  return tf.reshape(y, [x.shape[0], classes]);
}

/** ResNet (torchvision v1.5, BN folded) from the layer list: explicit symmetric padding as kiln's. */
function tfResnet(tf: TF, layers: LayerInfo[], w: Record<string, TFTensor>, x: TFTensor): TFTensor {
  const conv = (y: Tf4, l: LayerInfo) => tf.fused.conv2d({
    x: y, filter: w[l.params[0]] as TfFilter, bias: w[l.params[1]] as TfBias, strides: l.stride, pad: l.pad ?? 0,
    activation: l.activation === 'relu' ? 'relu' : 'linear',
  });
  const convs = layers.filter((l) => l.kind === 'conv' || l.kind === 'pointwise');
  let y = tf.maxPool(conv(x as Tf4, convs[0]), 3, 2, 1);
  // blocks: layerS.B.conv1..3 then (maybe) layerS.B.downsample.0, in that order in the layer list
  const blocks = new Map<string, LayerInfo[]>();
  for (const l of convs.slice(1)) {
    const b = l.name.split('.').slice(0, 2).join('.');
    blocks.set(b, [...(blocks.get(b) ?? []), l]);
  }
  for (const ls of blocks.values()) {
    let r = y;
    for (const l of ls.filter((l) => !l.name.includes('downsample'))) r = conv(r, l);
    const ds = ls.find((l) => l.name.includes('downsample'));
    y = tf.relu(tf.add(r, ds ? conv(y, ds) : y));
  }
  const pooled = tf.mean(y, [1, 2]) as Parameters<TF['matMul']>[0];
  return tf.add(tf.matMul(pooled, w['fc.weight'] as Parameters<TF['matMul']>[1]), w['fc.bias']);
}

interface Spec {
  name: string;
  batch: number;
  res: number;
  layers: LayerInfo[];
  build(): Net;
  tfjs(tf: TF, layers: LayerInfo[], w: Record<string, TFTensor>, x: TFTensor): TFTensor;
  sampling: Sampling;
  tfjsSkip?: string;
}

function modelSuite(sp: Spec): Suite {
  let net: Net | null = null;
  // the weights as read back from the kiln model: the tfjs side is built from these
  let values: Record<string, { data: Float32Array; shape: number[] }> | null = null;
  let w: Record<string, TFTensor> = {};
  const build = async () => {
    const m = sp.build();
    if (sp.tfjsSkip) return m; // no tfjs side: keep no copy of the weights
    const v: typeof values = {};
    for (const [k, p] of Object.entries(m.params)) v[k] = { data: (await p.data()) as Float32Array, shape: [...p.shape] };
    values = v;
    return m;
  };
  return {
    name: sp.name,
    needs: [],
    inputs: [{ shape: [sp.batch, sp.res, sp.res, 3] }],
    work: { flops: 2 * summary(sp.layers).macs * sp.batch },
    kiln: (_k, [x]) => net!.predict(x),
    tfjs: (tf, [x]) => sp.tfjs(tf, sp.layers, w, x),
    setup: {
      async kiln() {
        net = await build();
        return () => { net?.dispose(); net = null; };
      },
      async tfjs(tf) {
        if (!values) (await build()).dispose();
        w = Object.fromEntries(Object.entries(values!).map(([k, v]) => [k, tf.tensor(v.data, v.shape, 'float32')]));
        values = null;
        return () => { tf.dispose(Object.values(w)); w = {}; };
      },
    },
    sampling: sp.sampling,
    // float32 sums of up to 4608 products per conv, 28 to 53 convs deep
    tol: 2e-3,
    tfjsSkip: sp.tfjsSkip,
  };
}

const mobilenet = (alpha: number, res: number, batch: number, sampling: Spec['sampling']): Suite => modelSuite({
  name: `mobilenet_v1_${alpha.toFixed(2).replace(/0$/, '')}_${res}_b${batch}`,
  batch, res, sampling,
  layers: mobilenetV1Layers({ alpha, resolution: res }),
  build: () => mobilenetV1({ alpha, resolution: res }) as unknown as Net,
  tfjs: (tf, layers, w, x) => tfMobilenet(tf, layers, w, x, 1001),
});

const resnet50 = (batch: number, sampling: Spec['sampling'], tfjsSkip?: string): Suite => modelSuite({
  name: `resnet50_224_b${batch}`,
  batch, res: 224, sampling, tfjsSkip,
  layers: resnetLayers({ depth: 50 }),
  build: () => resnet({ depth: 50 }) as unknown as Net,
  tfjs: (tf, layers, w, x) => tfResnet(tf, layers, w, x),
});

// Rounds are few for the big ones: a tfjs-webgpu run takes ~0.8-1.1 s for MobileNetV1 1.0-224
// batch 1 on lavapipe, ~7 s at batch 8 and ~9-24 s for ResNet-50 batch 1 (under load).
export const models: Suite[] = [
  mobilenet(1, 224, 1, { rounds: 7, maxTime: 3 }),
  mobilenet(1, 224, 8, { rounds: 5, maxTime: 0 }),
  mobilenet(0.25, 128, 1, { rounds: 9, maxTime: 2 }),
  mobilenet(0.25, 128, 8, { rounds: 7, maxTime: 2 }),
  resnet50(1, { rounds: 5, maxTime: 0 }),
  // kiln only: one tfjs-webgpu run of ResNet-50 batch 1 takes ~9-24 s on this machine, batch 8 would be minutes a run
  resnet50(8, { rounds: 3, maxTime: 0 }, 'ResNet-50 batch 8 takes minutes per run in tfjs-webgpu on lavapipe (~24 s at batch 1); compare per image with resnet50_224_b1'),
];

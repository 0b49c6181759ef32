// What the model builders share: a free variable scope, the pool + fully-connected head of the
// layer list, random parameters made from the layer list, and predict()'s input check.
import { Tensor, tidy } from '../tensor.ts';
import { randomNormal, fill } from '../ops/creation.ts';
import { fail } from '../ops/util.ts';
import { Variable, variable, variables } from '../autograd/variable.ts';
import type { LayerInfo } from './summary.ts';

/** `base`, or `base_1`, `base_2`, ... when live variables already use it (names are global). */
export function freeScope(base: string): string {
  const taken = variables().map((v) => v.name);
  let scope = base;
  for (let i = 1; taken.some((n) => n.startsWith(`${scope}/`)); i++) scope = `${base}_${i}`;
  return scope;
}

/** Global average pool over [h, w, c] then a fully-connected layer to `classes`. */
export function headLayers(h: number, w: number, c: number, classes: number, poolName: string, fcName: string, fcParams: [string, string]): LayerInfo[] {
  return [
    {
      name: poolName, kind: 'avgpool', inputShape: [h, w, c], outputShape: [1, 1, c], kernel: [h, w], stride: 1,
      channels: { in: c, out: c }, norm: 'none', activation: 'none', params: [],
    },
    {
      name: fcName, kind: 'fc', inputShape: [1, 1, c], outputShape: [1, 1, classes], kernel: [1, 1], stride: 1,
      channels: { in: c, out: classes }, norm: 'bias', activation: 'linear', params: fcParams,
    },
  ];
}

/**
 * Random parameters for every layer with weights: He-normal weights with std sqrt(gain / fanIn)
 * (shape and gain chosen by the model) and small biases (for the layers `hasBias` accepts), as
 * Variables named by `varName`.
 */
export function randomParams(
  layers: LayerInfo[], seed: number, varName: (key: string) => string,
  weight: (l: LayerInfo) => { shape: number[]; gain: number; fanIn: number },
  hasBias: (l: LayerInfo) => boolean = () => true,
): Record<string, Variable> {
  const params: Record<string, Variable> = {};
  const make = (key: string, shape: number[], std: number) => {
    params[key] = tidy(() => variable(randomNormal(shape, 0, std, seed++), true, varName(key)));
  };
  for (const l of layers) {
    if (!l.params.length) continue;
    const w = weight(l);
    make(l.params[0], w.shape, Math.sqrt(w.gain / w.fanIn));
    if (hasBias(l)) make(l.params[1], [l.channels.out], 0.01);
    else seed++; // the next layers' weights stay those of the all-bias model
  }
  return params;
}

/**
 * Batch-norm Variables of a conv in a model's training form, keyed `${prefix}/gamma`, `beta`
 * (trainable; 1 and 0), `moving_mean` and `moving_variance` (not trainable; 0 and 1), TF-slim's names.
 */
export function batchNormParams(prefix: string, channels: number, varName: (key: string) => string): Record<string, Variable> {
  const out: Record<string, Variable> = {};
  const make = (name: string, value: number, trainable: boolean) => {
    const key = `${prefix}/${name}`;
    out[key] = tidy(() => variable(fill([channels], value), trainable, varName(key)));
  };
  make('gamma', 1, true);
  make('beta', 0, true);
  make('moving_mean', 0, false);
  make('moving_variance', 1, false);
  return out;
}

/** predict()'s check: a live model and NHWC images with 3 channels. */
export function checkImages(op: string, x: unknown, disposed: boolean): asserts x is Tensor {
  if (disposed) fail(op, 'the model has been disposed');
  if (!(x instanceof Tensor) || x.rank !== 4 || x.shape[3] !== 3) {
    fail(op, `x must be NHWC [N, H, W, 3], got ${x instanceof Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
  }
}

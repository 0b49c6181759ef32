// TensorFlow.js layers format (Keras topology) -> a kiln plan.
//
// Each supported Keras layer maps onto kiln ops; at load time
//   [ZeroPadding2D ->] Conv2D | DepthwiseConv2D [-> BatchNormalization] [-> ReLU/Activation]
// becomes one fused conv dispatch: the padding moves into the conv's explicit pads, the inference
// batch norm is folded into the kernel and bias (in float64: k' = k*g/sqrt(v+eps),
// b' = (b-m)*g/sqrt(v+eps) + beta), and relu/relu6 runs in the conv's epilogue. The absorbed layers'
// outputs stay reachable by name (execute): the padding by kiln.pad, the batch norm's by the folded
// conv without its activation, the raw conv's with the unfolded weights (uploaded on first use).
import { Tensor, keep } from '../../tensor.ts';
import { tensor } from '../../ops/creation.ts';
import { fusedConv2d, type Activation } from '../../ops/conv.ts';
import { fusedDepthwiseConv2d } from '../../ops/depthwise.ts';
import { batchNorm } from '../../ops/norm.ts';
import { add, sub, mul, maximum, minimum, relu, relu6, leakyRelu, sigmoid, tanh, softplus, div } from '../../ops/elementwise.ts';
import { softmax } from '../../ops/softmax.ts';
import { matMul } from '../../ops/matmul.ts';
import { reshape, concat, pad } from '../../ops/movement.ts';
import { avgPool, maxPool, globalAvgPool } from '../../ops/pool.ts';
import { max } from '../../ops/reduce.ts';
import { upsampleNearest } from '../../ops/resample.ts';
import { TfjsImportError, type ModelJson } from './model_json.ts';
import type { DecodedWeight } from './weights.ts';
import type { Plan, Step } from './plan.ts';

type Cfg = Record<string, unknown>;
interface KLayer { name: string; cls: string; config: Cfg; inputs: string[] }

/** Layer classes this importer maps (Keras names). */
export const SUPPORTED_LAYERS = [
  'InputLayer', 'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'BatchNormalization', 'Dense', 'ReLU', 'LeakyReLU', 'Activation', 'Softmax',
  'ZeroPadding2D', 'AveragePooling2D', 'MaxPooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Flatten', 'Reshape',
  'Add', 'Subtract', 'Multiply', 'Maximum', 'Minimum', 'Average', 'Concatenate', 'UpSampling2D',
  'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization',
] as const;

const IDENTITY = new Set(['Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization']);
const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'softmax', 'softplus', 'swish', 'silu']);

const isObj = (v: unknown): v is Cfg => typeof v === 'object' && v !== null && !Array.isArray(v);
const pair = (v: unknown, dflt: number): [number, number] => (v === undefined || v === null ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [Number((v as number[])[0]), Number((v as number[])[1])]);

/** Reads the Keras topology into a layer list (functional or Sequential). */
function readLayers(mj: ModelJson): { layers: KLayer[]; input: string; inputShape: (number | null)[]; outputs: string[] } {
  const src = mj.source;
  const topo = mj.modelTopology;
  const mc = (isObj(topo.model_config) ? topo.model_config : topo) as Cfg;
  const cls = String(mc.class_name);
  const cfg = mc.config;
  const raw = (Array.isArray(cfg) ? cfg : isObj(cfg) ? cfg.layers : undefined) as Cfg[] | undefined;
  if (!Array.isArray(raw)) throw new TfjsImportError(`${src}: model_config of class ${cls} has no layer list`);
  if (cls === 'Sequential') {
    const layers: KLayer[] = [];
    let prev = '';
    let inputShape: (number | null)[] | undefined;
    let input = '';
    for (const l of raw) {
      const c = (l.config ?? {}) as Cfg;
      const name = String(c.name ?? l.name);
      if (!prev) {
        const bis = (c.batch_input_shape ?? c.batch_shape) as (number | null)[] | undefined;
        if (!bis) throw new TfjsImportError(`${src}: the first layer of the Sequential model (${name}) declares no batch_input_shape`);
        inputShape = bis;
        input = l.class_name === 'InputLayer' ? name : `${name}_input`;
        if (l.class_name === 'InputLayer') { prev = name; continue; }
        prev = input;
      }
      layers.push({ name, cls: String(l.class_name), config: c, inputs: [prev] });
      prev = name;
    }
    return { layers, input, inputShape: inputShape!, outputs: [prev] };
  }
  if (!isObj(cfg)) throw new TfjsImportError(`${src}: model_config.config is not an object`);
  const layers: KLayer[] = [];
  let input = '';
  let inputShape: (number | null)[] = [];
  const multi: string[] = [];
  for (const l of raw) {
    const c = (l.config ?? {}) as Cfg;
    const name = String(l.name ?? c.name);
    const nodes = (l.inbound_nodes ?? []) as unknown[];
    if (l.class_name === 'InputLayer') {
      if (input) multi.push(`${name} (a second input; one input is supported)`);
      input = name;
      inputShape = (c.batch_input_shape ?? c.batch_shape) as (number | null)[];
      continue;
    }
    if (nodes.length !== 1) { multi.push(`${name} (called ${nodes.length} times; shared layers are not supported)`); continue; }
    const node = nodes[0];
    let inputs: string[];
    if (Array.isArray(node)) inputs = node.map((r) => String((r as unknown[])[0]));
    else if (isObj(node) && Array.isArray(node.args)) {
      // Keras 3: { args: [ {config: {keras_history: [name, 0, 0]}} | [...] ], kwargs }
      const hist = (a: unknown): string[] => (Array.isArray(a) ? a.flatMap(hist) : isObj(a) && isObj(a.config) && Array.isArray(a.config.keras_history) ? [String(a.config.keras_history[0])] : []);
      inputs = hist(node.args);
    } else { multi.push(`${name} (inbound node format not understood)`); continue; }
    layers.push({ name, cls: String(l.class_name), config: c, inputs });
  }
  if (multi.length) throw new TfjsImportError(`${src}: unsupported model structure: ${multi.join('; ')}`);
  if (!input) throw new TfjsImportError(`${src}: the model has no InputLayer`);
  const refs = (v: unknown): string[] => (Array.isArray(v) && typeof v[0] === 'string' ? [v[0]] : Array.isArray(v) ? v.flatMap(refs) : []);
  const outputs = refs(cfg.output_layers);
  return { layers, input, inputShape, outputs };
}

/** Why a layer cannot be mapped, or null when it can. */
function unsupportedReason(l: KLayer): string | null {
  const c = l.config;
  if (!(SUPPORTED_LAYERS as readonly string[]).includes(l.cls)) return `${l.name} (${l.cls})`;
  if (c.data_format !== undefined && c.data_format !== 'channels_last') return `${l.name} (${l.cls} with data_format ${c.data_format})`;
  if (c.activation !== undefined && !ACTIVATIONS.has(String(c.activation))) return `${l.name} (${l.cls} with activation ${c.activation})`;
  if ((l.cls === 'Conv2D' || l.cls === 'DepthwiseConv2D' || l.cls === 'SeparableConv2D') && c.padding !== 'same' && c.padding !== 'valid') return `${l.name} (${l.cls} with padding ${c.padding})`;
  if (l.cls === 'Conv2D' && c.groups !== undefined && c.groups !== 1) return `${l.name} (Conv2D with groups ${c.groups})`;
  if (l.cls === 'BatchNormalization') {
    const ax = Array.isArray(c.axis) ? c.axis : [c.axis ?? -1];
    if (ax.length !== 1 || (ax[0] !== -1 && ax[0] !== 3)) return `${l.name} (BatchNormalization over axis ${JSON.stringify(c.axis)}; only the channel axis)`;
  }
  if (l.cls === 'ReLU' && Number(c.threshold ?? 0) !== 0) return `${l.name} (ReLU with threshold ${c.threshold})`;
  if (l.cls === 'ReLU' && Number(c.negative_slope ?? 0) !== 0 && c.max_value != null) return `${l.name} (ReLU with both negative_slope and max_value)`;
  if (l.cls === 'ReLU' && c.max_value != null && Number(c.max_value) !== 6) return `${l.name} (ReLU with max_value ${c.max_value}; 6 or none)`;
  if (l.cls === 'UpSampling2D' && (c.interpolation ?? 'nearest') !== 'nearest') return `${l.name} (UpSampling2D with interpolation ${c.interpolation})`;
  return null;
}

function actFn(name: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'relu': return relu;
    case 'relu6': return relu6;
    case 'sigmoid': return sigmoid;
    case 'tanh': return tanh;
    case 'softmax': return (x) => softmax(x, -1);
    case 'softplus': return softplus;
    case 'swish': case 'silu': return (x) => mul(x, sigmoid(x));
    default: return (x) => x;
  }
}

/** The kiln activation a conv epilogue can run for a Keras activation layer, if any. */
function fusableAct(l: KLayer): Activation | null {
  const c = l.config;
  if (l.cls === 'ReLU' && Number(c.negative_slope ?? 0) === 0 && Number(c.threshold ?? 0) === 0) return c.max_value == null ? 'relu' : Number(c.max_value) === 6 ? 'relu6' : null;
  if (l.cls === 'Activation' && (c.activation === 'relu' || c.activation === 'relu6')) return c.activation;
  return null;
}

export class WeightStore {
  readonly owned: Tensor[] = [];
  constructor(readonly decoded: Map<string, DecodedWeight>, readonly source: string) {}
  /** The decoded values of `layer/param` (also found under a scope prefix). */
  get(layer: string, param: string): DecodedWeight {
    const key = `${layer}/${param}`;
    let w = this.decoded.get(key);
    if (!w) for (const [k, v] of this.decoded) if (k.endsWith(`/${key}`)) { w = v; break; }
    if (!w) {
      const have = [...this.decoded.keys()].filter((k) => k.startsWith(`${layer}/`) || k.includes(`/${layer}/`));
      throw new TfjsImportError(`${this.source}: layer ${layer} needs weight ${key}, which the weights manifest lacks${have.length ? ` (it has ${have.join(', ')})` : ''}`);
    }
    return w;
  }
  has(layer: string, param: string): boolean {
    try { this.get(layer, param); return true; } catch { return false; }
  }
  upload(values: Float32Array | Int32Array, shape: readonly number[]): Tensor {
    const t = keep(tensor(values, shape, values instanceof Int32Array ? 'int32' : 'float32'));
    this.owned.push(t);
    return t;
  }
}

/** ZeroPadding2D's padding as [[top, bottom], [left, right]]. */
function zeroPads(v: unknown): [[number, number], [number, number]] {
  if (typeof v === 'number') return [[v, v], [v, v]];
  const a = v as (number | number[])[];
  if (typeof a[0] === 'number') return [[a[0], a[0]], [a[1] as number, a[1] as number]];
  return [[(a[0] as number[])[0], (a[0] as number[])[1]], [(a[1] as number[])[0], (a[1] as number[])[1]]];
}

export interface LayersPlan extends Plan { inputShape: (number | null)[] }

/** Builds the plan of a layers-format model from its topology and decoded weights. */
export function buildLayersPlan(mj: ModelJson, store: WeightStore, opts: { fuse?: boolean } = {}): LayersPlan {
  const src = mj.source;
  const { layers, input, inputShape, outputs } = readLayers(mj);
  const bad = layers.map(unsupportedReason).filter((r): r is string => r !== null);
  if (bad.length) {
    throw new TfjsImportError(`${src}: ${bad.length} unsupported layer${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}. Supported: ${SUPPORTED_LAYERS.join(', ')}`);
  }
  const byName = new Map(layers.map((l) => [l.name, l]));
  const consumers = new Map<string, number>();
  for (const l of layers) for (const i of l.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const isOutput = new Set(outputs);
  const soleConsumer = (name: string): KLayer | null => {
    if ((consumers.get(name) ?? 0) !== 1 || isOutput.has(name)) return null;
    return layers.find((l) => l.inputs.includes(name)) ?? null;
  };
  const fuse = opts.fuse ?? true;
  const absorbed = new Set<string>();
  const steps: Step[] = [];
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

  for (const l of layers) {
    if (absorbed.has(l.name)) continue;
    const c = l.config;
    if (l.cls === 'Conv2D' || l.cls === 'DepthwiseConv2D') {
      steps.push(convStep(l));
      continue;
    }
    if (l.cls === 'ZeroPadding2D' && fuse) {
      const next = soleConsumer(l.name);
      if (next && (next.cls === 'Conv2D' || next.cls === 'DepthwiseConv2D') && next.config.padding === 'valid') continue; // the conv takes it
    }
    steps.push(simpleStep(l));
  }

  function convStep(l: KLayer): Step {
    const c = l.config;
    const dw = l.cls === 'DepthwiseConv2D';
    const kname = dw ? 'depthwise_kernel' : 'kernel';
    const kw = store.get(l.name, kname);
    const useBias = c.use_bias !== false;
    const bw = useBias ? store.get(l.name, 'bias') : null;
    const cout = dw ? kw.shape[2] * kw.shape[3] : kw.shape[3];
    const strides = pair(c.strides, 1);
    const dil = pair(c.dilation_rate, 1);
    let pads: 'same' | 'valid' | [[number, number], [number, number]] = c.padding as 'same' | 'valid';
    let inputs = l.inputs;
    const covers: string[] = [];
    const desc: string[] = [`${l.cls} ${kw.shape[0]}x${kw.shape[1]}/${strides[0]}${dil[0] > 1 ? ` dilation ${dil[0]}` : ''} -> ${cout}`];
    // a ZeroPadding2D feeding only this 'valid' conv becomes its explicit padding
    let padLayer: KLayer | null = null;
    const prev = byName.get(l.inputs[0]);
    if (fuse && pads === 'valid' && prev && prev.cls === 'ZeroPadding2D' && soleConsumer(prev.name) === l) {
      padLayer = prev;
      pads = zeroPads(prev.config.padding);
      inputs = prev.inputs;
      covers.push(prev.name);
      desc.unshift(`ZeroPadding2D ${JSON.stringify(pads)} +`);
    }
    // batch norm folded in, then the activation in the epilogue
    const own = String(c.activation ?? 'linear');
    let bn: KLayer | null = null;
    let act: Activation = 'linear';
    let actLayer: KLayer | null = null;
    let last = l;
    if (fuse && own === 'linear') {
      const n1 = soleConsumer(l.name);
      if (n1 && n1.cls === 'BatchNormalization') { bn = n1; last = n1; absorbed.add(n1.name); }
      const n2 = soleConsumer(last.name);
      const a = n2 ? fusableAct(n2) : null;
      if (n2 && a) { act = a; actLayer = n2; last = n2; absorbed.add(n2.name); }
    }
    if (own === 'relu' || own === 'relu6') act = own;
    const post = own !== 'linear' && act === 'linear' ? actFn(own) : null;
    // folded weights (float64 arithmetic, rounded once)
    const kernel = new Float32Array(kw.values as Float32Array);
    const bias = new Float32Array(cout);
    if (bw) bias.set(bw.values as Float32Array);
    if (bn) {
      const eps = Number(bn.config.epsilon ?? 1e-3);
      const gamma = bn.config.scale !== false ? store.get(bn.name, 'gamma').values : null;
      const beta = bn.config.center !== false ? store.get(bn.name, 'beta').values : null;
      const m = store.get(bn.name, 'moving_mean').values;
      const v = store.get(bn.name, 'moving_variance').values;
      const s = new Float64Array(cout);
      for (let o = 0; o < cout; o++) s[o] = (gamma ? gamma[o] : 1) / Math.sqrt(v[o] + eps);
      const raw = kw.values as Float32Array;
      for (let i = 0; i < kernel.length; i++) kernel[i] = raw[i] * s[i % cout];
      for (let o = 0; o < cout; o++) bias[o] = ((bw ? bw.values[o] : 0) - m[o]) * s[o] + (beta ? beta[o] : 0);
      covers.push(l.name);
      desc.push('+BatchNormalization (folded)');
    }
    if (actLayer) {
      covers.push(bn ? bn.name : l.name);
      desc.push(`+${act}`);
    } else if (own !== 'linear') desc.push(`+${own}`);
    const K = store.upload(kernel, kw.shape);
    const B = bn || bw ? store.upload(bias, [cout]) : null;
    let rawK: Tensor | null = null;
    let rawB: Tensor | null = null;
    const conv = (x: Tensor, k: Tensor, b: Tensor | null, a: Activation) => {
      const args = { x, filter: k, bias: b, strides, pad: pads, dilations: dil, activation: a };
      return dw ? fusedDepthwiseConv2d(args) : fusedConv2d(args);
    };
    const name = last.name;
    return {
      name, inputs, covers, desc: desc.join(' '), params: size(kw.shape) + (bw ? cout : 0) + (bn ? 4 * cout : 0),
      run: ([x]) => { const y = conv(x, K, B, act); return post ? post(y) : y; },
      partial: (n, [x]) => {
        if (padLayer && n === padLayer.name) return pad(x, [[0, 0], ...zeroPads(padLayer.config.padding), [0, 0]]);
        if (bn && n === bn.name) return conv(x, K, B, 'linear');
        // the raw conv output: unfolded weights, uploaded on first use
        rawK ??= store.upload(kw.values as Float32Array, kw.shape);
        if (bw) rawB ??= store.upload(bw.values as Float32Array, [cout]);
        return conv(x, rawK, rawB, bn ? 'linear' : act);
      },
    };
  }

  function simpleStep(l: KLayer): Step {
    const c = l.config;
    const base = { name: l.name, inputs: l.inputs, covers: [] as string[], params: 0 };
    const a = String(c.activation ?? 'linear');
    switch (l.cls) {
      case 'SeparableConv2D': {
        const dk = store.get(l.name, 'depthwise_kernel');
        const pk = store.get(l.name, 'pointwise_kernel');
        const bw = c.use_bias !== false ? store.get(l.name, 'bias') : null;
        const D = store.upload(dk.values as Float32Array, dk.shape);
        const P = store.upload(pk.values as Float32Array, pk.shape);
        const B = bw ? store.upload(bw.values as Float32Array, bw.shape) : null;
        const strides = pair(c.strides, 1), dil = pair(c.dilation_rate, 1);
        const fa: Activation = a === 'relu' || a === 'relu6' ? a : 'linear';
        const post = fa === 'linear' && a !== 'linear' ? actFn(a) : null;
        return {
          ...base, params: size(dk.shape) + size(pk.shape) + (bw ? size(bw.shape) : 0), desc: `SeparableConv2D ${dk.shape[0]}x${dk.shape[1]}/${strides[0]} -> ${pk.shape[3]}${a !== 'linear' ? ` +${a}` : ''}`,
          run: ([x]) => {
            const d = fusedDepthwiseConv2d({ x, filter: D, strides, pad: c.padding as 'same' | 'valid', dilations: dil });
            const y = fusedConv2d({ x: d, filter: P, bias: B, strides: 1, pad: 'valid', activation: fa });
            d.dispose();
            return post ? post(y) : y;
          },
        };
      }
      case 'BatchNormalization': {
        const C = store.get(l.name, 'moving_mean').shape[0];
        const M = store.upload(store.get(l.name, 'moving_mean').values as Float32Array, [C]);
        const V = store.upload(store.get(l.name, 'moving_variance').values as Float32Array, [C]);
        const G = c.scale !== false ? store.upload(store.get(l.name, 'gamma').values as Float32Array, [C]) : null;
        const Bt = c.center !== false ? store.upload(store.get(l.name, 'beta').values as Float32Array, [C]) : null;
        const eps = Number(c.epsilon ?? 1e-3);
        return { ...base, params: 4 * C, desc: `BatchNormalization ${C}`, run: ([x]) => batchNorm(x, M, V, Bt, G, eps) };
      }
      case 'Dense': {
        const kw = store.get(l.name, 'kernel');
        const bw = c.use_bias !== false ? store.get(l.name, 'bias') : null;
        const K = store.upload(kw.values as Float32Array, kw.shape);
        const B = bw ? store.upload(bw.values as Float32Array, bw.shape) : null;
        const f = actFn(a);
        const [cin, units] = kw.shape;
        return {
          ...base, params: size(kw.shape) + (bw ? units : 0), desc: `Dense ${cin} -> ${units}${a !== 'linear' ? ` +${a}` : ''}`,
          run: ([x]) => {
            const x2 = x.rank === 2 ? x : reshape(x, [-1, cin]);
            let y = matMul(x2, K);
            if (B) y = add(y, B);
            y = f(y);
            return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), units]);
          },
        };
      }
      case 'ReLU': {
        const slope = Number(c.negative_slope ?? 0);
        const f = c.max_value != null ? relu6 : slope !== 0 ? (x: Tensor) => leakyRelu(x, slope) : relu;
        return { ...base, desc: c.max_value != null ? 'ReLU (max 6)' : 'ReLU', run: ([x]) => f(x) };
      }
      case 'LeakyReLU': {
        const alpha = Number(c.alpha ?? c.negative_slope ?? 0.3);
        return { ...base, desc: `LeakyReLU ${alpha}`, run: ([x]) => leakyRelu(x, alpha) };
      }
      case 'Activation': return { ...base, desc: `Activation ${a}`, run: ([x]) => actFn(a)(x) };
      case 'Softmax': return { ...base, desc: 'Softmax', run: ([x]) => softmax(x, Number(c.axis ?? -1)) };
      case 'ZeroPadding2D': {
        const p = zeroPads(c.padding);
        return { ...base, desc: `ZeroPadding2D ${JSON.stringify(p)}`, run: ([x]) => pad(x, [[0, 0], ...p, [0, 0]]) };
      }
      case 'AveragePooling2D': case 'MaxPooling2D': {
        const ps = pair(c.pool_size, 2);
        const st = c.strides == null ? ps : pair(c.strides, 1);
        const f = l.cls === 'MaxPooling2D' ? maxPool : avgPool;
        return { ...base, desc: `${l.cls} ${ps[0]}x${ps[1]}/${st[0]} ${c.padding}`, run: ([x]) => f(x, ps, st, (c.padding ?? 'valid') as 'same' | 'valid') };
      }
      case 'GlobalAveragePooling2D': return { ...base, desc: 'GlobalAveragePooling2D', run: ([x]) => globalAvgPool(x, c.keepdims === true) };
      case 'GlobalMaxPooling2D': return { ...base, desc: 'GlobalMaxPooling2D', run: ([x]) => max(x, [1, 2], c.keepdims === true) };
      case 'Flatten': return { ...base, desc: 'Flatten', run: ([x]) => reshape(x, [x.shape[0], -1]) };
      case 'Reshape': {
        const ts = (c.target_shape as number[]).map(Number);
        return { ...base, desc: `Reshape ${JSON.stringify(ts)}`, run: ([x]) => reshape(x, [x.shape[0], ...ts]) };
      }
      case 'Add': case 'Subtract': case 'Multiply': case 'Maximum': case 'Minimum': case 'Average': {
        const f = { Add: add, Subtract: sub, Multiply: mul, Maximum: maximum, Minimum: minimum, Average: add }[l.cls]!;
        return {
          ...base, desc: `${l.cls} of ${l.inputs.length}`,
          run: (xs) => {
            let y = xs[0];
            for (let i = 1; i < xs.length; i++) y = f(y, xs[i]);
            return l.cls === 'Average' ? div(y, xs.length) : y === xs[0] ? mul(y, 1) : y;
          },
        };
      }
      case 'Concatenate': return { ...base, desc: `Concatenate axis ${c.axis ?? -1}`, run: (xs) => concat(xs, Number(c.axis ?? -1) < 0 ? xs[0].rank + Number(c.axis ?? -1) : Number(c.axis)) };
      case 'UpSampling2D': return { ...base, desc: `UpSampling2D ${JSON.stringify(pair(c.size, 2))}`, run: ([x]) => upsampleNearest(x, pair(c.size, 2)) };
      default:
        if (IDENTITY.has(l.cls)) return { ...base, desc: `${l.cls} (identity at inference)`, run: ([x]) => reshape(x, x.shape) };
        throw new TfjsImportError(`${src}: layer ${l.name} (${l.cls}) is not supported`);
    }
  }
  return { steps, inputName: input, outputNames: outputs, inputShape };
}

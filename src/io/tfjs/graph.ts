// TensorFlow.js graph format (a GraphDef node list, as tfjs-converter writes it) -> a kiln plan.
//
// Const nodes are weights from the manifest: uploaded once when an op takes them as a tensor, or
// read on the CPU when an op needs static values (Reshape's shape, Mean's axes, Pad's paddings,
// ConcatV2's axis). The converter's fused ops (_FusedConv2D, FusedDepthwiseConv2dNative,
// _FusedMatMul with BiasAdd and Relu/Relu6) map onto kiln's fused kernels; a plain
// Conv2D/DepthwiseConv2dNative -> BiasAdd -> Relu/Relu6 chain is fused here the same way (the
// intermediate node names stay reachable through execute()).
import { Tensor, keep } from '../../tensor.ts';
import { tensor } from '../../ops/creation.ts';
import { fusedConv2d, type Activation } from '../../ops/conv.ts';
import { conv2dBackpropInput } from '../../ops/conv.grad.ts';
import { convGeom as conv2dGeom } from '../../../kernels/conv2d.ts';
import { fusedDepthwiseConv2d } from '../../ops/depthwise.ts';
import { batchNorm } from '../../ops/norm.ts';
import { add, sub, mul, div, maximum, minimum, relu, relu6, sigmoid, tanh, leakyRelu, rsqrt, sqrt, exp, neg, square, abs } from '../../ops/elementwise.ts';
import { softmax } from '../../ops/softmax.ts';
import { matMul } from '../../ops/matmul.ts';
import { reshape, concat, pad, squeeze, transpose, expandDims } from '../../ops/movement.ts';
import { resizeBilinear, resizeNearestNeighbor } from '../../ops/resample.ts';
import { avgPool, maxPool } from '../../ops/pool.ts';
import { mean, max, sum } from '../../ops/reduce.ts';
import { TfjsImportError, type ModelJson } from './model_json.ts';
import type { DecodedWeight } from './weights.ts';
import { valueName, type Plan, type Step } from './plan.ts';

interface GNode { name: string; op: string; input?: string[]; attr?: Record<string, AttrValue> }
interface AttrValue { s?: string; i?: string | number; f?: number; b?: boolean; type?: string; shape?: { dim?: { size: string | number }[]; unknownRank?: boolean }; list?: { s?: string[]; i?: (string | number)[]; f?: number[] } }

/** Graph ops this importer maps. */
export const SUPPORTED_OPS = [
  'Placeholder', 'Const', 'Identity', 'Conv2D', 'DepthwiseConv2dNative', '_FusedConv2D', 'FusedDepthwiseConv2dNative', 'BiasAdd',
  'Relu', 'Relu6', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Softmax', 'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum', 'Rsqrt', 'Sqrt', 'Exp', 'Neg',
  'MatMul', '_FusedMatMul', 'Reshape', 'Squeeze', 'Transpose', 'AvgPool', 'MaxPool', 'Mean', 'Max', 'Sum', 'Pad', 'ConcatV2',
  'FusedBatchNorm', 'FusedBatchNormV3', 'Prelu', 'AddN', 'Square', 'Abs', 'ExpandDims', 'ResizeBilinear', 'ResizeNearestNeighbor', 'NoOp', 'Conv2DBackpropInput',
] as const;

/** Activations a fused conv/matmul node may carry after its BiasAdd. */
const FUSED_ACTS = ['Relu', 'Relu6', 'LeakyRelu', 'Prelu', 'Sigmoid'];

/** PReLU: x where x > 0, alpha * x elsewhere (alpha broadcast over the last axis). */
function prelu(x: Tensor, alpha: Tensor): Tensor {
  return add(relu(x), mul(alpha, minimum(x, 0)));
}

/** A GraphDef string attribute (base64 in the JSON). */
const b64 = (s: string | undefined) => (s === undefined ? '' : atob(s));
const ints = (a: AttrValue | undefined) => (a?.list?.i ?? []).map(Number);

/** Builds the plan of a graph model from its nodes and decoded weights. */
export function buildGraphPlan(mj: ModelJson, decoded: Map<string, DecodedWeight>, owned: Tensor[], opts: { fuse?: boolean } = {}): Plan & { inputShape: (number | null)[] } {
  const src = mj.source;
  const nodes = mj.modelTopology.node as GNode[];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const inputsOf = (n: GNode) => (n.input ?? []).filter((i) => !i.startsWith('^')).map((i) => valueName(i, src));

  // unsupported ops and fused variants, all listed at once
  const bad: string[] = [];
  for (const n of nodes) {
    if (!(SUPPORTED_OPS as readonly string[]).includes(n.op)) { bad.push(`${n.name} (${n.op})`); continue; }
    const fmt = b64(n.attr?.data_format?.s);
    if (fmt && fmt !== 'NHWC') bad.push(`${n.name} (${n.op} with data_format ${fmt})`);
    if (n.op === '_FusedConv2D' || n.op === 'FusedDepthwiseConv2dNative' || n.op === '_FusedMatMul') {
      const f = (n.attr?.fused_ops?.list?.s ?? []).map(b64);
      const ok = (f.length === 0 || f[0] === 'BiasAdd') && f.slice(1).every((o) => FUSED_ACTS.includes(o)) && f.length <= 2;
      if (!ok) bad.push(`${n.name} (${n.op} fusing ${f.join('+')})`);
    }
    if (n.op === 'Const' && !decoded.has(n.name)) bad.push(`${n.name} (Const without data in the weights manifest)`);
  }
  if (bad.length) {
    throw new TfjsImportError(`${src}: ${bad.length} unsupported node${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}. Supported ops: ${SUPPORTED_OPS.join(', ')}`);
  }
  const placeholders = nodes.filter((n) => n.op === 'Placeholder');
  if (placeholders.length !== 1) throw new TfjsImportError(`${src}: the graph has ${placeholders.length} Placeholder inputs; one is supported`);
  const ph = placeholders[0];
  const dims = ph.attr?.shape?.shape?.dim;
  const inputShape = dims ? dims.map((d) => (Number(d.size) < 0 ? null : Number(d.size))) : [null, null, null, null];

  const consumers = new Map<string, number>();
  for (const n of nodes) for (const i of inputsOf(n)) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const sig = mj.signature as { outputs?: Record<string, { name?: string }> } | undefined;
  const outputs = sig?.outputs ? Object.values(sig.outputs).map((o) => valueName(String(o.name), src)).filter((n) => byName.has(n) && byName.get(n)!.op !== 'NoOp')
    : nodes.filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && n.op !== 'NoOp' && !consumers.has(n.name)).map((n) => n.name);
  const isOutput = new Set(outputs);
  const soleConsumer = (name: string): GNode | null => {
    if ((consumers.get(name) ?? 0) !== 1 || isOutput.has(name)) return null;
    return nodes.find((n) => inputsOf(n).includes(name)) ?? null;
  };

  // constants: static values on the CPU, tensors on the GPU on first use
  const gpu = new Map<string, Tensor>();
  // a constant seen through Identity nodes (the converter sometimes leaves them on weights)
  const constOf = (name: string): GNode | null => {
    let n = byName.get(name);
    for (let hops = 0; n && n.op === 'Identity' && hops < 64; hops++) n = byName.get(inputsOf(n)[0]);
    return n && n.op === 'Const' ? n : null;
  };
  const isConst = (name: string) => constOf(name) !== null;
  const constVal = (name: string, user: GNode): DecodedWeight => {
    const c = constOf(name);
    if (!c) throw new TfjsImportError(`${src}: ${user.name} (${user.op}) needs its input ${name} to be a constant, but it is computed (${byName.get(name)?.op ?? 'missing'}); dynamic shapes/axes are not supported`);
    return decoded.get(c.name)!;
  };
  const constTensor = (ref: string): Tensor => {
    const name = constOf(ref)!.name;
    let t = gpu.get(name);
    if (!t) {
      const w = decoded.get(name)!;
      t = keep(tensor(w.dtype === 'bool' ? Int32Array.from(w.values) : w.values as Float32Array | Int32Array, w.shape, w.dtype === 'float32' ? 'float32' : 'int32'));
      owned.push(t);
      gpu.set(name, t);
    }
    return t;
  };
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

  const fuse = opts.fuse ?? true;
  const absorbed = new Set<string>();
  const steps: Step[] = [];
  for (const n of nodes) {
    if (n.op === 'Const' || n.op === 'Placeholder' || n.op === 'NoOp' || absorbed.has(n.name) || (n.op === 'Identity' && isConst(n.name))) continue;
    steps.push(step(n));
  }

  function convGeom(n: GNode) {
    const s = ints(n.attr?.strides);
    const d = ints(n.attr?.dilations);
    const p = b64(n.attr?.padding?.s) || 'VALID';
    let pads: 'same' | 'valid' | [[number, number], [number, number]];
    if (p === 'SAME') pads = 'same';
    else if (p === 'VALID') pads = 'valid';
    else {
      const e = ints(n.attr?.explicit_paddings);
      pads = [[e[2], e[3]], [e[4], e[5]]];
    }
    return { strides: [s[1] ?? 1, s[2] ?? 1] as [number, number], dil: [d[1] ?? 1, d[2] ?? 1] as [number, number], pads };
  }

  /** The activation after a fused conv/matmul's bias, when the kernel epilogue cannot run it. */
  function fusedPost(n: GNode, op: string, alphaRef: string | undefined): (x: Tensor) => Tensor {
    if (op === 'Relu') return relu;
    if (op === 'Relu6') return relu6;
    if (op === 'Sigmoid') return sigmoid;
    if (op === 'LeakyRelu') { const a = n.attr?.leakyrelu_alpha?.f ?? 0.2; return (x) => leakyRelu(x, a); }
    const alpha = constTensor(constVal(alphaRef ?? '', n).name); // Prelu: the 4th input
    return (x) => prelu(x, alpha);
  }

  function step(n: GNode): Step {
    const ins = inputsOf(n);
    const dyn = ins.filter((i) => !isConst(i));
    const base = { name: n.name, covers: [] as string[], params: 0 };
    const unary = (f: (x: Tensor) => Tensor, desc = n.op): Step => ({ ...base, inputs: [ins[0]], desc, run: ([x]) => f(x) });
    switch (n.op) {
      case 'Conv2D': case 'DepthwiseConv2dNative': case '_FusedConv2D': case 'FusedDepthwiseConv2dNative': {
        const dw = n.op.includes('Depthwise');
        const g = convGeom(n);
        const filterW = constVal(ins[1], n);
        const K = constTensor(ins[1]);
        let B: Tensor | null = null;
        let act: Activation = 'linear';
        let last = n;
        const covers: string[] = [];
        const desc = [`${n.op} ${filterW.shape[0]}x${filterW.shape[1]}/${g.strides[0]} -> ${dw ? filterW.shape[2] * filterW.shape[3] : filterW.shape[3]}`];
        let post: ((x: Tensor) => Tensor) | null = null;
        if (n.op.startsWith('_Fused') || n.op.startsWith('Fused')) {
          const f = (n.attr?.fused_ops?.list?.s ?? []).map(b64);
          if (f[0] === 'BiasAdd') B = constTensor(constVal(ins[2], n).name);
          if (f[1] === 'Relu' || f[1] === 'Relu6') act = f[1] === 'Relu' ? 'relu' : 'relu6';
          else if (f[1]) post = fusedPost(n, f[1], ins[3]);
          desc.push(...f.map((o) => `+${o}`));
        } else if (fuse) {
          const ba = soleConsumer(n.name);
          if (ba && ba.op === 'BiasAdd' && isConst(inputsOf(ba)[1]) && inputsOf(ba)[0] === n.name) {
            B = constTensor(inputsOf(ba)[1]);
            absorbed.add(ba.name);
            covers.push(n.name);
            last = ba;
            desc.push('+BiasAdd');
          }
          const r = soleConsumer(last.name);
          if (r && (r.op === 'Relu' || r.op === 'Relu6')) {
            act = r.op === 'Relu' ? 'relu' : 'relu6';
            absorbed.add(r.name);
            covers.push(last.name);
            last = r;
            desc.push(`+${r.op}`);
          }
        }
        const conv = (x: Tensor, b: Tensor | null, a: Activation) => {
          const args = { x, filter: K, bias: b, strides: g.strides, pad: g.pads, dilations: g.dil, activation: a };
          return dw ? fusedDepthwiseConv2d(args) : fusedConv2d(args);
        };
        return {
          name: last.name, inputs: [ins[0]], covers, params: size(filterW.shape) + (B ? B.size : 0), desc: desc.join(' '),
          run: ([x]) => (post ? post(conv(x, B, act)) : conv(x, B, act)),
          partial: (c, [x]) => (c === n.name ? conv(x, null, 'linear') : conv(x, B, 'linear')),
        };
      }
      case 'BiasAdd': case 'Add': case 'AddV2': case 'Sub': case 'Mul': case 'RealDiv': case 'Maximum': case 'Minimum': {
        const f = { BiasAdd: add, Add: add, AddV2: add, Sub: sub, Mul: mul, RealDiv: div, Maximum: maximum, Minimum: minimum }[n.op]!;
        return {
          ...base, inputs: dyn, desc: n.op,
          run: (xs) => {
            let k = 0;
            const operands = ins.map((i) => (isConst(i) ? constTensor(i) : xs[k++]));
            return f(operands[0], operands[1]);
          },
        };
      }
      case 'Relu': return unary(relu);
      case 'Prelu': { const a = constTensor(constVal(ins[1], n).name); return unary((x) => prelu(x, a)); }
      case 'Square': return unary(square);
      case 'Abs': return unary(abs);
      case 'ExpandDims': {
        const ax = Number(constVal(ins[1], n).values[0]);
        return { ...base, inputs: [ins[0]], desc: `ExpandDims ${ax}`, run: ([x]) => expandDims(x, ax < 0 ? x.rank + 1 + ax : ax) };
      }
      case 'ResizeBilinear': case 'ResizeNearestNeighbor': {
        const sz = Array.from(constVal(ins[1], n).values) as [number, number];
        const ac = !!n.attr?.align_corners?.b, hp = !!n.attr?.half_pixel_centers?.b;
        const f = n.op === 'ResizeBilinear' ? resizeBilinear : resizeNearestNeighbor;
        return { ...base, inputs: [ins[0]], desc: `${n.op} ${sz.join('x')}${ac ? ' alignCorners' : ''}${hp ? ' halfPixelCenters' : ''}`, run: ([x]) => f(x, sz, ac, hp) };
      }
      case 'Conv2DBackpropInput': {
        // a transposed convolution: out_backprop [N, OH, OW, Cout] -> [N, H, W, Cin] (input_sizes)
        const sizes = Array.from(constVal(ins[0], n).values);
        const filterW = constVal(ins[1], n);
        const K = constTensor(ins[1]);
        const g = convGeom(n);
        return {
          ...base, inputs: [ins[2]], params: size(filterW.shape),
          desc: `Conv2DBackpropInput ${filterW.shape[0]}x${filterW.shape[1]}/${g.strides[0]} -> ${filterW.shape[2]}`,
          run: ([dz]) => conv2dBackpropInput(dz, K, conv2dGeom([dz.shape[0], sizes[1], sizes[2], sizes[3]], filterW.shape, g.strides, g.pads, g.dil)),
        };
      }
      case 'AddN': {
        return {
          ...base, inputs: dyn, desc: `AddN of ${ins.length}`,
          run: (xs) => {
            let k = 0;
            const ts = ins.map((i) => (isConst(i) ? constTensor(i) : xs[k++]));
            let y = ts[0];
            for (let i = 1; i < ts.length; i++) y = add(y, ts[i]);
            return y;
          },
        };
      }
      case 'Relu6': return unary(relu6);
      case 'LeakyRelu': { const a = n.attr?.alpha?.f ?? 0.2; return unary((x) => leakyRelu(x, a)); }
      case 'Sigmoid': return unary(sigmoid);
      case 'Tanh': return unary(tanh);
      case 'Rsqrt': return unary(rsqrt);
      case 'Sqrt': return unary(sqrt);
      case 'Exp': return unary(exp);
      case 'Neg': return unary(neg);
      case 'Softmax': return unary((x) => softmax(x, -1));
      case 'Identity': return unary((x) => reshape(x, x.shape));
      case 'MatMul': case '_FusedMatMul': {
        const ta = !!n.attr?.transpose_a?.b, tb = !!n.attr?.transpose_b?.b;
        const f = n.op === '_FusedMatMul' ? (n.attr?.fused_ops?.list?.s ?? []).map(b64) : [];
        const B = f[0] === 'BiasAdd' ? constTensor(constVal(ins[2], n).name) : null;
        const post = f[1] ? fusedPost(n, f[1], ins[3]) : null;
        return {
          ...base, inputs: dyn.filter((i) => i !== ins[2]), desc: [n.op, ...f.map((o) => `+${o}`)].join(' '),
          run: (xs) => {
            let k = 0;
            const [a, b] = ins.slice(0, 2).map((i) => (isConst(i) ? constTensor(i) : xs[k++]));
            let y = matMul(a, b, ta, tb);
            if (B) y = add(y, B);
            return post ? post(y) : y;
          },
        };
      }
      case 'Reshape': {
        const shp = Array.from(constVal(ins[1], n).values);
        return { ...base, inputs: [ins[0]], desc: `Reshape ${JSON.stringify(shp)}`, run: ([x]) => reshape(x, shp) };
      }
      case 'Squeeze': {
        const ax = ints(n.attr?.squeeze_dims);
        return unary((x) => squeeze(x, ax.length ? ax : undefined), `Squeeze ${JSON.stringify(ax)}`);
      }
      case 'Transpose': {
        const perm = Array.from(constVal(ins[1], n).values);
        return { ...base, inputs: [ins[0]], desc: `Transpose ${JSON.stringify(perm)}`, run: ([x]) => transpose(x, perm) };
      }
      case 'AvgPool': case 'MaxPool': {
        const k = ints(n.attr?.ksize), s = ints(n.attr?.strides);
        const p = b64(n.attr?.padding?.s) === 'SAME' ? 'same' : 'valid';
        const f = n.op === 'MaxPool' ? maxPool : avgPool;
        return unary((x) => f(x, [k[1], k[2]], [s[1], s[2]], p), `${n.op} ${k[1]}x${k[2]}/${s[1]} ${p}`);
      }
      case 'Mean': case 'Max': case 'Sum': {
        const ax = Array.from(constVal(ins[1], n).values);
        const keep = !!n.attr?.keep_dims?.b;
        const f = n.op === 'Mean' ? mean : n.op === 'Max' ? max : sum;
        return { ...base, inputs: [ins[0]], desc: `${n.op} axes ${JSON.stringify(ax)}`, run: ([x]) => f(x, ax, keep) };
      }
      case 'Pad': {
        const p = Array.from(constVal(ins[1], n).values);
        const pairs: [number, number][] = [];
        for (let i = 0; i < p.length; i += 2) pairs.push([p[i], p[i + 1]]);
        const cv = ins[2] ? Number(constVal(ins[2], n).values[0]) : 0;
        return { ...base, inputs: [ins[0]], desc: `Pad ${JSON.stringify(pairs)}`, run: ([x]) => pad(x, pairs, cv) };
      }
      case 'ConcatV2': {
        const axisName = ins[ins.length - 1];
        const axis = Number(constVal(axisName, n).values[0]);
        const parts = ins.slice(0, -1);
        return {
          ...base, inputs: parts.filter((i) => !isConst(i)), desc: `ConcatV2 axis ${axis}`,
          run: (xs) => {
            let k = 0;
            const ts = parts.map((i) => (isConst(i) ? constTensor(i) : xs[k++]));
            return concat(ts, axis < 0 ? ts[0].rank + axis : axis);
          },
        };
      }
      case 'FusedBatchNorm': case 'FusedBatchNormV3': {
        const [scale, offset, m, v] = ins.slice(1, 5).map((i) => constTensor(constVal(i, n).name));
        const eps = n.attr?.epsilon?.f ?? 1e-3;
        return unary((x) => batchNorm(x, m, v, offset, scale, eps), `${n.op} eps ${eps}`);
      }
      default:
        throw new TfjsImportError(`${src}: node ${n.name} (${n.op}) is not supported`);
    }
  }
  return { steps, inputName: ph.name, outputNames: outputs, inputShape };
}

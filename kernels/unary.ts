// Elementwise unary ops and casts: shaders/unary.wgsl. One pipeline per (op, dtype, vec4).
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import { wgslType, type DType } from '../src/tensor.ts';

export const UNARY_FLOAT_OPS = [
  'exp', 'log', 'sqrt', 'rsqrt', 'reciprocal', 'sigmoid', 'tanh', 'softplus', 'floor', 'ceil', 'round',
  'sin', 'cos', 'leakyRelu',
] as const;
export const UNARY_ANY_OPS = ['identity', 'neg', 'abs', 'square', 'relu', 'relu6', 'clamp', 'sign', 'not'] as const;
export type UnaryOp = (typeof UNARY_FLOAT_OPS)[number] | (typeof UNARY_ANY_OPS)[number];

/** Items (vec4s where aligned) per thread; bench/lab/binary.ts. */
export const ITEMS_PER_THREAD = 4;

export interface UnaryParams { alpha?: number; beta?: number }

function buildUnaryProgram(op: UnaryOp, inDtype: DType, outDtype: DType, n: number, p: UnaryParams = {}): Program {
  const vec4 = n % 4 === 0 && n >= 4;
  const ti = wgslType(inDtype);
  const to = wgslType(outDtype);
  const items = vec4 ? n / 4 : n;
  return {
    shader: 'unary',
    label: op === 'identity' ? `cast_${inDtype}_${outDtype}` : op,
    defines: {
      [`OP_${op}`]: true,
      TI: ti,
      VI: vec4 ? `vec4<${ti}>` : ti,
      VO: vec4 ? `vec4<${to}>` : to,
      TO_BOOL: outDtype === 'bool' && inDtype !== 'bool',
    },
    overrides: { K: ITEMS_PER_THREAD },
    workgroups: grid(items, 64 * ITEMS_PER_THREAD),
    uniforms: new Uniforms().u32(items).f32(p.alpha ?? 0, p.beta ?? 0).u32(0),
  };
}

/** CPU reference, float64. */
export function unaryRef(op: UnaryOp, x: ArrayLike<number>, p: UnaryParams = {}): Float64Array {
  const f = UNARY_REF[op];
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i], p);
  return out;
}

const UNARY_REF: Record<UnaryOp, (v: number, p: UnaryParams) => number> = {
  identity: (v) => v,
  neg: (v) => -v,
  abs: Math.abs,
  square: (v) => v * v,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (v) => 1 / Math.sqrt(v),
  reciprocal: (v) => 1 / v,
  relu: (v) => (v > 0 ? v : 0),
  relu6: (v) => Math.min(Math.max(v, 0), 6),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
  softplus: (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
  clamp: (v, p) => Math.min(Math.max(v, p.alpha ?? -Infinity), p.beta ?? Infinity),
  leakyRelu: (v, p) => (v > 0 ? v : v * (p.alpha ?? 0.2)),
  sign: Math.sign,
  floor: Math.floor,
  ceil: Math.ceil,
  round: (v) => { const r = Math.round(v); return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; },
  sin: Math.sin,
  cos: Math.cos,
  not: (v) => (v === 0 ? 1 : 0),
};

/** Memoised: the same arguments give the same Program object. */
export const unaryProgram = memo(buildUnaryProgram);

// Fused backward of unary ops: shaders/unary_grad.wgsl (dx = dy * f'(x), using x and y = f(x)).
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import { ITEMS_PER_THREAD, type UnaryOp, type UnaryParams } from './unary.ts';

/** Ops whose derivative this kernel knows (the others have zero or no gradient). */
export const UNARY_GRAD_OPS = [
  'neg', 'abs', 'square', 'exp', 'log', 'sqrt', 'rsqrt', 'reciprocal', 'relu', 'relu6', 'leakyRelu',
  'sigmoid', 'tanh', 'softplus', 'sin', 'cos', 'clamp',
] as const satisfies readonly UnaryOp[];
export type UnaryGradOp = (typeof UNARY_GRAD_OPS)[number];

function buildUnaryGradProgram(op: UnaryGradOp, n: number, p: UnaryParams = {}): Program {
  const vec4 = n % 4 === 0 && n >= 4;
  const items = vec4 ? n / 4 : n;
  return {
    shader: 'unary_grad', label: `${op}_grad`,
    defines: { [`OP_${op}`]: true, V: vec4 ? 'vec4<f32>' : 'f32', B: vec4 ? 'vec4<bool>' : 'bool' },
    overrides: { K: ITEMS_PER_THREAD },
    workgroups: grid(items, 64 * ITEMS_PER_THREAD),
    uniforms: new Uniforms().u32(items).f32(p.alpha ?? 0, p.beta ?? 0).u32(0),
  };
}

const D: Record<UnaryGradOp, (x: number, y: number, p: UnaryParams) => number> = {
  neg: () => -1,
  abs: (x) => Math.sign(x),
  square: (x) => 2 * x,
  exp: (_x, y) => y,
  log: (x) => 1 / x,
  sqrt: (_x, y) => 0.5 / y,
  rsqrt: (x, y) => -0.5 * y / x,
  reciprocal: (_x, y) => -y * y,
  relu: (x) => (x > 0 ? 1 : 0),
  relu6: (x) => (x > 0 && x < 6 ? 1 : 0),
  leakyRelu: (x, _y, p) => (x > 0 ? 1 : p.alpha ?? 0.2),
  sigmoid: (_x, y) => y * (1 - y),
  tanh: (_x, y) => 1 - y * y,
  softplus: (x) => 1 / (1 + Math.exp(-x)),
  sin: (x) => Math.cos(x),
  cos: (x) => -Math.sin(x),
  clamp: (x, _y, p) => (x >= (p.alpha ?? -Infinity) && x <= (p.beta ?? Infinity) ? 1 : 0),
};

/** CPU reference, float64: dx = dy * f'(x). */
export function unaryGradRef(op: UnaryGradOp, x: ArrayLike<number>, y: ArrayLike<number>, dy: ArrayLike<number>, p: UnaryParams = {}): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = dy[i] * D[op](x[i], y[i], p);
  return out;
}

/** Memoised: the same arguments give the same Program object. */
export const unaryGradProgram = memo(buildUnaryGradProgram);

// Glue between ops and kernels: allocate outputs, record the dispatch.
import type { Program } from '../gpu/runtime.ts';
import { empty, engine, fmtShape, type DType, type Shape, Tensor } from '../tensor.ts';

/** Run one program over `inputs`, returning one new output tensor. */
export function run(p: Program, inputs: Tensor[], outShape: Shape, outDtype: DType): Tensor {
  const out = empty(outShape, outDtype);
  if (out.size === 0) return out;
  const e = engine();
  e.dispatch(p, inputs.map((t) => t.buffer), [out.buffer]);
  checked(out, p.label ?? p.shader);
  return out;
}

/** In checkNumerics debug mode, flag NaN/Inf in a float32 op output (see setDebug). */
export function checked<T extends Tensor>(t: T, op: string): T {
  const e = engine();
  if (e.checkNumerics && t.dtype === 'float32') e.checkOutput(t.buffer, t.size, `${e.labelPrefix}kiln.${op}${fmtShape(t.shape)}`);
  return t;
}

/** Run one program writing into existing outputs. */
export function runInto(p: Program, inputs: Tensor[], outputs: Tensor[]): void {
  engine().dispatch(p, inputs.map((t) => t.buffer), outputs.map((t) => t.buffer));
}

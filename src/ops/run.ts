// Glue between ops and kernels: allocate outputs, record the dispatch.
import type { Program } from '../gpu/runtime.ts';
import { empty, engine, type DType, type Shape, Tensor } from '../tensor.ts';

/** Run one program over `inputs`, returning one new output tensor. */
export function run(p: Program, inputs: Tensor[], outShape: Shape, outDtype: DType): Tensor {
  const out = empty(outShape, outDtype);
  if (out.size === 0) return out;
  engine().dispatch(p, inputs.map((t) => t.buffer), [out.buffer]);
  return out;
}

/** Run one program writing into existing outputs. */
export function runInto(p: Program, inputs: Tensor[], outputs: Tensor[]): void {
  engine().dispatch(p, inputs.map((t) => t.buffer), outputs.map((t) => t.buffer));
}

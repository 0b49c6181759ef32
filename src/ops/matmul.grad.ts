// Gradient of matMul: two more matMuls with transposes folded into the kernel (no transposed
// copies), then broadcast batch dimensions summed back.
import type { Tensor } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { sumToShape } from '../autograd/shape.ts';
import { matMul } from './matmul.ts';

export function recordMatMul(a: Tensor, b: Tensor, tA: boolean, tB: boolean, y: Tensor): Tensor {
  if (!tracking(a, b)) return y;
  return record('matMul', [a, b], y, ([dy]) => {
    const g = dy!;
    let da: Tensor;
    let db: Tensor;
    if (!tA && !tB) { da = matMul(g, b, false, true); db = matMul(a, g, true, false); }
    else if (tA && !tB) { da = matMul(b, g, false, true); db = matMul(a, g, false, false); }
    else if (!tA && tB) { da = matMul(g, b, false, false); db = matMul(g, a, true, false); }
    else { da = matMul(b, g, true, true); db = matMul(g, a, true, true); }
    return [sumToShape(da, a.shape), sumToShape(db, b.shape)];
  });
}

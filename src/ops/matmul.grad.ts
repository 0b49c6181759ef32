// Gradient of matMul: two more matMuls with transposes folded into the kernel (no transposed
// copies), then broadcast batch dimensions summed back.
import type { Tensor } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { sumToShape } from '../autograd/shape.ts';
import { matMul } from './matmul.ts';

export function recordMatMul(a: Tensor, b: Tensor, tA: boolean, tB: boolean, y: Tensor): Tensor {
  if (!tracking(a, b)) return y;
  // only the wanted gradients: for x·W with a constant x, one matMul backward, not two
  return record('matMul', [a, b], y, ([dy], [na, nb]) => {
    const g = dy!;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (!tA && !tB) { if (na) da = matMul(g, b, false, true); if (nb) db = matMul(a, g, true, false); }
    else if (tA && !tB) { if (na) da = matMul(b, g, false, true); if (nb) db = matMul(a, g, false, false); }
    else if (!tA && tB) { if (na) da = matMul(g, b, false, false); if (nb) db = matMul(g, a, true, false); }
    else { if (na) da = matMul(b, g, true, true); if (nb) db = matMul(g, a, true, true); }
    return [da && sumToShape(da, a.shape), db && sumToShape(db, b.shape)];
  });
}

// Gradients of embedding and skipGramLoss: row sums into the tables, deterministic (segmentSumRows:
// each table row sums its contributions in a fixed order, no float atomics). Not differentiable again.
import { empty, engine, type Tensor } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { mul } from './elementwise.ts';
import { tensor } from './creation.ts';
import { skipGramProgram, segmentSumRows } from '../../kernels/embedding.ts';

export function recordEmbedding(table: Tensor, ids: Tensor, paddingIdx: number | undefined, y: Tensor): Tensor {
  if (!tracking(table)) return y;
  return record('embedding', [table, ids], y, ([dy]) => {
    const v = table.shape[0];
    let g = segmentSumRows(dy!, ids, v);
    if (paddingIdx !== undefined) {
      const keep = new Float32Array(v).fill(1);
      keep[paddingIdx] = 0;
      g = mul(g, tensor(keep, [v, 1]));
    }
    return [g, null];
  });
}

export function recordSkipGram(wIn: Tensor, wOut: Tensor, center: Tensor, oid: Tensor, dims: [number, number, number, number], loss: Tensor): Tensor {
  if (!tracking(wIn, wOut)) {
    oid.dispose();
    return loss;
  }
  return record('skipGramLoss', [wIn, wOut, center], loss, ([g], needs) => {
    const [b, k, d, v] = dims;
    const gin = empty([b, d], 'float32');
    const gout = empty([b * (k + 1), d], 'float32');
    if (b) engine().dispatch(skipGramProgram(false, b, k, d, v), [wIn.buffer, wOut.buffer, center.buffer, oid.buffer, g!.buffer], [gin.buffer, gout.buffer]);
    const grads = [needs[0] ? segmentSumRows(gin, center, v) : null, needs[1] ? segmentSumRows(gout, oid, v) : null, null];
    gin.dispose();
    gout.dispose();
    return grads;
  }, [oid]);
}

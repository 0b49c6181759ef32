// Gradients of embedding and skipGramLoss: row sums into the tables, deterministic (segmentSumRows:
// each table row sums its contributions in a fixed order, no float atomics). Not differentiable again.
import { empty, engine, type Tensor } from '../tensor.ts';
import { record, tracking } from '../autograd/tape.ts';
import { mul, equal, cast, where, clone } from './elementwise.ts';
import { sum } from './reduce.ts';
import { tensor, range, scalar } from './creation.ts';
import { reshape } from './movement.ts';
import { matMul } from './matmul.ts';
import { skipGramProgram, segmentSumRows } from '../../kernels/embedding.ts';

/**
 * Tables of at most this many rows take their gradient as one-hot(ids)^T dy (one matmul): a small
 * vocabulary (tags, labels) repeats every id thousands of times in a batch, and the segment sum
 * ranks a segment's items in O(k^2).
 */
export const EMBEDDING_ONEHOT_ROWS = 128;

export function recordEmbedding(table: Tensor, ids: Tensor, paddingIdx: number | undefined, y: Tensor): Tensor {
  if (!tracking(table)) return y;
  return record('embedding', [table, ids], y, ([dy]) => [tableGrad(dy!, ids, table.shape[0], table.shape[1], paddingIdx), null]);
}

/** embeddingBag: every id of a bag gets the bag's upstream row; `add` gets it as it is (summed over bags for a [D] row). */
export function recordEmbeddingBag(table: Tensor, ids: Tensor, add: Tensor | undefined, y: Tensor): Tensor {
  if (!tracking(table, ...(add ? [add] : []))) return y;
  return record('embeddingBag', add ? [table, ids, add] : [table, ids], y, ([dy], needs) => {
    const [b, f] = ids.shape, d = table.shape[1];
    let g: Tensor | null = null;
    if (needs[0]) {
      const dy3 = reshape(dy!, [b, 1, d]);
      const ones = tensor(new Float32Array(f).fill(1), [1, f, 1]);
      const rep = mul(dy3, ones);
      g = tableGrad(rep, ids, table.shape[0], d, undefined);
      for (const t of [dy3, ones, rep]) t.dispose();
    }
    if (!add) return [g, null];
    const ga = needs[2] ? (add.rank === 1 ? sum(dy!, 0) : clone(dy!)) : null;
    return [g, null, ga];
  });
}

/** The gradient of a table [v, d] whose rows at `ids` received the rows of dy (ids.shape + [d]). */
function tableGrad(dy: Tensor, ids: Tensor, v: number, d: number, paddingIdx: number | undefined): Tensor {
  {
    let g: Tensor;
    if (v <= EMBEDDING_ONEHOT_ROWS) {
      const m = ids.size;
      const flat = reshape(ids, [m, 1]);
      const cols = range(0, v, 1, 'int32');
      const hot = equal(flat, reshape(cols, [1, v]));
      const hotF = cast(hot, 'float32');
      const dy2 = reshape(dy, [m, d]);
      g = matMul(hotF, dy2, true, false);
      for (const t of [flat, cols, hot, hotF, dy2]) t.dispose();
    } else if (paddingIdx !== undefined) {
      // padding ids leave the sum altogether (-1 is skipped): the padding row is often the most
      // frequent id of a batch, the one segment that would cost the most
      const padT = scalar(paddingIdx, 'int32'), none = scalar(-1, 'int32');
      const isPad = equal(ids, padT);
      const masked = where(isPad, none, ids);
      g = segmentSumRows(dy, masked, v);
      for (const t of [padT, none, isPad, masked]) t.dispose();
    } else {
      g = segmentSumRows(dy, ids, v);
    }
    if (paddingIdx !== undefined && v <= EMBEDDING_ONEHOT_ROWS) {
      const keep = new Float32Array(v).fill(1);
      keep[paddingIdx] = 0;
      const k = tensor(keep, [v, 1]);
      const g2 = mul(g, k);
      g.dispose(); k.dispose();
      g = g2;
    }
    return g;
  }
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

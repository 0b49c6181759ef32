// Embedding lookup and the skip-gram negative-sampling loss (word2vec SGNS). docs/text_ops.md.
import { empty, engine, fmtShape, type Tensor } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { gather, reshape, concat, expandDims } from './movement.ts';
import { checked } from './run.ts';
import { noGrad } from '../autograd/tape.ts';
import { skipGramProgram } from '../../kernels/embedding.ts';
import { skipGramSgdProgram, SGD_SPREAD } from '../../kernels/skipgram_sgd.ts';
import { Variable } from '../autograd/variable.ts';
import { clone } from './elementwise.ts';
import { recordEmbedding, recordEmbeddingBag, recordSkipGram } from './embedding.grad.ts';
import { embeddingBagProgram } from '../../kernels/embedding_bag.ts';

export interface EmbeddingOptions {
  /** rows looked up at this id get no gradient (torch's padding_idx) */
  paddingIdx?: number;
}

/**
 * Rows of `table` [V, D] at int32 `ids` (any shape): ids.shape + [D]. The gradient scatter-adds
 * the upstream rows into the table (repeated ids add up). An id outside [0, V) reads a zero row
 * and gets no gradient (the GPU cannot raise an error without a read-back).
 */
export function embedding(table: Tensor, ids: Tensor, options: EmbeddingOptions = {}): Tensor {
  const op = 'embedding';
  assertTensor(op, 'table', table);
  assertTensor(op, 'ids', ids);
  assertDtype(op, 'table', table, ['float32']);
  assertDtype(op, 'ids', ids, ['int32']);
  if (table.rank !== 2) fail(op, `table must be [V, D], got ${fmtShape(table.shape)}; reshape it to 2-D`);
  const pad = options.paddingIdx;
  const [v, d] = table.shape;
  if (pad !== undefined && (!Number.isInteger(pad) || pad < -v || pad >= v)) fail(op, `paddingIdx must be an integer in [-${v}, ${v}) for a table of ${v} rows, got ${pad}`);
  const y = noGrad(() => {
    const flat = reshape(ids, [ids.size]);
    const rows = gather(table, flat, 0);
    const out = reshape(rows, [...ids.shape, d]); // a view: shares the rows' buffer
    flat.dispose();
    rows.dispose();
    return out;
  });
  return recordEmbedding(table, ids, pad === undefined ? undefined : (pad + v) % v, y);
}

/**
 * Sums of table rows per bag (torch.nn.functional.embedding_bag, mode 'sum', bags of a fixed
 * size): table [V, D], ids int32 [B, F] -> [B, D], out[b] = add[b] + sum_f table[ids[b, f]]. One
 * dispatch, no [B, F, D] intermediate. `add` (optional) is [B, D] or one [D] row for every bag (a
 * bias, or the sum of another table's bags). An id outside [0, V) adds nothing. The gradient adds
 * each bag's upstream row into the rows of its ids (and passes it to `add`).
 */
export function embeddingBag(table: Tensor, ids: Tensor, add?: Tensor): Tensor {
  const op = 'embeddingBag';
  assertTensor(op, 'table', table);
  assertTensor(op, 'ids', ids);
  assertDtype(op, 'table', table, ['float32']);
  assertDtype(op, 'ids', ids, ['int32']);
  if (table.rank !== 2) fail(op, `table must be [V, D], got ${fmtShape(table.shape)}; reshape it to 2-D`);
  if (ids.rank !== 2) fail(op, `ids must be [B, F] (B bags of F ids), got ${fmtShape(ids.shape)}`);
  const [v, d] = table.shape;
  const [b, f] = ids.shape;
  let mode: 'none' | 'row' | 'full' = 'none';
  if (add !== undefined) {
    assertTensor(op, 'add', add);
    assertDtype(op, 'add', add, ['float32']);
    if (add.rank === 1 && add.shape[0] === d) mode = 'row';
    else if (add.rank === 2 && add.shape[0] === b && add.shape[1] === d) mode = 'full';
    else fail(op, `add must be [${d}] or [${b}, ${d}] for ${b} bags of a table of width ${d}, got ${fmtShape(add.shape)}`);
  }
  const out = empty([b, d], 'float32');
  if (out.size) {
    const e = engine();
    if ((f === 0 || v === 0) && mode === 'none') e.clear(out.buffer, out.size * 4);
    else e.dispatch(embeddingBagProgram(b, f, v, d, mode), mode === 'none' ? [table.buffer, ids.buffer] : [table.buffer, ids.buffer, add!.buffer], [out.buffer]);
  }
  return recordEmbeddingBag(table, ids, add, checked(out, op));
}

/**
 * Skip-gram negative-sampling loss per example, one fused dispatch (gather + dots + log-sigmoid):
 *   loss[b] = -log s(W_out[context[b]] . W_in[center[b]]) - sum_k log s(-W_out[negatives[b,k]] . W_in[center[b]])
 * with W_in, W_out [V, D], center and context int32 [B], negatives int32 [B, K]. The backward pass
 * is one fused dispatch that writes the per-example rows, then a scatter-add into each table.
 */
export function skipGramLoss(wIn: Tensor, wOut: Tensor, center: Tensor, context: Tensor, negatives: Tensor): Tensor {
  const op = 'skipGramLoss';
  assertTensor(op, 'wIn', wIn);
  assertTensor(op, 'wOut', wOut);
  assertTensor(op, 'center', center);
  assertTensor(op, 'context', context);
  assertTensor(op, 'negatives', negatives);
  assertDtype(op, 'wIn', wIn, ['float32']);
  assertDtype(op, 'wOut', wOut, ['float32']);
  for (const [n, t] of [['center', center], ['context', context], ['negatives', negatives]] as const) assertDtype(op, n, t, ['int32']);
  if (wIn.rank !== 2 || wOut.rank !== 2 || wIn.shape[0] !== wOut.shape[0] || wIn.shape[1] !== wOut.shape[1]) {
    fail(op, `wIn and wOut must both be [V, D], got ${fmtShape(wIn.shape)} and ${fmtShape(wOut.shape)}`);
  }
  if (center.rank !== 1) fail(op, `center must be [B], got ${fmtShape(center.shape)}`);
  const b = center.shape[0];
  if (context.rank !== 1 || context.shape[0] !== b) fail(op, `context must be [B] = [${b}] like center, got ${fmtShape(context.shape)}`);
  if (negatives.rank !== 2 || negatives.shape[0] !== b) fail(op, `negatives must be [B, K] with B = ${b}, got ${fmtShape(negatives.shape)}; use shape [${b}, 0] for none`);
  const [v, d] = wIn.shape;
  const k = negatives.shape[1];
  const oid = noGrad(() => {
    const ctx = expandDims(context, 1);
    const both = concat([ctx, negatives], 1); // [B, K+1]: the W_out rows of each example
    ctx.dispose();
    return both;
  });
  const loss = empty([b], 'float32');
  if (b) engine().dispatch(skipGramProgram(true, b, k, d, v), [wIn.buffer, wOut.buffer, center.buffer, oid.buffer], [loss.buffer]);
  return recordSkipGram(wIn, wOut, center, oid, [b, k, d, v], checked(loss, op));
}

export interface SkipGramSgdOptions {
  /** noise words per (context, centre) pair */
  negatives: number;
  /** learning rate of this step */
  lr: number;
  /** random stream of the noise draws; vary it per call */
  seed: number;
}

/**
 * One skip-gram training pass over a list of (context, centre) pairs, in place (word2vec SGNS with
 * lock-free updates; docs/topics.md). `pairs` int32 [n, 2] (n a multiple of 64: pad with -1 rows,
 * which are skipped), `noise` int32 [M] a table of word ids in proportion to count^0.75. Each pair
 * is one SGD step on skipGramLoss(W_in, W_out, [context], [centre], K noise words); pairs run in
 * parallel, so a row shared by pairs running at once may lose an update, as with word2vec's
 * threads. Returns the loss of each pair's step (sum of its -log s terms), [n].
 */
export function skipGramSgd(wIn: Variable, wOut: Variable, pairs: Tensor, noise: Tensor, options: SkipGramSgdOptions): Tensor {
  const op = 'skipGramSgd';
  for (const [n, t] of [['wIn', wIn], ['wOut', wOut]] as const) {
    if (!(t instanceof Variable)) fail(op, `${n} must be a kiln.variable (the step updates it in place)`);
    assertDtype(op, n, t, ['float32']);
  }
  assertTensor(op, 'pairs', pairs);
  assertTensor(op, 'noise', noise);
  assertDtype(op, 'pairs', pairs, ['int32']);
  assertDtype(op, 'noise', noise, ['int32']);
  if (wIn.rank !== 2 || wOut.rank !== 2 || wIn.shape[0] !== wOut.shape[0] || wIn.shape[1] !== wOut.shape[1]) {
    fail(op, `wIn and wOut must both be [V, D], got ${fmtShape(wIn.shape)} and ${fmtShape(wOut.shape)}`);
  }
  if (wIn === wOut) fail(op, 'wIn and wOut must be different variables');
  if (pairs.rank !== 2 || pairs.shape[1] !== 2 || pairs.shape[0] % SGD_SPREAD) fail(op, `pairs must be [n, 2] (context, centre) with n a multiple of ${SGD_SPREAD}, got ${fmtShape(pairs.shape)}; pad with rows of -1 (skipped)`);
  if (noise.rank !== 1 || noise.size < 1) fail(op, `noise must be a non-empty [M] table of word ids, got ${fmtShape(noise.shape)}`);
  const { negatives, lr, seed } = options;
  if (!Number.isInteger(negatives) || negatives < 0) fail(op, `negatives must be an integer >= 0, got ${negatives}`);
  if (!Number.isFinite(lr)) fail(op, `lr must be finite, got ${lr}`);
  const [v, d] = wIn.shape;
  const n = pairs.shape[0];
  // The tables are written in place: a variable sharing storage with another tensor gets its own copy first.
  for (const t of [wIn, wOut]) if (t.storage.refs > 1) { const c = clone(t); t.assign(c); c.dispose(); }
  const loss = empty([n], 'float32');
  if (n && v && d) {
    engine().dispatch(skipGramSgdProgram(n, d, v, negatives, noise.size, seed >>> 0, lr), [pairs.buffer, noise.buffer], [wIn.buffer, wOut.buffer, loss.buffer]);
  } else if (n) {
    engine().clear(loss.buffer, n * 4);
  }
  return loss;
}

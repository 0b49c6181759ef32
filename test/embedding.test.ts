import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, randInts, expectClose, expectThrows } from './helpers.ts';
import { checkGrad } from './gradcheck.ts';
import { embeddingRef, skipGramRef, skipGramGradRef } from '../kernels/embedding.ts';
import { scatterAddRef } from '../kernels/gather.ts';
import { segmentSumRows } from '../kernels/embedding.ts';
import { embeddingBagRef } from '../kernels/embedding_bag.ts';

const t = suite('embedding');

t('embedding: ids of any shape -> ids.shape + [D]; gradient scatter-adds repeated ids', async () => {
  for (const [v, d, ids] of [[1, 1, [1]], [3, 17, [2, 3]], [17, 3, [129]], [129, 129, [3, 1, 17]], [5, 4, [0]]] as [number, number, number[]][]) {
    const k = ids.reduce((a, b) => a * b, 1);
    const table = randArray(v * d, v + d);
    const idv = randInts(k, k + 1, 0, v);
    if (k > 1) idv[k - 1] = idv[0]; // a repeat for sure
    const dy = randArray(k * d, k + 2);
    const tT = kiln.tensor(table, [v, d]);
    const iT = kiln.tensor(idv, ids, 'int32');
    const y = kiln.embedding(tT, iT);
    assert.equal([...y.shape], [...ids, d]);
    expectClose(await y.data(), embeddingRef(table, idv, v, d), { rtol: 0, atol: 0 }, `lookup V${v} D${d} ids [${ids}]`);
    const [g] = kiln.grads((x: kiln.Tensor) => kiln.embedding(x, iT))([tT], kiln.tensor(dy, [...ids, d]));
    expectClose(await g.data(), scatterAddRef(dy, idv, v, d), { rtol: 1e-5, atol: 1e-5 }, `grad V${v} D${d}`);
    kiln.dispose([tT, iT, y, g]);
  }
});

t('embedding: paddingIdx rows get no gradient; errors', async () => {
  const tT = kiln.tensor(randArray(12, 3), [4, 3]);
  const iT = kiln.tensor([0, 2, 2, 3], [4], 'int32');
  const [g] = kiln.grads((x: kiln.Tensor) => kiln.embedding(x, iT, { paddingIdx: 2 }))([tT], kiln.ones([4, 3]));
  assert.equal(Array.from(await g.data()), [1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  expectThrows(() => kiln.embedding(tT, kiln.tensor([0.5], [1])), /embedding/, /int32/);
  expectThrows(() => kiln.embedding(kiln.zeros([2, 2, 2]), iT), /embedding/, /\[V, D\]/, /\[2,2,2\]/);
  expectThrows(() => kiln.embedding(tT, iT, { paddingIdx: 4 }), /paddingIdx/, /4 rows/);
  kiln.dispose([tT, iT, g]);
});

t('embedding gradient: small tables (one-hot matmul) and large ones (segment sum, padding ids left out) agree with the reference on hot ids', async () => {
  for (const [v, d, m, pad] of [[20, 24, 18 * 129, 0], [128, 3, 1000, undefined], [129, 5, 3001, 0], [300, 17, 2048, 7]] as [number, number, number, number | undefined][]) {
    const idv = randInts(m, v + m, 0, v);
    for (let i = 0; i < m; i += 2) idv[i] = i % 6 === 0 && pad !== undefined ? pad : 1; // two very hot rows, one of them the padding row
    const dy = randArray(m * d, m + 3);
    const tT = kiln.tensor(randArray(v * d, v), [v, d]);
    const iT = kiln.tensor(idv, [m], 'int32');
    const [g] = kiln.grads((x: kiln.Tensor) => kiln.embedding(x, iT, pad === undefined ? {} : { paddingIdx: pad }))([tT], kiln.tensor(dy, [m, d]));
    const want = scatterAddRef(dy, idv, v, d);
    if (pad !== undefined) want.fill(0, pad * d, (pad + 1) * d);
    expectClose(await g.data(), want, { rtol: 1e-4, atol: 1e-4 }, `V${v} D${d} m${m} pad ${pad}`);
    kiln.dispose([tT, iT, g]);
  }
});

t('embeddingBag: sums of rows per bag vs the float64 reference (awkward shapes, ids out of range), gradient', async () => {
  for (const [v, d, b, f] of [[1, 1, 1, 1], [3, 17, 3, 2], [17, 4, 129, 48], [129, 3, 17, 5], [300, 256, 9, 48], [5, 8, 2, 0]] as [number, number, number, number][]) {
    const table = randArray(v * d, v * 7 + d);
    const idv = randInts(b * f, b + f, -1, v + 1); // -1 and v: add nothing
    const tT = kiln.tensor(table, [v, d]);
    const iT = kiln.tensor(idv, [b, f], 'int32');
    const y = kiln.embeddingBag(tT, iT);
    assert.equal([...y.shape], [b, d]);
    expectClose(await y.data(), embeddingBagRef(table, v, d, idv, b, f), { rtol: 1e-5, atol: 1e-5 }, `bag V${v} D${d} B${b} F${f}`);
    const dy = randArray(b * d, b + 11);
    const [g] = kiln.grads((x: kiln.Tensor) => kiln.embeddingBag(x, iT))([tT], kiln.tensor(dy, [b, d]));
    const rep = new Float32Array(b * f * d);
    for (let i = 0; i < b; i++) for (let k = 0; k < f; k++) rep.set(dy.subarray(i * d, (i + 1) * d), (i * f + k) * d);
    expectClose(await g.data(), scatterAddRef(rep, idv, v, d), { rtol: 1e-4, atol: 1e-4 }, `bag grad V${v} D${d}`);
    kiln.dispose([tT, iT, y, g]);
  }
  expectThrows(() => kiln.embeddingBag(kiln.zeros([2, 2]), kiln.tensor([0, 1], [2], 'int32')), /embeddingBag/, /\[B, F\]/);
  // add: a [D] row or a [B, D] matrix to start from; its gradient is dy (summed over bags for a row)
  const table = randArray(7 * 5, 1), idv = randInts(3 * 4, 2, 0, 7);
  const tT = kiln.tensor(table, [7, 5]), iT = kiln.tensor(idv, [3, 4], 'int32');
  const row = kiln.tensor(randArray(5, 3), [5]), full = kiln.tensor(randArray(15, 4), [3, 5]);
  const base = embeddingBagRef(table, 7, 5, idv, 3, 4);
  const dy = kiln.tensor(randArray(15, 5), [3, 5]);
  const dyv = await dy.data();
  for (const add of [row, full]) {
    const av = await add.data();
    const y = kiln.embeddingBag(tT, iT, add);
    expectClose(await y.data(), base.map((x, i) => x + av[add.rank === 1 ? i % 5 : i]), { rtol: 1e-6, atol: 1e-6 }, `add ${add.shape}`);
    const [gt, ga] = kiln.grads((t: kiln.Tensor, a: kiln.Tensor) => kiln.embeddingBag(t, iT, a))([tT, add], dy);
    const want = add.rank === 1 ? Array.from({ length: 5 }, (_, j) => dyv[j] + dyv[5 + j] + dyv[10 + j]) : Array.from(dyv);
    expectClose(await ga.data(), want, { rtol: 1e-5, atol: 1e-5 }, `grad of add ${add.shape}`);
    kiln.dispose([y, gt, ga]);
  }
  expectThrows(() => kiln.embeddingBag(tT, iT, kiln.zeros([4])), /embeddingBag/, /add must be \[5\] or \[3, 5\]/);
  kiln.dispose([tT, iT, row, full, dy]);
});

function sgData(b: number, k: number, v: number, d: number, seed: number) {
  return {
    win: randArray(v * d, seed, -1, 1), wout: randArray(v * d, seed + 1, -1, 1),
    center: randInts(b, seed + 2, 0, v), context: randInts(b, seed + 3, 0, v), neg: randInts(b * k, seed + 4, 0, v),
  };
}

t('skipGramLoss: fused forward and backward vs the float64 reference (awkward sizes, repeated ids)', async () => {
  for (const [b, k, v, d] of [[1, 1, 1, 1], [3, 0, 5, 3], [17, 5, 3, 17], [129, 3, 17, 129], [64, 7, 1000, 4], [5, 2, 10, 8]]) {
    const x = sgData(b, k, v, d, b * 31 + k + v + d);
    const g = randArray(b, b + 99);
    const [wi, wo] = [kiln.tensor(x.win, [v, d]), kiln.tensor(x.wout, [v, d])];
    const ids = [kiln.tensor(x.center, [b], 'int32'), kiln.tensor(x.context, [b], 'int32'), kiln.tensor(x.neg, [b, k], 'int32')];
    const what = `B${b} K${k} V${v} D${d}`;
    const loss = kiln.skipGramLoss(wi, wo, ids[0], ids[1], ids[2]);
    expectClose(await loss.data(), skipGramRef(x.win, x.wout, x.center, x.context, x.neg, v, d), { rtol: 1e-5, atol: 1e-5 }, `loss ${what}`);
    const gs = kiln.grads((a: kiln.Tensor, c: kiln.Tensor) => kiln.skipGramLoss(a, c, ids[0], ids[1], ids[2]))([wi, wo], kiln.tensor(g, [b]));
    const want = skipGramGradRef(x.win, x.wout, x.center, x.context, x.neg, g, v, d);
    expectClose(await gs[0].data(), want.dWin, { rtol: 1e-4, atol: 1e-5 }, `dW_in ${what}`);
    expectClose(await gs[1].data(), want.dWout, { rtol: 1e-4, atol: 1e-5 }, `dW_out ${what}`);
    kiln.dispose([wi, wo, ...ids, loss, ...gs]);
  }
});

t('skipGramLoss: gradients agree with finite differences', async () => {
  const b = 4, k = 3, v = 6, d = 5;
  const x = sgData(b, k, v, d, 7);
  x.neg[0] = x.context[0]; // a negative that is also the context
  x.center[1] = x.center[2]; // a repeated center
  const ids = [kiln.tensor(x.center, [b], 'int32'), kiln.tensor(x.context, [b], 'int32'), kiln.tensor(x.neg, [b, k], 'int32')];
  await checkGrad('skipGramLoss', (wi, wo) => kiln.skipGramLoss(wi, wo, ids[0], ids[1], ids[2]),
    (wi, wo) => skipGramRef(wi, wo, x.center, x.context, x.neg, v, d), [[v, d], [v, d]], { rtol: 1e-3, atol: 1e-4, eps: 1e-4 });
  kiln.dispose(ids);
});

t('segmentSumRows: deterministic row sums (blocked scan over V > 256, hot rows, dropped ids)', async () => {
  for (const [m, v, d] of [[1, 1, 1], [3, 17, 3], [17, 3, 4], [129, 300, 17], [1000, 1000, 8], [1000, 1, 3], [600, 513, 129]]) {
    const upd = randArray(m * d, m + v + d);
    const ids = randInts(m, m * 3 + v, -1, v + 1); // includes -1 and v: dropped
    const ut = kiln.tensor(upd, [m, d]);
    const it = kiln.tensor(ids, [m], 'int32');
    const a = segmentSumRows(ut, it, v);
    const b = segmentSumRows(ut, it, v);
    const av = await a.data();
    expectClose(av, scatterAddRef(upd, ids, v, d), { rtol: 1e-5, atol: 1e-5 }, `M${m} V${v} D${d}`);
    assert.equal(Array.from(await b.data()), Array.from(av), `M${m} V${v} D${d}: bit-identical twice`);
    // float32 adds in increasing item order: the exact bits
    const seq = new Float32Array(v * d);
    for (let i = 0; i < m; i++) if (ids[i] >= 0 && ids[i] < v) for (let j = 0; j < d; j++) seq[ids[i] * d + j] = Math.fround(seq[ids[i] * d + j] + upd[i * d + j]);
    assert.equal(Array.from(av), Array.from(seq), `M${m} V${v} D${d}: summed in item order`);
    kiln.dispose([ut, it, a, b]);
  }
});

t('no tensor is left behind outside tidy', async () => {
  const w = kiln.tensor(randArray(12, 1), [4, 3]);
  const ids = kiln.tensor([1, 2, 3], [3], 'int32');
  const negs = kiln.tensor([0, 1, 2], [3, 1], 'int32');
  const before = kiln.memory().numTensors;
  const y = kiln.embedding(w, ids);
  const l = kiln.skipGramLoss(w, w, ids, ids, negs);
  assert.is(kiln.memory().numTensors, before + 2);
  kiln.dispose([w, ids, negs, y, l]);
});

t('skipGramLoss: shape errors name the op', () => {
  const w = kiln.zeros([5, 3]);
  const i = (s: number[]) => kiln.zeros(s, 'int32');
  expectThrows(() => kiln.skipGramLoss(w, kiln.zeros([5, 4]), i([2]), i([2]), i([2, 1])), /skipGramLoss/, /\[V, D\]/, /\[5,4\]/);
  expectThrows(() => kiln.skipGramLoss(w, w, i([2]), i([3]), i([2, 1])), /context must be \[B\] = \[2\]/);
  expectThrows(() => kiln.skipGramLoss(w, w, i([2]), i([2]), i([2])), /negatives must be \[B, K\]/);
  expectThrows(() => kiln.skipGramLoss(w, w, kiln.zeros([2]), i([2]), i([2, 1])), /center/, /int32/);
  w.dispose();
});

t.run();

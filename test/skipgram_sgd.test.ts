import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, expectClose, expectThrows, settle } from './helpers.ts';
import { skipGramSgdRef, sgdNoiseDraws, sgdPairOf } from '../kernels/skipgram_sgd.ts';
import { trainSkipGram, neighbours, buildVocab, noiseTable } from '../src/models/topics/skipgram.ts';

const t = suite('skipgram_sgd');

/** A seed whose noise draws are all distinct (so no two pairs share a W_out row). */
function disjointSeed(n: number, k: number, noise: Int32Array, used: Set<number>): number {
  for (let seed = 1; ; seed++) {
    const seen = new Set(used);
    let ok = true;
    for (let p = 0; p < n && ok; p++) for (const x of sgdNoiseDraws(p, seed, k, noise)) { if (seen.has(x)) { ok = false; break; } seen.add(x); }
    if (ok) return seed;
  }
}

t('skipGramSgd: matches the sequential CPU reference when pairs touch disjoint rows (vec4 and scalar rows)', async () => {
  for (const [n, d, k] of [[64, 8, 3], [128, 3, 2], [64, 100, 5], [64, 17, 0]]) {
    const m = 1 << 16;
    const v = n + m;
    const noise = Int32Array.from({ length: m }, (_, i) => n + i);
    const pairs = new Int32Array(2 * n);
    for (let p = 0; p < n; p++) { pairs[2 * p] = p; pairs[2 * p + 1] = (p * 7 + 3) % n; } // a permutation: distinct centres
    if (n === 128) pairs.fill(-1, 2 * 100); // padding rows are skipped
    const seed = disjointSeed(n, k, noise, new Set(Array.from({ length: n }, (_, i) => i)));
    const win = randArray(v * d, d + 1, -0.5, 0.5);
    const wout = randArray(v * d, d + 2, -0.5, 0.5);
    const A = kiln.variable(kiln.tensor(win, [v, d]));
    const B = kiln.variable(kiln.tensor(wout, [v, d]));
    const P = kiln.tensor(pairs, [n, 2], 'int32');
    const N = kiln.tensor(noise, [m], 'int32');
    const loss = kiln.skipGramSgd(A, B, P, N, { negatives: k, lr: 0.3, seed });
    const refLoss = skipGramSgdRef(pairs, noise, win, wout, { n, d, v, k }, seed, 0.3);
    expectClose(await loss.data(), refLoss, { rtol: 1e-4, atol: 1e-5 }, `loss n${n} d${d} k${k}`);
    expectClose(await A.data(), win, { rtol: 1e-4, atol: 1e-5 }, `W_in n${n} d${d} k${k}`);
    expectClose(await B.data(), wout, { rtol: 1e-4, atol: 1e-5 }, `W_out n${n} d${d} k${k}`);
    if (n === 128) assert.equal(Array.from((await loss.data()).slice(0, 28)).filter((x, i) => sgdPairOf(i, n) >= 100 && x !== 0).length, 0, 'padding rows have no loss');
    kiln.dispose([A, B, P, N, loss]);
  }
});

t('skipGramSgd: one pair is one SGD step on skipGramLoss (its gradient from autograd)', async () => {
  const v = 50, d = 12, k = 4, lr = 0.5, n = 64;
  const noise = Int32Array.from({ length: 1000 }, (_, i) => i % v);
  const pairs = new Int32Array(2 * n).fill(-1);
  const p0 = sgdPairOf(0, n); // the pair thread 0 runs
  pairs[2 * p0] = 7; pairs[2 * p0 + 1] = 21;
  // a seed whose noise words are distinct (else the sequential step differs from the summed gradient)
  let seed = 1;
  while (new Set(sgdNoiseDraws(p0, seed, k, noise)).size < k || sgdNoiseDraws(p0, seed, k, noise).includes(21)) seed++;
  const negs = sgdNoiseDraws(p0, seed, k, noise);
  const win = randArray(v * d, 5, -0.5, 0.5);
  const wout = randArray(v * d, 6, -0.5, 0.5);
  const A = kiln.variable(kiln.tensor(win, [v, d]));
  const B = kiln.variable(kiln.tensor(wout, [v, d]));
  const [gA, gB] = kiln.grads((a: kiln.Tensor, b: kiln.Tensor) => kiln.sum(kiln.skipGramLoss(a, b, kiln.tensor([7], [1], 'int32'), kiln.tensor([21], [1], 'int32'), kiln.tensor(negs, [1, negs.length], 'int32'))))([A, B]);
  const [ga, gb] = [await gA.data(), await gB.data()];
  const loss = kiln.skipGramSgd(A, B, kiln.tensor(pairs, [n, 2], 'int32'), kiln.tensor(noise, [1000], 'int32'), { negatives: k, lr, seed });
  expectClose(await A.data(), win.map((x, i) => x - lr * ga[i]), { rtol: 1e-4, atol: 1e-5 }, 'W_in');
  expectClose(await B.data(), wout.map((x, i) => x - lr * gb[i]), { rtol: 1e-4, atol: 1e-5 }, 'W_out');
  const want = await kiln.skipGramLoss(kiln.tensor(win, [v, d]), kiln.tensor(wout, [v, d]), kiln.tensor([7], [1], 'int32'), kiln.tensor([21], [1], 'int32'), kiln.tensor(negs, [1, negs.length], 'int32')).data();
  expectClose([(await loss.data())[0]], want, { rtol: 1e-4, atol: 1e-5 }, 'loss');
  kiln.dispose([A, B, gA, gB, loss]);
});

t('skipGramSgd: errors name the op and the fix', () => {
  const A = kiln.variable(kiln.zeros([4, 4]));
  const B = kiln.variable(kiln.zeros([4, 4]));
  const N = kiln.tensor([0, 1], [2], 'int32');
  expectThrows(() => kiln.skipGramSgd(kiln.zeros([4, 4]) as kiln.Variable, B, kiln.tensor(new Int32Array(128), [64, 2], 'int32'), N, { negatives: 1, lr: 0.1, seed: 1 }), /skipGramSgd/, /kiln.variable/);
  expectThrows(() => kiln.skipGramSgd(A, B, kiln.tensor(new Int32Array(6), [3, 2], 'int32'), N, { negatives: 1, lr: 0.1, seed: 1 }), /skipGramSgd/, /multiple of 64/, /-1/);
  expectThrows(() => kiln.skipGramSgd(A, kiln.variable(kiln.zeros([5, 4])), kiln.tensor(new Int32Array(128), [64, 2], 'int32'), N, { negatives: 1, lr: 0.1, seed: 1 }), /\[V, D\]/);
  expectThrows(() => kiln.skipGramSgd(A, B, kiln.tensor(new Int32Array(128), [64, 2], 'int32'), N, { negatives: 1, lr: NaN, seed: 1 }), /lr/);
  kiln.dispose([A, B, N]);
});

t('trainSkipGram: words of one topic end up each other\'s neighbours; no tensors left behind', async () => {
  // Two topics of 12 words; each document mixes words of one topic (and shared filler words).
  const topicA = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu'.split(' ');
  const topicB = 'one two three four five six seven eight nine ten eleven twelve'.split(' ');
  let s = 7;
  const r = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  const docs: string[][] = [];
  for (let i = 0; i < 1500; i++) {
    const words = i % 2 ? topicA : topicB;
    docs.push(Array.from({ length: 12 }, (_, j) => (j % 4 === 3 ? 'the' : words[Math.floor(r() * words.length)])));
  }
  await settle();
  const before = kiln.memory().numTensors;
  const res = await trainSkipGram(docs, { dim: 16, epochs: 3, minCount: 1, lr: 0.05, sample: 0, chunk: 4096 });
  assert.is(kiln.memory().numTensors, before, 'trainSkipGram disposes what it made');
  assert.ok(res.wordsPerSec > 0 && Number.isFinite(res.finalLoss));
  let same = 0, all = 0;
  for (const w of [...topicA, ...topicB]) {
    const group = topicA.includes(w) ? topicA : topicB;
    for (const nb of neighbours(res.vocab.words, res.vectors, res.dim, w, 3, res.vocab.index)) { all++; if (group.includes(nb.word)) same++; }
  }
  assert.ok(same / all >= 0.9, `same-topic neighbours ${same}/${all}`);
});

t('buildVocab and noiseTable: frequency order, min count, count^0.75 proportions', () => {
  const v = buildVocab([['a', 'b', 'a', 'c'], ['a', 'b', 'd']], 2);
  assert.equal(v.words, ['a', 'b']);
  assert.equal(v.counts, [3, 2]);
  const tab = noiseTable([16, 1], 10000);
  const share = tab.filter((x) => x === 0).length / tab.length;
  assert.ok(Math.abs(share - 8 / 9) < 1e-3, `share of the frequent word ${share}`);
});

t.run();

// src/decode: the generic beam search, the lexicon trie and the CTC x lexicon x LM decoder against
// brute force (every word's exact CTC probability by the forward algorithm) on small lexicons.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  beamSearch, beamSearchSync, lengthNormalized, lengthBonus, logAddExp, pruneBeam, LexiconTrie, decodeCtcLexicon, NgramWordLm,
  LanguageMixtureLm, lexiconOnly,
  type Hypothesis, type Candidate,
} from '../src/decode/index.ts';
import { estimateKneserNey, tokenizeSentences } from '../src/fst/ngram.ts';
import { printFst } from '../src/fst/text.ts';
import { rng } from '../src/util/numeric.ts';

const t = suite('decode');

t('beamSearch: with a width covering every path it finds the exact k best of a toy model', async () => {
  // A 3-step, 3-token model whose log-probs depend on the previous token.
  const lp = (prev: number, tok: number) => Math.log([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4]][prev][tok]);
  const expand = (live: readonly Hypothesis<number[]>[]) => live.map((h) => [0, 1, 2].map((k) => ({ state: [...h.state, k], score: h.score + lp(h.state[h.state.length - 1], k) })));
  const got = await beamSearch<number[]>([[0]], { beamWidth: 27, maxSteps: 3, expand, topK: 5 });
  const all: { s: number[]; score: number }[] = [];
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++) all.push({ s: [0, a, b, c], score: lp(0, a) + lp(a, b) + lp(b, c) });
  all.sort((x, y) => y.score - x.score);
  assert.equal(got.map((g) => g.state), all.slice(0, 5).map((x) => x.s));
  got.forEach((g, i) => assert.ok(Math.abs(g.score - all[i].score) < 1e-12));
  // width 1 is greedy
  const greedy = beamSearchSync<number[]>([[0]], { beamWidth: 1, maxSteps: 3, expand, topK: 1 });
  assert.equal(greedy[0].state, [0, 0, 0, 0]);
});

t('beamSearch: finished hypotheses, recombination, threshold, length normalisation, errors', async () => {
  // tokens 'a' (p .6) or end (p .4): finished hypotheses are kept aside
  const expand = (live: readonly Hypothesis<string>[]) => live.map((h) => [
    { state: h.state + 'a', score: h.score + Math.log(0.6) },
    { state: h.state + '$', score: h.score + Math.log(0.4), done: true },
  ]);
  const r = beamSearchSync<string>([''], { beamWidth: 2, maxSteps: 4, expand, topK: 3, finishAtMax: false });
  assert.equal(r.map((x) => x.state), ['$', 'a$', 'aa$']);
  // a per-token bonus above -ln(0.6) makes longer outputs win; GNMT normalisation divides the score
  const n = beamSearchSync<string>([''], { beamWidth: 2, maxSteps: 4, expand, topK: 1, finalScore: lengthBonus(1), finishAtMax: false });
  assert.is(n[0].state, 'aaa$');
  const norm = lengthNormalized<string>(1)({ state: 'aa$', score: -3, length: 3, done: true });
  assert.ok(Math.abs(norm - -3 / (8 / 6)) < 1e-12);
  // recombination by key with logadd adds the probabilities of equal states
  const merged = pruneBeam([{ state: 'x', score: Math.log(0.2), length: 1, done: false }, { state: 'x', score: Math.log(0.3), length: 1, done: false }, { state: 'y', score: Math.log(0.4), length: 1, done: false }], 5, { key: (s) => s, combine: 'logadd' });
  assert.equal(merged.map((h) => h.state), ['x', 'y']);
  assert.ok(Math.abs(merged[0].score - Math.log(0.5)) < 1e-12);
  const thr = pruneBeam([{ state: 'a', score: 0, length: 0, done: false }, { state: 'b', score: -3, length: 0, done: false }], 5, { threshold: 2 });
  assert.equal(thr.map((h) => h.state), ['a']);
  assert.throws(() => beamSearchSync([''], { beamWidth: 0, maxSteps: 1, expand }), /beamWidth must be an integer >= 1/);
  assert.throws(() => beamSearchSync([''], { beamWidth: 1, maxSteps: 1, expand: () => [[{ state: 'x', score: NaN }]] as Candidate<string>[][] }), /NaN score/);
  assert.throws(() => beamSearchSync([''], { beamWidth: 1, maxSteps: 1, expand: () => [] }), /0 candidate lists for 1 live/);
  assert.ok(Math.abs(logAddExp(Math.log(0.25), Math.log(0.5)) - Math.log(0.75)) < 1e-12);
});

const KEYS = "abcdefghijklmnopqrstuvwxyz'";

t('LexiconTrie: spellings, shared prefixes, lookahead, k best below a node, user words, toFst', () => {
  const trie = new LexiconTrie({ keys: KEYS });
  trie.add('the', 1); trie.add('then', 3); trie.add('they', 2.5); trie.add("I've", 4); trie.add('ive', 6); trie.add('to', 1.5);
  assert.is(trie.walk('the'), trie.walk('then') === -1 ? -2 : trie.parent[trie.walk('then')]);
  assert.is(trie.best[0], 1);
  assert.is(trie.best[trie.walk('th')], 1);
  assert.is(trie.best[trie.walk('then')], 3);
  // "I've" is reachable typed with and without its apostrophe; "ive" holds both words
  const ive = trie.walk('ive');
  assert.equal(trie.wordsAt[ive]!.map((i) => trie.words[i]).sort(), ["I've", 'ive']);
  assert.ok(trie.walk("i've") >= 0);
  assert.equal(trie.bestWordsBelow(trie.walk('t'), 3).map((w) => trie.words[w.id]), ['the', 'to', 'they']);
  assert.equal(trie.bestWordsBelow(trie.walk('x'), 3), []);
  // a user word updates the lookahead on its path
  trie.add('thx', 0.5);
  assert.is(trie.best[trie.walk('th')], 0.5);
  assert.is(trie.bestWordsBelow(0, 1)[0].id, trie.wordId('thx'));
  assert.throws(() => trie.add('tab\tx'), /without whitespace/);
  assert.throws(() => trie.add('naïve'), /'ï'|"ï"/);
  const txt = printFst(trie.toFst());
  assert.match(txt, /^0\t\d+\tt\t<eps>/m);
  assert.match(txt, /\t<eps>\tthe\t1\n/);
  // glides: doubled keys collapse
  const g = new LexiconTrie({ keys: KEYS, collapseRepeats: true });
  g.add('hello');
  assert.ok(g.walk('helo') >= 0 && g.walk('hello') < 0);
});

/** Exact ln P_ctc(labels | frames) by the forward algorithm (float64). */
function ctcLogProb(lp: Float64Array, T: number, C: number, labels: number[]): number {
  const L = 2 * labels.length + 1;
  const ext = (s: number) => (s % 2 === 0 ? 0 : labels[(s - 1) / 2]);
  let a = new Float64Array(L).fill(-Infinity);
  a[0] = lp[0];
  if (L > 1) a[1] = lp[ext(1)];
  for (let t = 1; t < T; t++) {
    const b = new Float64Array(L).fill(-Infinity);
    for (let s = 0; s < L; s++) {
      let v = a[s];
      if (s >= 1) v = logAddExp(v, a[s - 1]);
      if (s >= 2 && ext(s) !== 0 && ext(s) !== ext(s - 2)) v = logAddExp(v, a[s - 2]);
      b[s] = v + lp[t * C + ext(s)];
    }
    a = b;
  }
  return T === 0 ? (labels.length ? -Infinity : 0) : logAddExp(a[L - 1], L > 1 ? a[L - 2] : -Infinity);
}

function randomFrames(T: number, C: number, seed: number, peaked: number[] = []): Float64Array {
  const r = rng(seed);
  const lp = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    let z = 0;
    for (let c = 0; c < C; c++) { const v = Math.exp(2 * r() + (peaked[t] === c ? 3 : 0)); lp[t * C + c] = v; z += v; }
    for (let c = 0; c < C; c++) lp[t * C + c] = Math.log(lp[t * C + c] / z);
  }
  return lp;
}

t('decodeCtcLexicon equals brute force (every word scored by the CTC forward algorithm) with a wide beam', () => {
  const keys = 'abcde';
  for (let seed = 1; seed <= 25; seed++) {
    const r = rng(seed * 31);
    const trie = new LexiconTrie({ keys, optionalChars: '' });
    const words = new Set<string>();
    while (words.size < 12) {
      const n = 1 + Math.floor(r() * 4);
      words.add(Array.from({ length: n }, () => keys[Math.floor(r() * keys.length)]).join(''));
    }
    for (const w of words) trie.add(w, r() * 3);
    const T = 2 + Math.floor(r() * 7), C = keys.length + 1;
    const lp = randomFrames(T, C, seed);
    const lmWeight = 0.5 + r();
    const got = decodeCtcLexicon(lp, T, C, trie, { beamWidth: 10000, threshold: Infinity, topK: 12, lmWeight });
    const want = [...words].map((w) => {
      const ac = ctcLogProb(lp, T, C, [...w].map((ch) => trie.labelOf(ch)));
      return { word: w, score: ac - lmWeight * trie.wordCost[trie.wordId(w)] };
    }).filter((x) => x.score > -Infinity).sort((a, b) => b.score - a.score);
    assert.equal(got.map((g) => g.word), want.map((w) => w.word), `seed ${seed}: ranking`);
    got.forEach((g, i) => assert.ok(Math.abs(g.score - want[i].score) < 1e-9, `seed ${seed}: ${g.word} score ${g.score} vs ${want[i].score}`));
  }
});

t('decodeCtcLexicon: blank at another index, omissions and stray frames, completions, LM context, errors', () => {
  const keys = 'abcdefghijklmnopqrstuvwxyz';
  const trie = new LexiconTrie({ keys, optionalChars: '' });
  for (const [w, c] of [['cat', 2], ['car', 2.2], ['cart', 4], ['care', 3.5], ['dog', 2], ['do', 1.5]] as const) trie.add(w, c);
  const C = 27;
  const frames = (s: string, blankLast = false) => {
    // one-hot frames: only the written class is possible, so an edit is the only way to another word
    const lp = new Float64Array(s.length * C).fill(-Infinity);
    [...s].forEach((ch, t) => {
      const c = ch === '_' ? 0 : keys.indexOf(ch) + 1;
      const idx = blankLast ? (c === 0 ? C - 1 : c - 1) : c;
      lp[t * C + idx] = 0;
    });
    return lp;
  };
  assert.is(decodeCtcLexicon(frames('c_a_t_'), 6, C, trie)[0].word, 'cat');
  assert.is(decodeCtcLexicon(frames('c_a_t_', true), 6, C, trie, { blank: C - 1 })[0].word, 'cat');
  // "ct": no word without an omission; with omissions "cat" comes back
  assert.equal(decodeCtcLexicon(frames('c_t_'), 4, C, trie), []);
  const om = decodeCtcLexicon(frames('c_t_'), 4, C, trie, { omissionCost: 4 });
  assert.is(om[0].word, 'cat');
  assert.is(om[0].keys, 'cat');
  // swapped keys: "tca" is "cat" only when swaps are allowed
  assert.equal(decodeCtcLexicon(frames('c_t_a_'), 6, C, trie), []);
  const sw = decodeCtcLexicon(frames('c_t_a_'), 6, C, trie, { swapCost: 3 });
  assert.is(sw[0].word, 'cat');
  assert.ok(Math.abs(sw[0].acoustic - -3) < 1e-9, `one swap costs swapCost: ${sw[0].acoustic}`);
  assert.is(decodeCtcLexicon(frames('a_c_t_'), 6, C, trie, { swapCost: 3 })[0].word, 'cat');
  // a stray 'x' frame is absorbed only when skipping frames is allowed
  assert.equal(decodeCtcLexicon(frames('c_x_a_t_'), 8, C, trie).map((w) => w.word).includes('cat'), false);
  assert.is(decodeCtcLexicon(frames('c_x_a_t_'), 8, C, trie, { skipFrameCost: 5 })[0].word, 'cat');
  // completions of "ca": the prefix's cheapest words, best first
  const comp = decodeCtcLexicon(frames('c_a_'), 4, C, trie, { prefix: true, topK: 4 });
  assert.equal(comp.map((w) => w.word), ['cat', 'car', 'care', 'cart']);
  // an LM context reorders: after "pull the", "cart" beats "cat"
  const model = estimateKneserNey(tokenizeSentences('pull the cart. pull the cart. push the cart. the cat sat. the car is red.'), { order: 3 });
  const lm = new NgramWordLm(model, { lambda: 0.9 });
  const withCtx = decodeCtcLexicon(frames('c_a_'), 4, C, trie, { prefix: true, topK: 2, lm, context: ['pull', 'the'] });
  assert.is(withCtx[0].word, 'cart');
  assert.is(lm.predict(['pull', 'the'], 1, trie)[0].word, 'cart');
  assert.throws(() => decodeCtcLexicon(new Float64Array(5), 2, 3, trie), /has 5 values, expected T\*C = 2\*3 = 6/);
  assert.throws(() => decodeCtcLexicon(new Float64Array(6), 2, 3, trie), /26 keys but the frames have 3 classes/);
});

t('two languages in one decode: words typed by given spellings, the language mixture LM equals brute force', () => {
  const keys = 'abcde';
  for (let seed = 1; seed <= 20; seed++) {
    const r = rng(seed * 97);
    const trie = new LexiconTrie({ keys, optionalChars: '' });
    const lang: number[] = [];
    const rand = () => Array.from({ length: 1 + Math.floor(r() * 3) }, () => keys[Math.floor(r() * keys.length)]).join('');
    // language 0: words spelled by their letters; language 1: "words" in another script, each typed by 1-3 romanisations
    const words: { word: string; lang: number; cost: number; spell: { keys: string; extra: number }[] }[] = [];
    for (let i = 0; i < 6; i++) { const w = rand(); if (trie.wordId(w) >= 0) continue; const c = r() * 3; lang[trie.add(w, c)] = 0; words.push({ word: w, lang: 0, cost: c, spell: [{ keys: w, extra: 0 }] }); }
    for (let i = 0; i < 6; i++) {
      const spell = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, j) => ({ keys: rand(), extra: j === 0 ? 0 : r() * 2 }));
      const c = r() * 3;
      const w = `\u0900${i}`;
      lang[trie.add(w, c, spell)] = 1;
      words.push({ word: w, lang: 1, cost: c, spell });
    }
    const prior = 0.2 + 0.6 * r();
    const stay = 0.6 + 0.3 * r();
    const lm = new LanguageMixtureLm(
      [{ name: 'en', lm: lexiconOnly, prior: 1 - prior }, { name: 'hi', lm: lexiconOnly, prior }],
      (id) => lang[id], { stay, languageOfWord: (w) => (w.startsWith('\u0900') ? 1 : 0) },
    );
    const context = seed % 3 === 0 ? [] : seed % 3 === 1 ? ['abc'] : ['\u09000'];
    const pLang = context.length === 0 ? [1 - prior, prior] : context[0] === 'abc' ? [stay, 1 - stay] : [1 - stay, stay];
    assert.equal(lm.languageLogProbs(context).map(Math.exp).map((x) => +x.toFixed(12)), pLang.map((x) => +x.toFixed(12)));
    const T = 2 + Math.floor(r() * 6), C = keys.length + 1;
    const lp = randomFrames(T, C, seed + 500);
    const got = decodeCtcLexicon(lp, T, C, trie, { beamWidth: 10000, threshold: Infinity, topK: 12, lm, context });
    // Brute force: a word's best spelling (the search keeps one path per trie node: the max over spellings).
    const want = words.map((w) => {
      let best = -Infinity;
      for (const sp of w.spell) best = Math.max(best, ctcLogProb(lp, T, C, [...sp.keys].map((ch) => trie.labelOf(ch))) - (w.cost + sp.extra) + Math.log(pLang[w.lang]));
      return { word: w.word, score: best };
    }).filter((x) => x.score > -Infinity).sort((a, b) => b.score - a.score);
    assert.equal(got.map((g) => g.word), want.map((w) => w.word), `seed ${seed}: ranking`);
    got.forEach((g, i) => assert.ok(Math.abs(g.score - want[i].score) < 1e-9, `seed ${seed}: ${g.word} ${g.score} vs ${want[i].score}`));
  }
  const trie = new LexiconTrie({ keys: 'abc', collapseRepeats: true });
  trie.add('\u0926', 1, [{ keys: 'aab' }, { keys: 'ab', extra: 0.5 }]);
  assert.equal(trie.wordNodes[0].length, 1, 'collapsed spellings share a node');
  assert.is(trie.costAt(trie.walk('ab'), 0), 1, 'the cheaper of two spellings that collapse to the same keys');
  // clone: the same trie, and independent of the original afterwards
  const c = trie.clone();
  assert.equal([c.numNodes, c.words, c.best], [trie.numNodes, trie.words, trie.best]);
  c.add('cab', 0.25);
  assert.is(trie.wordId('cab'), -1);
  assert.is(c.costAt(c.walk('cab'), c.wordId('cab')), 0.25);
  assert.is(c.best[0], 0.25);
  assert.is(trie.best[0], 1);
  assert.throws(() => trie.add('x', 0, [{ keys: 'az' }]), /spelling "az" of "x" has the character "z", which is not a key/);
  assert.throws(() => trie.add('x', 0, [{ keys: 'ab', extra: -1 }]), /extra cost -1; it must be >= 0/);
  assert.throws(() => trie.add('x', 0, []), /empty list of spellings/);
  assert.throws(() => new LanguageMixtureLm([{ name: 'en', lm: lexiconOnly, prior: 0 }], () => 0), /prior > 0/);
});

t.run();

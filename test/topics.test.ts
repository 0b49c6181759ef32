// App topics end to end: the package reader and tokenizer, the metrics against hand-computed
// values, a tiny model trained here (skip-gram + per-topic classifiers), its files round trip,
// and `kiln topics predict` on good and bad lines, with the shipped model as well.
import './setup.ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { settle } from './helpers.ts';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from '../src/index.ts';
import { tokenize, nameTokens, splitOf, loadPackages, DEFAULT_MODEL, type Package } from '../src/models/topics/data.ts';
import { averagePrecision, microF1, bestGlobalThreshold } from '../src/models/topics/metrics.ts';
import { trainTopics } from '../src/models/topics/train.ts';
import { loadTopicModel, predictTopics, scorePackages } from '../src/models/topics/model.ts';
import { topicsCli, parsePackageLines } from '../src/cli/topics.ts';
import { shotMask, fewShotSvg } from '../src/models/topics/eval.ts';

const t = suite('topics');

async function cli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await topicsCli(args, { stdin: async () => stdin, write: (s) => { out += s; }, error: (s) => { err += s + '\n'; } });
  return { code, out, err };
}

t('tokenize, name parts and the split', () => {
  assert.equal(tokenize("C++ library for GTK+ 3.0's widgets; x86-64, e.g. libfoo-dev."), ['c++', 'library', 'for', 'gtk+', '3.0', 'widgets', 'x86-64', 'e.g', 'libfoo-dev']);
  assert.equal(nameTokens('python3-numpy'), ['name:python3', 'name:numpy', 'name:last:numpy']);
  assert.ok(nameTokens('libssl3').includes('name:lib*') && nameTokens('libssl3').includes('name:#'));
  const counts: Record<string, number> = { train: 0, dev: 0, test: 0 };
  for (let i = 0; i < 2000; i++) counts[splitOf(`pkg${i}`)]++;
  assert.ok(counts.train > 1500 && counts.dev > 130 && counts.test > 130, JSON.stringify(counts));
  assert.is(splitOf('vim'), splitOf('vim'));
});

t('loadPackages: a bad line names the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-topics-'));
  const f = join(dir, 'p.jsonl');
  writeFileSync(f, '{"package":"a","summary":"x","tags":["use::editing"]}\n{"package":"b", oops\n');
  assert.throws(() => loadPackages(f), (e: Error) => /p\.jsonl:2/.test(e.message) && /malformed JSON/.test(e.message));
  writeFileSync(f, '{"package":"a","tags":"use::editing"}\n');
  assert.throws(() => loadPackages(f), (e: Error) => /p\.jsonl:1/.test(e.message) && /tags/.test(e.message));
  assert.throws(() => loadPackages(join(dir, 'none.jsonl')), (e: Error) => /--data/.test(e.message));
  rmSync(dir, { recursive: true, force: true });
});

t('metrics: average precision, micro-F1 and the best threshold by hand', () => {
  // ranking: + - + -  -> AP = (1/1 + 2/3) / 2
  assert.ok(Math.abs(averagePrecision([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0]) - (1 + 2 / 3) / 2) < 1e-12);
  assert.ok(Number.isNaN(averagePrecision([0.5, 0.4], [0, 0])));
  // ties count pessimistically: the negative is ranked first
  assert.ok(Math.abs(averagePrecision([0.5, 0.5], [1, 0]) - 0.5) < 1e-12);
  // 2 packages x 2 topics
  const s = [0.9, 0.2, 0.4, 0.3], y = [1, 0, 1, 1];
  const f = microF1(s, y, 2, 2, 0.5);
  assert.equal([f.tp, f.fp, f.fn], [1, 0, 2]);
  const g = microF1(s, y, 2, 2, 0.5, true); // package 2 gets its best topic (0.4, a positive)
  assert.equal([g.tp, g.fp, g.fn], [2, 0, 1]);
  const b = bestGlobalThreshold(s, y);
  assert.ok(b.threshold < 0.3 && b.threshold > 0.2 && Math.abs(b.f1 - 1) < 1e-12, JSON.stringify(b));
});

t('shotMask keeps k positives per topic and every negative', () => {
  const y = Float32Array.from([1, 0, 1, 1, 1, 0, 1, 1, 0, 0]); // 5 rows x 2 topics
  const m = shotMask(y, 5, 2, 1, 3);
  for (let tp = 0; tp < 2; tp++) {
    let kept = 0;
    for (let i = 0; i < 5; i++) { if (y[i * 2 + tp] > 0) kept += m[i * 2 + tp]; else assert.is(m[i * 2 + tp], 1); }
    assert.is(kept, 1);
  }
  assert.match(fewShotSvg([{ shots: 5, a: 0.3 }, { shots: 'all', a: 0.5 }]), /<svg[\s\S]*polyline/);
});

// A tiny app store: three topics, each with its own words, a shared vocabulary, some packages in two topics.
function tinyStore(n: number): Package[] {
  const words: Record<string, string[]> = {
    'use::gameplaying': 'game player puzzle level score arcade board cards'.split(' '),
    'use::editing': 'editor text syntax highlighting undo buffer macros'.split(' '),
    'works-with::image': 'image photo pixels jpeg png raster thumbnails'.split(' '),
  };
  const common = 'the a this package provides for and with is program free simple'.split(' ');
  let s = 11;
  const r = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  const tags = Object.keys(words);
  return Array.from({ length: n }, (_, i) => {
    const mine = [tags[i % 3], ...(i % 7 === 0 ? [tags[(i + 1) % 3]] : [])];
    const vocab = mine.flatMap((tg) => words[tg]);
    const text = Array.from({ length: 14 }, (_, j) => (j % 2 ? common[Math.floor(r() * common.length)] : vocab[Math.floor(r() * vocab.length)])).join(' ');
    return { package: `pkg-${i}`, summary: text.split(' ').slice(0, 5).join(' '), description: text, tags: i % 10 === 9 ? [] : mine };
  });
}

t('trainTopics on a tiny store: predicts its topics, files round trip, CLI predict keeps going past bad lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-topics-'));
  const data = join(dir, 'store.jsonl');
  writeFileSync(data, tinyStore(600).map((p) => JSON.stringify(p)).join('\n') + '\n');
  await settle();
  const before = kiln.memory().numTensors;
  const logs: string[] = [];
  const m = await trainTopics({ data, out: join(dir, 'model'), skipgram: { dim: 16, epochs: 2, minCount: 2, chunk: 4096 }, linear: { epochs: 6, batch: 128, lr: 0.05 }, terms: 500, log: (s) => logs.push(s) });
  assert.is(kiln.memory().numTensors, before, 'training leaves no tensors');
  assert.ok(logs.some((l) => /skip-gram epoch/.test(l) && /words\/s/.test(l) && /ETA/.test(l)), 'a skip-gram progress line');
  assert.ok(logs.some((l) => /classifiers epoch/.test(l) && /loss/.test(l)), 'a classifier progress line');
  assert.equal([...m.config.topics].sort(), ['use::editing', 'use::gameplaying', 'works-with::image']);
  const probe = [
    { package: 'supertux-like', summary: 'arcade game', description: 'a puzzle game with levels and a score board for the player' },
    { package: 'ed-like', summary: 'text editor', description: 'an editor with syntax highlighting, undo and macros' },
  ];
  const pred = await predictTopics(m, probe);
  assert.is(pred[0].topics[0].tag, 'use::gameplaying');
  assert.is(pred[1].topics[0].tag, 'use::editing');
  // the files: int8 weights give (nearly) the same scores
  const loaded = loadTopicModel(join(dir, 'model'));
  const a = await scorePackages(m, probe), b = await scorePackages(loaded, probe);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 0.02, `score ${i}: ${a[i]} vs ${b[i]}`);
  // CLI: one output line per input line, errors in place
  const lines = [JSON.stringify(probe[0]), '{"package": "broken", "summary": ', '', '[1,2]', JSON.stringify({ package: 'nothing' , summary: null, description: 42 }), JSON.stringify(probe[1])].join('\n') + '\n';
  const r = await cli(['predict', '--model', join(dir, 'model')], lines);
  assert.is(r.code, 0, r.err);
  const out = r.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(out.length, 6);
  assert.is(out[0].package, 'supertux-like');
  assert.is(out[0].topics[0].tag, 'use::gameplaying');
  assert.ok(out[0].topics.every((x: { score: number }, i: number, arr: { score: number }[]) => i === 0 || arr[i - 1].score >= x.score), 'best first');
  assert.is(out[1].package, 'broken');
  assert.match(out[1].error, /line 2: malformed JSON/);
  assert.match(out[2].error, /line 3: empty line/);
  assert.match(out[3].error, /line 4: expected a JSON object/);
  assert.ok(Array.isArray(out[4].topics), 'a numeric description is read as text');
  assert.is(out[5].topics[0].tag, 'use::editing');
  const all = await cli(['predict', '--model', join(dir, 'model'), '--all'], JSON.stringify(probe[0]) + '\n');
  assert.is(JSON.parse(all.out).topics.length, 3);
  const bad = await cli(['predict', '--model', join(dir, 'nope')], '');
  assert.is(bad.code, 1);
  assert.match(bad.err, /config\.json is missing/);
  rmSync(dir, { recursive: true, force: true });
});

t('parsePackageLines keeps the package name of a malformed line', () => {
  const r = parsePackageLines('{"package": "vim", "summary": "x", oops}\n');
  assert.is((r[0] as { name: unknown }).name, 'vim');
});

t('the shipped model: loads, predicts real packages sensibly, neighbours', async () => {
  if (!existsSync(join(DEFAULT_MODEL, 'config.json'))) throw new Error(`no shipped model in ${DEFAULT_MODEL}; run kiln topics train --out models/topics`);
  const r = await cli(['predict'], [
    JSON.stringify({ package: 'python3-foo', summary: 'Python 3 library for parsing foo files', description: 'This package provides the Python 3 module for reading and writing foo files.' }),
    JSON.stringify({ package: 'foo-doc', summary: 'documentation for foo', description: 'This package contains the HTML documentation and examples for foo.' }),
  ].join('\n') + '\n');
  assert.is(r.code, 0, r.err);
  const [py, doc] = r.out.trim().split('\n').map((l) => JSON.parse(l));
  const tags = (x: { topics: { tag: string }[] }) => x.topics.map((t) => t.tag);
  assert.ok(tags(py).some((t) => /python/.test(t)), `python package: ${tags(py)}`);
  assert.ok(tags(doc).includes('role::documentation'), `doc package: ${tags(doc)}`);
  const nb = await cli(['neighbours', 'compression', '--k', '10']);
  assert.is(nb.code, 0, nb.err);
  assert.ok(/decompression|gzip|zlib|lossless|compressed/.test(nb.out), nb.out);
});

t.run();

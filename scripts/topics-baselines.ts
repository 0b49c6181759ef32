// Reference baselines for `kiln topics`: Debian's fastText (0.9.2) and gensim 4 skip-gram on the package
// description corpus (words/s, neighbours, domain analogies), and fastText supervised debtags classifiers.
//   node --import tsx scripts/topics-baselines.ts [--corpus /tmp/corpus.txt] [--epochs 5] [--threads 2]
//        [--out DIR] [--data FILE] [--no-skipgram] [--no-supervised] [--sup-epoch 25] [--json]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_SKIPGRAM, analogyAccuracy, nearest, readWord2VecText, runFasttextSkipgram, runFasttextSupervised, runGensimSkipgram, toFasttextLines,
  type AnalogyResult, type Neighbour, type SkipGramRun, type SkipGramSettings, type Skipped, type SupervisedResult,
} from '../src/models/topics/baselines.ts';
import { DEFAULT_DATA, ROOT, corpusText, loadPackages, nameTokens, packageWords, splitOf, type Package } from '../src/models/topics/data.ts';

const argv = process.argv.slice(2);
function opt(name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
const flag = (name: string): boolean => argv.includes(name);

const json = flag('--json');
const corpus = opt('--corpus') ?? '/tmp/corpus.txt';
const dataFile = opt('--data') ?? DEFAULT_DATA;
const outDir = opt('--out') ?? join(tmpdir(), 'kiln-topics-baselines');
const settings: SkipGramSettings = { ...DEFAULT_SKIPGRAM, epochs: Number(opt('--epochs') ?? DEFAULT_SKIPGRAM.epochs), threads: Number(opt('--threads') ?? DEFAULT_SKIPGRAM.threads) };
const questions = join(ROOT, 'models', 'topics', 'analogies.txt');
const PROBES = ['python', 'editor', 'browser', 'font', 'game', 'compression', 'database', 'kernel', 'printer', 'music'];
const log = (s: string): void => { if (!json) process.stdout.write(`${s}\n`); };
const err = (s: string): void => { process.stderr.write(`${s}\n`); };

mkdirSync(outDir, { recursive: true });
let pkgs: Package[] | undefined;
const packages = (): Package[] => (pkgs ??= loadPackages(dataFile));
if (!existsSync(corpus)) {
  err(`writing ${corpus} from ${dataFile}`);
  writeFileSync(corpus, corpusText(packages()));
}

interface SkipGramReport { tool: string; run?: SkipGramRun; skipped?: string; neighbours?: Record<string, Neighbour[]>; analogies?: AnalogyResult }
const skipgram: SkipGramReport[] = [];
if (!flag('--no-skipgram')) {
  const runs: [string, () => SkipGramRun | Skipped][] = [
    ['fasttext', () => runFasttextSkipgram(corpus, settings, join(outDir, 'fasttext-sg'))],
    ['gensim', () => runGensimSkipgram(corpus, settings, join(outDir, 'gensim-sg.txt'))],
  ];
  for (const [tool, go] of runs) {
    err(`${tool} skip-gram ...`);
    const r = go();
    if ('skipped' in r) { skipgram.push({ tool, skipped: r.skipped }); continue; }
    const vecs = readWord2VecText(r.vectorsFile);
    const neighbours = Object.fromEntries(PROBES.map((w) => [w, nearest(vecs, w, 5)]));
    skipgram.push({ tool, run: r, neighbours, analogies: analogyAccuracy(vecs, questions) });
  }
}

interface SupReport { skipped?: string; labels?: number; docs?: Record<string, number>; results?: (Omit<SupervisedResult, 'testScores' | 'testGold' | 'labels'> & { labelMAP: number })[] }
const sup: SupReport = {};

/** Mean over labels (with >= 1 positive in test) of average precision of the ranking of test docs by score. */
function labelMAP(r: SupervisedResult): number {
  let sum = 0, n = 0;
  for (const l of r.labels) {
    const docs = r.testScores.map((m, i) => ({ s: m.get(l) ?? 0, y: r.testGold[i].includes(l) })).sort((a, b) => b.s - a.s);
    const pos = docs.filter((d) => d.y).length;
    if (!pos) continue;
    let hits = 0, ap = 0;
    docs.forEach((d, i) => { if (d.y) { hits++; ap += hits / (i + 1); } });
    sum += ap / pos; n++;
  }
  return n ? sum / n : 0;
}

if (!flag('--no-supervised')) {
  err('fastText supervised ...');
  const tagged = packages().filter((p) => p.tags.length > 0);
  const bySplit = { train: [] as Package[], dev: [] as Package[], test: [] as Package[] };
  for (const p of tagged) bySplit[splitOf(p.package)].push(p);
  const counts = new Map<string, number>();
  for (const p of bySplit.train) for (const t of p.tags) counts.set(t, (counts.get(t) ?? 0) + 1);
  const keep = new Set([...counts].filter(([, c]) => c >= 5).map(([t]) => t));
  const tokensOf = (p: Package): string[] => [...packageWords(p), ...nameTokens(p.package)];
  const files = { train: join(outDir, 'sup-train.txt'), dev: join(outDir, 'sup-dev.txt'), test: join(outDir, 'sup-test.txt') };
  for (const s of ['train', 'dev', 'test'] as const) writeFileSync(files[s], toFasttextLines(bySplit[s], tokensOf, (t) => keep.has(t)).join('\n') + '\n');
  const supEpoch = opt('--sup-epoch');
  const r = runFasttextSupervised(files.train, files.dev, files.test, { threads: settings.threads, outPrefix: join(outDir, 'fasttext-sup'), ...(supEpoch ? { epoch: Number(supEpoch) } : {}) });
  if ('skipped' in r) sup.skipped = r.skipped;
  else {
    sup.labels = keep.size;
    sup.docs = { train: bySplit.train.length, dev: bySplit.dev.length, test: bySplit.test.length };
    sup.results = r.map(({ testScores: _s, testGold: _g, labels: _l, ...rest }) => ({ ...rest, labelMAP: labelMAP(r.find((x) => x.loss === rest.loss)!) }));
  }
}

if (json) {
  process.stdout.write(`${JSON.stringify({ corpus, settings, skipgram, supervised: sup }, null, 1)}\n`);
} else {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  log(`corpus ${corpus}; skip-gram ${JSON.stringify(settings)}`);
  log('');
  log('tool      seconds   tokens*epochs/s   reported w/s/thread   vocab   analogies (correct/answered, skipped)');
  for (const s of skipgram) {
    if (s.skipped || !s.run || !s.analogies) { log(`${s.tool.padEnd(9)} skipped: ${s.skipped}`); continue; }
    const a = s.analogies;
    log(`${s.tool.padEnd(9)} ${s.run.seconds.toFixed(2).padStart(7)}   ${Math.round(s.run.wordsPerSec).toLocaleString('en-US').padStart(15)}   ${(s.run.reportedPerThread?.toLocaleString('en-US') ?? '-').padStart(19)}   ${String(s.run.vocab ?? '-').padStart(5)}   ${pct(a.accuracy)} (${a.correct}/${a.total}, ${a.skipped} skipped)`);
  }
  const done = skipgram.filter((s) => s.analogies);
  if (done.length) {
    log('');
    log(`analogy section          ${done.map((s) => s.tool.padStart(16)).join('')}`);
    for (const sec of Object.keys(done[0].analogies!.bySection)) {
      log(`${sec.padEnd(24)} ${done.map((s) => { const b = s.analogies!.bySection[sec]; return `${pct(b.accuracy)} ${b.correct}/${b.total}`.padStart(16); }).join('')}`);
    }
    for (const s of done) {
      log('');
      log(`${s.tool} nearest neighbours (cosine):`);
      for (const w of PROBES) log(`  ${w.padEnd(12)} ${s.neighbours![w].map((n) => `${n.word} ${n.cos.toFixed(2)}`).join(', ') || '(out of vocabulary)'}`);
    }
  }
  if (!flag('--no-supervised')) {
    log('');
    if (sup.skipped || !sup.results) log(`fastText supervised skipped: ${sup.skipped}`);
    else {
      log(`fastText supervised: ${sup.labels} tags (>= 5 train positives), docs train/dev/test ${sup.docs!.train}/${sup.docs!.dev}/${sup.docs!.test}`);
      log('loss      train s   threshold   dev micro-F1   test micro-F1   test label-mAP');
      for (const r of sup.results) log(`${r.loss.padEnd(9)} ${r.trainSeconds.toFixed(1).padStart(7)}   ${r.threshold.toFixed(4).padStart(9)}   ${pct(r.devMicroF1).padStart(12)}   ${pct(r.testMicroF1).padStart(13)}   ${pct(r.labelMAP).padStart(14)}`);
    }
  }
}

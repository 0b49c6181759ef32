// `kiln topics eval`: every number of docs/topics.md in one run.
//   classifiers: on the held-out test split, the per-topic classifiers (the shipped recipe) vs the
//     single multi-label classifier vs TF-IDF + logistic regression, all trained here on the train
//     split with thresholds tuned on dev, and fastText supervised on the same split when installed;
//     then the few-shot curve (k positive packages per topic).
//   embeddings: kiln's skip-gram words/s, neighbours and analogy accuracy against fastText and
//     gensim on the same corpus file and settings, when they are installed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadPackages, packageWords, nameTokens, corpusText, DEFAULT_DATA, DEFAULT_MODEL, ROOT, type Package } from './data.ts';
import { buildFeatureSpace, featurize, packageTerms, type WordVectors } from './features.ts';
import { trainLinear, scoreLinear, LINEAR_DEFAULTS, type LinearSpec } from './classifier.ts';
import { perTopicAP, meanOf, microF1, bestGlobalThreshold, chooseThresholds } from './metrics.ts';
import { topicSplits, labelMatrix, trainVectors, TOPICS_DEFAULTS } from './train.ts';
import { loadTopicModel } from './model.ts';
import { neighbours, SKIPGRAM_DEFAULTS } from './skipgram.ts';
import * as B from './baselines.ts';
import { rng } from '../../util/numeric.ts';
import { CsrMatrix } from '../../ops/sparse.ts';

export interface ClassifierRow { model: string; map: number; rareMap: number; frequentMap: number; microF1: number; precision: number; recall: number; policy: string; trainSeconds: number }
export interface ShotRow { shots: number | 'all'; [model: string]: number | string }

const RARE = 50;

function evalScores(name: string, policy: 'per-topic' | 'global', sDev: Float32Array, sTest: Float32Array, yDev: Float32Array, yTest: Float32Array, nDev: number, nTest: number, T: number, rare: (t: number) => boolean, secs: number): ClassifierRow {
  const ap = perTopicAP(sTest, yTest, nTest, T);
  // thresholds chosen on dev only (2-fold on dev picks global vs shrunk per-topic; the baselines get one global threshold)
  const ch = chooseThresholds(sDev, yDev, nDev, T, policy === 'per-topic' ? undefined : []);
  const p = policy === 'per-topic' ? ch.policy : { name: 'global', atLeastOne: false, shrink: null };
  const th = policy === 'per-topic' ? ch.thresholds : bestGlobalThreshold(sDev, yDev).threshold;
  const f = microF1(sTest, yTest, nTest, T, th, p.atLeastOne);
  return { model: name, map: meanOf(ap), rareMap: meanOf(ap, rare), frequentMap: meanOf(ap, (t) => !rare(t)), microF1: f.f1, precision: f.precision, recall: f.recall, policy: typeof th === 'number' ? `one threshold ${th.toFixed(3)}` : p.name, trainSeconds: secs };
}

/** k positive train packages per topic kept (the others masked out of that topic's loss); k >= all keeps everything. */
export function shotMask(y: Float32Array, n: number, T: number, k: number, seed: number): Float32Array {
  const m = new Float32Array(n * T).fill(1);
  const r = rng(seed);
  for (let t = 0; t < T; t++) {
    const pos: number[] = [];
    for (let i = 0; i < n; i++) if (y[i * T + t] > 0) pos.push(i);
    for (let i = pos.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [pos[i], pos[j]] = [pos[j], pos[i]]; }
    for (const i of pos.slice(k)) m[i * T + t] = 0;
  }
  return m;
}

export interface ClassifierEval { rows: ClassifierRow[]; shots: ShotRow[]; topics: number; rareTopics: number; test: number; examples: { package: string; gold: string[]; predicted: { tag: string; score: number }[] }[] }

export async function evalClassifiers(o: { data?: string; model?: string; shots?: (number | 'all')[]; log: (s: string) => void; fasttext?: boolean }): Promise<ClassifierEval> {
  const log = o.log;
  const pkgs = loadPackages(o.data ?? DEFAULT_DATA);
  const shipped = loadTopicModel(o.model ?? DEFAULT_MODEL);
  const wv: WordVectors = shipped.vectors;
  const minPos = (shipped.config.settings.minPositives as number) ?? TOPICS_DEFAULTS.minPositives;
  const { splits, topics, trainCounts } = topicSplits(pkgs, minPos);
  const T = topics.length;
  const rare = (t: number) => trainCounts.get(topics[t])! <= RARE;
  const space = buildFeatureSpace(splits.train.map((p) => packageTerms(p)), 3, (shipped.config.settings.terms as number) ?? TOPICS_DEFAULTS.terms);
  const X = { train: featurize(splits.train, space, wv), dev: featurize(splits.dev, space, wv), test: featurize(splits.test, space, wv) };
  const Y = { train: labelMatrix(splits.train, topics), dev: labelMatrix(splits.dev, topics), test: labelMatrix(splits.test, topics) };
  const rareCount = topics.filter((_, t) => rare(t)).length;
  log(`${T} topics (${rareCount} with <= ${RARE} train packages), train ${X.train.n}, dev ${X.dev.n}, test ${X.test.n}; ${space.terms.length} terms, vectors ${wv.words.length} x ${wv.dim}`);
  const base: LinearSpec = { ...LINEAR_DEFAULTS, ...TOPICS_DEFAULTS.linear, ...(shipped.config.settings.linear as Partial<LinearSpec>) };
  const specs: [string, Partial<LinearSpec>, 'per-topic' | 'global'][] = [
    ['per-topic (vectors + n-grams)', { ...base, head: 'sigmoid', dense: true }, 'per-topic'],
    ['single multi-label (softmax)', { ...base, head: 'softmax', dense: true, posWeight: 'none' }, 'global'],
    ['TF-IDF + logistic regression', { ...base, head: 'sigmoid', dense: false, posWeight: 'none' }, 'global'],
  ];
  const rows: ClassifierRow[] = [];
  let perTopicScores: Float32Array | null = null;
  let perTopicThresh: Float32Array | null = null;
  for (const [name, spec, policy] of specs) {
    const t0 = performance.now();
    const m = await trainLinear(X.train, Y.train, T, spec, undefined, (p) => { if (p.step % 50 === 0) log(`  ${name}: step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} ETA ${Math.round(p.etaSec)}s`); });
    const secs = (performance.now() - t0) / 1000;
    const sDev = await scoreLinear(m, X.dev), sTest = await scoreLinear(m, X.test);
    const row = evalScores(name, policy, sDev, sTest, Y.dev, Y.test, X.dev.n, X.test.n, T, rare, secs);
    rows.push(row);
    if (!perTopicScores) { perTopicScores = sTest; perTopicThresh = chooseThresholds(sDev, Y.dev, X.dev.n, T).thresholds; }
    log(`${name}: MAP ${row.map.toFixed(4)}  rare MAP ${row.rareMap.toFixed(4)}  micro-F1 ${row.microF1.toFixed(4)}  (${secs.toFixed(0)} s)`);
  }
  if (o.fasttext !== false) {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-topics-ft-'));
    try {
      const keep = new Set(topics);
      const tok = (p: Package) => [...packageWords(p), ...nameTokens(p.package)];
      const files = (['train', 'dev', 'test'] as const).map((s) => { const f = join(dir, `${s}.txt`); writeFileSync(f, B.toFasttextLines(splits[s], tok, (t) => keep.has(t)).join('\n') + '\n'); return f; });
      const res = B.runFasttextSupervised(files[0], files[1], files[2], { outPrefix: join(dir, 'ft') });
      if ('skipped' in res) log(`fastText supervised: skipped (${res.skipped})`);
      else for (const r of res) {
        const s = new Float32Array(X.test.n * T);
        r.testScores.forEach((mp, i) => { topics.forEach((t, j) => { s[i * T + j] = mp.get(t) ?? 0; }); });
        const ap = perTopicAP(s, Y.test, X.test.n, T);
        const f = microF1(s, Y.test, X.test.n, T, r.threshold);
        rows.push({ model: `fastText supervised (-loss ${r.loss}, bigrams)`, map: meanOf(ap), rareMap: meanOf(ap, rare), frequentMap: meanOf(ap, (t) => !rare(t)), microF1: f.f1, precision: f.precision, recall: f.recall, policy: `one threshold ${r.threshold.toFixed(3)}`, trainSeconds: r.trainSeconds });
        log(`fastText ${r.loss}: MAP ${meanOf(ap).toFixed(4)}  micro-F1 ${f.f1.toFixed(4)}`);
      }
    } finally { rmSync(dir, { recursive: true, force: true }); }
  }
  // the few-shot curve: AP on test when each topic keeps k labelled positives
  const shots: ShotRow[] = [];
  for (const k of o.shots ?? [5, 10, 50, 'all']) {
    const mask = k === 'all' ? undefined : shotMask(Y.train, X.train.n, T, k, 7);
    const row: ShotRow = { shots: k };
    const curves: [string, Partial<LinearSpec>, boolean][] = [
      ['per-topic (vectors + n-grams)', { ...base, head: 'sigmoid', dense: true }, false],
      ['per-topic (vectors only)', { ...base, head: 'sigmoid', dense: true }, true],
      ['TF-IDF + logistic regression', { ...base, head: 'sigmoid', dense: false, posWeight: 'none' }, false],
    ];
    for (const [name, spec, vectorsOnly] of curves) {
      const xs = vectorsOnly ? { train: { ...X.train, sparse: emptyLike(X.train.n) }, test: { ...X.test, sparse: emptyLike(X.test.n) } } : X;
      const m = await trainLinear(xs.train, Y.train, T, spec, mask);
      row[name] = meanOf(perTopicAP(await scoreLinear(m, xs.test), Y.test, X.test.n, T));
    }
    shots.push(row);
    log(`few-shot k=${k}: ${Object.entries(row).filter(([n]) => n !== 'shots').map(([n, v]) => `${n} ${(v as number).toFixed(4)}`).join('  ')}`);
  }
  // examples of predicted topics (test packages, per-topic model)
  const examples = [0, 1, 2, 3, 4, 5].map((q) => Math.floor((q * X.test.n) / 6)).map((i) => {
    const list = topics.map((tag, t) => ({ tag, score: perTopicScores![i * T + t], t })).filter((x) => x.score >= perTopicThresh![x.t]).sort((a, b) => b.score - a.score);
    return { package: splits.test[i].package, gold: splits.test[i].tags.filter((t) => topics.includes(t)), predicted: list.slice(0, 6).map(({ tag, score }) => ({ tag, score: Math.round(score * 1000) / 1000 })) };
  });
  for (const x of Object.values(X)) x.sparse.dispose();
  return { rows, shots, topics: T, rareTopics: rareCount, test: X.test.n, examples };
}

/** n rows with no sparse features (the vectors-only ablation). */
function emptyLike(n: number): CsrMatrix {
  return new CsrMatrix(n, 1, new Uint32Array(n + 1), new Int32Array(0), new Float32Array(0));
}

export interface EmbeddingRow { tool: string; wordsPerSec: number; seconds: number; analogy: number; analogyTotal: number; neighbours: Record<string, string[]> }

export const PROBE_WORDS = ['python', 'editor', 'browser', 'font', 'game', 'compression', 'database', 'kernel', 'printer', 'music'];

export async function evalEmbeddings(o: { data?: string; epochs?: number; log: (s: string) => void }): Promise<EmbeddingRow[]> {
  const pkgs = loadPackages(o.data ?? DEFAULT_DATA);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-topics-sg-'));
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, corpusText(pkgs));
  const analogies = join(ROOT, 'models', 'topics', 'analogies.txt');
  const sg = { ...SKIPGRAM_DEFAULTS, epochs: o.epochs ?? SKIPGRAM_DEFAULTS.epochs };
  const settings: B.SkipGramSettings = { dim: sg.dim, window: sg.window, negative: sg.negatives, epochs: sg.epochs, minCount: sg.minCount, threads: 2, lr: sg.lr, sample: sg.sample };
  const rows: EmbeddingRow[] = [];
  const add = (tool: string, wps: number, secs: number, v: B.WordVectors) => {
    const an = B.analogyAccuracy(v, analogies);
    const index = new Map(v.words.map((w, i) => [w, i]));
    const nb: Record<string, string[]> = {};
    for (const w of PROBE_WORDS) nb[w] = neighbours(v.words, v.vectors, v.dim, w, 5, index).map((x) => x.word);
    rows.push({ tool, wordsPerSec: wps, seconds: secs, analogy: an.accuracy, analogyTotal: an.total, neighbours: nb });
    o.log(`${tool}: ${(wps / 1000).toFixed(0)}k words/s (${secs.toFixed(1)} s), analogies ${(100 * an.accuracy).toFixed(1)}% of ${an.total}`);
  };
  try {
    const r = await trainVectors(pkgs, sg, o.log);
    add('kiln skipGramSgd (GPU)', r.wordsPerSec, r.seconds, r);
    const ft = B.runFasttextSkipgram(corpus, settings, join(dir, 'ft'));
    if ('skipped' in ft) o.log(`fastText skipgram: skipped (${ft.skipped})`);
    else add('fastText skipgram (C++)', ft.wordsPerSec, ft.seconds, B.readWord2VecText(ft.vectorsFile));
    const gs = B.runGensimSkipgram(corpus, settings, join(dir, 'gensim.txt'));
    if ('skipped' in gs) o.log(`gensim Word2Vec: skipped (${gs.skipped})`);
    else add('gensim Word2Vec (C core)', gs.wordsPerSec, gs.seconds, B.readWord2VecText(gs.vectorsFile));
  } finally { rmSync(dir, { recursive: true, force: true }); }
  return rows;
}

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');

/** The few-shot curve as an SVG line chart. */
export function fewShotSvg(shots: ShotRow[]): string {
  const names = Object.keys(shots[0] ?? {}).filter((k) => k !== 'shots');
  const W = 560, H = 320, L = 56, R = 220, Tp = 20, Bt = 44;
  const xs = shots.map((_, i) => L + (i * (W - L - R)) / Math.max(1, shots.length - 1));
  const vals = shots.flatMap((s) => names.map((n) => s[n] as number)).filter(Number.isFinite);
  const lo = Math.max(0, Math.floor(Math.min(...vals) * 10) / 10), hi = Math.min(1, Math.ceil(Math.max(...vals) * 10) / 10);
  const y = (v: number) => Tp + (H - Tp - Bt) * (1 - (v - lo) / (hi - lo || 1));
  const colours = ['#d62728', '#2ca02c', '#1f77b4', '#9467bd'];
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, '<rect width="100%" height="100%" fill="white"/>'];
  for (let v = lo; v <= hi + 1e-9; v += 0.1) out.push(`<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/><text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${v.toFixed(1)}</text>`);
  shots.forEach((s, i) => out.push(`<text x="${xs[i].toFixed(1)}" y="${H - Bt + 18}" text-anchor="middle" fill="#555">${s.shots}</text>`));
  out.push(`<text x="${((L + W - R) / 2).toFixed(0)}" y="${H - 8}" text-anchor="middle" fill="#333">labelled packages per topic</text>`);
  out.push(`<text x="14" y="${((Tp + H - Bt) / 2).toFixed(0)}" transform="rotate(-90 14 ${((Tp + H - Bt) / 2).toFixed(0)})" text-anchor="middle" fill="#333">mean average precision (test)</text>`);
  names.forEach((n, j) => {
    const c = colours[j % colours.length];
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${shots.map((s, i) => `${xs[i].toFixed(1)},${y(s[n] as number).toFixed(1)}`).join(' ')}"/>`);
    shots.forEach((s, i) => out.push(`<circle cx="${xs[i].toFixed(1)}" cy="${y(s[n] as number).toFixed(1)}" r="3" fill="${c}"/>`));
    out.push(`<line x1="${W - R + 14}" x2="${W - R + 34}" y1="${Tp + 10 + 20 * j}" y2="${Tp + 10 + 20 * j}" stroke="${c}" stroke-width="2"/><text x="${W - R + 40}" y="${Tp + 14 + 20 * j}" fill="#333">${n}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export async function evalTopicsCli(args: string[], write: (s: string) => void): Promise<number> {
  const { flag, intFlag } = await import('../../cli/topics.ts');
  const part = flag(args, '--part') ?? 'all';
  if (!['classifiers', 'embeddings', 'all'].includes(part)) throw new Error(`kiln topics eval: --part must be classifiers, embeddings or all, got ${part}`);
  const shots = (flag(args, '--shots') ?? '5,10,50,all').split(',').map((s) => (s === 'all' ? 'all' as const : Number(s)));
  if (shots.some((s) => s !== 'all' && !(Number.isInteger(s) && s >= 1))) throw new Error('kiln topics eval: --shots is a list of positive integers and "all", e.g. 5,10,50,all');
  const json = args.includes('--json');
  const t0 = Date.now();
  const log = (s: string) => (json ? process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}\n`) : write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}\n`));
  const result: Record<string, unknown> = {};
  if (part !== 'embeddings') {
    const c = await evalClassifiers({ data: flag(args, '--data'), model: flag(args, '--model'), shots, log });
    result.classifiers = c;
    const fig = flag(args, '--figure');
    if (fig) { writeFileSync(fig, fewShotSvg(c.shots)); log(`wrote ${fig}`); }
    if (!json) {
      write(`\ntopics: ${c.topics} (${c.rareTopics} rare: <= ${RARE} train packages); test packages: ${c.test}\n\n`);
      write('| model | MAP | MAP rare | MAP frequent | micro-F1 | P | R | decision | train s |\n|---|---|---|---|---|---|---|---|---|\n');
      for (const r of c.rows) write(`| ${r.model} | ${pct(r.map)} | ${pct(r.rareMap)} | ${pct(r.frequentMap)} | ${pct(r.microF1)} | ${pct(r.precision)} | ${pct(r.recall)} | ${r.policy} | ${r.trainSeconds.toFixed(0)} |\n`);
      const names = Object.keys(c.shots[0] ?? {}).filter((k) => k !== 'shots');
      write(`\nfew-shot (test MAP, k labelled packages per topic)\n| k | ${names.join(' | ')} |\n|---|${names.map(() => '---').join('|')}|\n`);
      for (const s of c.shots) write(`| ${s.shots} | ${names.map((n) => pct(s[n] as number)).join(' | ')} |\n`);
    }
  }
  if (part !== 'classifiers') {
    const e = await evalEmbeddings({ data: flag(args, '--data'), epochs: intFlag(args, '--sg-epochs'), log });
    result.embeddings = e;
    if (!json) {
      write('\n| skip-gram | words/s | seconds | analogies |\n|---|---|---|---|\n');
      for (const r of e) write(`| ${r.tool} | ${(r.wordsPerSec / 1000).toFixed(0)}k | ${r.seconds.toFixed(1)} | ${pct(r.analogy)}% of ${r.analogyTotal} |\n`);
      write('\nnearest neighbours\n');
      for (const w of PROBE_WORDS) write(`  ${w}: ${e.map((r) => `${r.tool.split(' ')[0]}: ${r.neighbours[w].join(' ')}`).join(' | ')}\n`);
    }
  }
  if (json) write(JSON.stringify(result, null, 1) + '\n');
  return 0;
}

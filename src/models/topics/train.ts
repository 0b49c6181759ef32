// `kiln topics train`: skip-gram vectors on every package's text, then the per-topic classifiers
// on the train split, thresholds on the dev split; writes a model directory (model.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackages, packageWords, splitOf, DEFAULT_DATA, type Package } from './data.ts';
import { trainSkipGram, SKIPGRAM_DEFAULTS, type SkipGramOptions } from './skipgram.ts';
import { buildFeatureSpace, featurize, packageTerms, type WordVectors } from './features.ts';
import { trainLinear, scoreLinear, LINEAR_DEFAULTS, type LinearSpec } from './classifier.ts';
import { chooseThresholds, perTopicAP, meanOf } from './metrics.ts';
import { saveTopicModel, type TopicModel } from './model.ts';

export interface TopicsTrainOptions {
  data?: string;
  out: string;
  skipgram?: Partial<SkipGramOptions>;
  linear?: Partial<LinearSpec>;
  /** sparse feature terms kept (most frequent first) */
  terms?: number;
  /** a topic needs this many positive packages in the train split */
  minPositives?: number;
  /** reuse the skip-gram vectors a previous run left in the output directory */
  resume?: boolean;
  log?: (s: string) => void;
}

export const TOPICS_DEFAULTS = { terms: 8000, minPositives: 5, linear: { epochs: 8, batch: 2048, lr: 0.05, l2: 1e-5, posWeight: 'none' } as Partial<LinearSpec> };

export interface Splits { train: Package[]; dev: Package[]; test: Package[] }

/** Tagged packages by split (untagged ones are unlabelled, not negative) and the topics: tags with >= minPositives train packages, most frequent first. */
export function topicSplits(pkgs: Package[], minPositives = 5): { splits: Splits; topics: string[]; trainCounts: Map<string, number> } {
  const tagged = pkgs.filter((p) => p.tags.length);
  const splits: Splits = { train: [], dev: [], test: [] };
  for (const p of tagged) splits[splitOf(p.package)].push(p);
  const trainCounts = new Map<string, number>();
  for (const p of splits.train) for (const t of p.tags) trainCounts.set(t, (trainCounts.get(t) ?? 0) + 1);
  const topics = [...trainCounts.entries()].filter(([, c]) => c >= minPositives).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([t]) => t);
  return { splits, topics, trainCounts };
}

/** 0/1 labels [n, T]. */
export function labelMatrix(pkgs: Package[], topics: string[]): Float32Array {
  const ix = new Map(topics.map((t, i) => [t, i]));
  const y = new Float32Array(pkgs.length * topics.length);
  pkgs.forEach((p, i) => { for (const t of p.tags) { const j = ix.get(t); if (j !== undefined) y[i * topics.length + j] = 1; } });
  return y;
}

const fmtEta = (s: number) => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

/** Skip-gram vectors for the packages' text, with a progress line. */
export async function trainVectors(pkgs: Package[], opts: Partial<SkipGramOptions>, log: (s: string) => void): Promise<WordVectors & { wordsPerSec: number; seconds: number }> {
  const r = await trainSkipGram(pkgs.map(packageWords), {
    ...opts,
    onProgress: (p) => log(`skip-gram epoch ${p.epoch}/${p.epochs}  ${(100 * p.words / p.totalWords).toFixed(0)}%  loss ${p.loss.toFixed(4)}  lr ${p.lr.toFixed(5)}  ${(p.wordsPerSec / 1000).toFixed(0)}k words/s  ETA ${fmtEta(p.etaSec)}`),
  });
  return { words: r.vocab.words, index: r.vocab.index, dim: r.dim, vectors: r.vectors, wordsPerSec: r.wordsPerSec, seconds: r.seconds };
}

function saveVectorsPartial(dir: string, wv: WordVectors): void {
  writeFileSync(join(dir, 'skipgram.partial.txt'), `${wv.dim}\n${wv.words.join('\n')}\n`);
  writeFileSync(join(dir, 'skipgram.partial.bin'), new Uint8Array(wv.vectors.buffer, wv.vectors.byteOffset, wv.vectors.byteLength));
}

function loadVectorsPartial(dir: string): WordVectors | null {
  const t = join(dir, 'skipgram.partial.txt'), b = join(dir, 'skipgram.partial.bin');
  if (!existsSync(t) || !existsSync(b)) return null;
  const [dim, ...words] = readFileSync(t, 'utf8').split('\n');
  words.pop();
  const buf = readFileSync(b);
  const vectors = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  if (vectors.length !== words.length * Number(dim)) return null;
  return { words, index: new Map(words.map((w, i) => [w, i])), dim: Number(dim), vectors };
}

export async function trainTopics(o: TopicsTrainOptions): Promise<TopicModel> {
  const log = o.log ?? ((s: string) => console.error(s));
  const data = o.data ?? DEFAULT_DATA;
  const pkgs = loadPackages(data);
  log(`data: ${data}: ${pkgs.length} packages, ${pkgs.filter((p) => p.tags.length).length} tagged`);
  mkdirSync(o.out, { recursive: true });
  const sgOpts = { ...SKIPGRAM_DEFAULTS, ...o.skipgram };
  let wv = o.resume ? loadVectorsPartial(o.out) : null;
  let sgRate: number | null = null;
  if (wv) log(`skip-gram: reusing ${o.out}/skipgram.partial.* (${wv.words.length} words)`);
  else {
    const r = await trainVectors(pkgs, sgOpts, log);
    wv = r;
    sgRate = r.wordsPerSec;
    saveVectorsPartial(o.out, wv);
  }
  const minPos = o.minPositives ?? TOPICS_DEFAULTS.minPositives;
  const { splits, topics } = topicSplits(pkgs, minPos);
  if (!topics.length) throw new Error(`kiln topics train: no tag has ${minPos} or more packages in the train split of ${data}`);
  const space = buildFeatureSpace(splits.train.map((p) => packageTerms(p)), 3, o.terms ?? TOPICS_DEFAULTS.terms);
  const spec: LinearSpec = { ...LINEAR_DEFAULTS, ...TOPICS_DEFAULTS.linear, ...o.linear };
  log(`topics: ${topics.length} tags with >= ${minPos} train packages; features: ${space.terms.length} terms + ${spec.dense ? wv.dim : 0} vector dims; train ${splits.train.length}, dev ${splits.dev.length}`);
  const xTrain = featurize(splits.train, space, wv);
  const xDev = featurize(splits.dev, space, wv);
  const yDev = labelMatrix(splits.dev, topics);
  const linear = await trainLinear(xTrain, labelMatrix(splits.train, topics), topics.length, spec, undefined,
    (p) => log(`classifiers epoch ${p.epoch}/${p.epochs}  step ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}  ${p.examplesPerSec.toFixed(0)} packages/s  ETA ${fmtEta(p.etaSec)}`));
  xTrain.sparse.dispose();
  const sd = await scoreLinear(linear, xDev);
  const ch = chooseThresholds(sd, yDev, xDev.n, topics.length, spec.head === 'sigmoid' ? undefined : []);
  const per = ch.thresholds;
  const f1 = Math.max(...Object.values(ch.cvF1));
  const map = meanOf(perTopicAP(sd, yDev, xDev.n, topics.length));
  log(`dev: MAP ${map.toFixed(4)}  thresholds: ${ch.policy.name} (2-fold dev micro-F1 ${f1.toFixed(4)}; global ${ch.cvF1.global.toFixed(4)})`);
  const model: TopicModel = {
    config: {
      format: 'kiln-topics/1', topics, thresholds: Array.from(per, (x) => Math.round(x * 1e6) / 1e6), atLeastOne: ch.policy.atLeastOne, head: spec.head,
      settings: { data: data === DEFAULT_DATA ? 'data/debian-packages/packages.jsonl.gz' : data, skipgram: { ...sgOpts, onProgress: undefined }, linear: spec, terms: space.terms.length, minPositives: minPos },
      results: { devMAP: map, thresholdPolicy: ch.policy.name, devCvMicroF1: ch.cvF1, skipgramWordsPerSec: sgRate },
    },
    vectors: wv, space, linear,
  };
  saveTopicModel(o.out, model);
  log(`wrote ${o.out}`);
  return model;
}

/** `kiln topics train [--data FILE] --out DIR [--epochs N] [--sg-epochs N] [--dim D] [--terms N] [--resume]` */
export async function trainTopicsCli(args: string[], write: (s: string) => void): Promise<number> {
  const { flag, intFlag } = await import('../../cli/topics.ts');
  const out = flag(args, '--out');
  if (!out) throw new Error('kiln topics train: --out DIR is required (the shipped model is models/topics)');
  const sg: Partial<SkipGramOptions> = {};
  const e = intFlag(args, '--sg-epochs'); if (e) sg.epochs = e;
  const d = intFlag(args, '--dim'); if (d) sg.dim = d;
  const lin: Partial<LinearSpec> = { ...TOPICS_DEFAULTS.linear };
  const ce = intFlag(args, '--epochs'); if (ce) lin.epochs = ce;
  const t0 = Date.now();
  await trainTopics({ data: flag(args, '--data'), out, skipgram: sg, linear: lin, terms: intFlag(args, '--terms'), resume: args.includes('--resume'), log: (s) => write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}\n`) });
  return 0;
}

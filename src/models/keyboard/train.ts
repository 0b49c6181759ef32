// `kiln keyboard train`: the language side (lexicon + pruned Kneser-Ney trigram) and the LSTM-CTC
// spatial models, trained on generated touches of SOTU text (touch.ts) with kiln's ctcLoss on the
// GPU. Progress line per interval (step, loss, dev char error, steps/s, ETA); checkpoints resume.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as kiln from '../../index.ts';
import { sotuSentences, subtlexWords } from './corpus.ts';
import { buildLexiconEntries, lexiconText, saveNgramBinary, trainKeyboardLm } from './language.ts';
import { KeyboardLayout, defaultLayoutPath } from './layout.ts';
import { touchLines, type TouchLinesOptions, type WordItem } from './touch.ts';
import { FEATURES, KEYS, NUM_CLASSES, SpatialLstm, batchInputs, touchFeatures, type TouchKind } from './spatial.ts';
import { DEFAULT_DECODE, DEFAULT_MODEL_DIR, type KeyboardConfig } from './decoder.ts';

export interface SpatialTrainOptions {
  kind: TouchKind;
  steps: number;
  batch?: number;
  hidden?: number;
  layers?: number;
  lr?: number;
  seed?: number;
  /** Words to draw from (with repeats = frequency). */
  words: string[];
  layout: KeyboardLayout;
  /** Touch noise: tap spread drawn uniformly from this range per word (default [0.15, 0.45] key widths). */
  sigmaRange?: [number, number];
  checkpoint?: string;
  resume?: boolean;
  log?: (line: string) => void;
  /** Steps between progress lines (default 50). */
  every?: number;
}

/** CTC labels of a word for a kind of touch: keys, doubled letters collapsed for glides. */
export function ctcLabels(kind: TouchKind, word: string): number[] {
  let keys = [...word.toLowerCase()].filter((c) => KEYS.includes(c));
  if (kind === 'glide') keys = keys.filter((c, i) => i === 0 || keys[i - 1] !== c);
  return keys.map((c) => KEYS.indexOf(c) + 1);
}

function makeBatch(kind: TouchKind, words: string[], r: () => number, n: number, layout: KeyboardLayout, sigmaRange: [number, number], seed: number) {
  const items: WordItem[] = [];
  while (items.length < n) {
    const w = words[Math.floor(r() * words.length)];
    if (ctcLabels(kind, w).length) items.push({ id: String(items.length), word: w, context: [] });
  }
  const sigma = sigmaRange[0] + r() * (sigmaRange[1] - sigmaRange[0]);
  const opts: TouchLinesOptions = kind === 'tap' ? { kind, seed, sigma, layout } : { kind, seed, layout };
  const samples = touchLines(items, opts);
  const feats = samples.map((s) => touchFeatures(kind, 'taps' in s.line ? s.line.taps : s.line.glide, layout));
  // Taps learn the letter each tap was meant for (a spatial model: omitted letters are the
  // search's job, not something to hallucinate); glides learn the word's collapsed spelling.
  const labels = samples.map((s) => ctcLabels(kind, kind === 'tap' ? s.keys ?? s.word : s.word));
  // CTC needs T >= labels + repeats; drop the rare attempt too short for its word.
  const ok = feats.map((f, i) => { let need = labels[i].length; for (let j = 1; j < labels[i].length; j++) if (labels[i][j] === labels[i][j - 1]) need++; return f.T >= need; });
  const keep = feats.map((_, i) => i).filter((i) => ok[i]);
  const b = batchInputs(keep.map((i) => feats[i]));
  return { x: b.x, prior: b.prior, T: b.T, N: b.N, lens: b.lengths, labels: keep.map((i) => labels[i]) };
}

function editDistance(a: number[], b: number[]): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** Trains one spatial model; returns it with the last loss and the dev character error rate (greedy CTC). */
export async function trainSpatial(o: SpatialTrainOptions): Promise<{ model: SpatialLstm; loss: number; cer: number }> {
  await kiln.ready();
  const log = o.log ?? ((l: string) => console.log(l));
  const hidden = o.hidden ?? 64, layers = o.layers ?? 1, B = o.batch ?? 64, every = o.every ?? 50;
  const sigmaRange = o.sigmaRange ?? [0.15, 0.45];
  const model = new SpatialLstm({ kind: o.kind, hidden, layers }, o.seed ?? 1);
  const params = model.parameters();
  const opt = kiln.adam(o.lr ?? 0.01);
  let start = 0;
  if (o.resume && o.checkpoint && existsSync(o.checkpoint)) {
    const r = await kiln.loadCheckpoint(o.checkpoint, { variables: model.stateDict(), optimizer: opt });
    start = Number(r.metadata?.step ?? 0);
    log(`${o.kind}: resumed from ${o.checkpoint} at step ${start}`);
  }
  const dev = makeBatch(o.kind, o.words, kiln.rng(999), 256, o.layout, sigmaRange, 424242);
  const devCer = async () => {
    const lp = kiln.tidy(() => kiln.noGrad(() => model.forward(kiln.tensor(dev.x, [dev.T, dev.N, FEATURES]), kiln.tensor(dev.prior, [dev.T, dev.N, NUM_CLASSES]), dev.lens)));
    const got = await kiln.ctcGreedyDecode(lp, dev.lens);
    lp.dispose();
    let e = 0, n = 0;
    got.forEach((g, i) => { e += editDistance(g, dev.labels[i]); n += dev.labels[i].length; });
    return e / n;
  };
  const r = kiln.rng((o.seed ?? 1) * 7919 + start);
  const t0 = performance.now();
  let loss = NaN, cer = NaN;
  for (let step = start; step < o.steps; step++) {
    const b = makeBatch(o.kind, o.words, r, B, o.layout, sigmaRange, (o.seed ?? 1) * 100003 + step);
    const v = kiln.tidy(() => {
      const x = kiln.tensor(b.x, [b.T, b.N, FEATURES]);
      const prior = kiln.tensor(b.prior, [b.T, b.N, NUM_CLASSES]);
      const { value, grads } = kiln.variableGrads(() => kiln.ctcLoss(model.forward(x, prior, b.lens), b.labels, b.lens, b.labels.map((l) => l.length), { zeroInfinity: true }), params);
      opt.applyGradients(grads);
      return value;
    });
    loss = (await v.data())[0];
    v.dispose();
    if (!Number.isFinite(loss)) throw new Error(`kiln keyboard train (${o.kind}): loss became ${loss} at step ${step}; lower --lr`);
    if ((step + 1) % every === 0 || step + 1 === o.steps) {
      cer = await devCer();
      const done = step + 1 - start, rate = done / ((performance.now() - t0) / 1000);
      log(`${o.kind} step ${step + 1}/${o.steps}  ctc loss ${loss.toFixed(4)}  dev char error ${(100 * cer).toFixed(2)}%  ${rate.toFixed(2)} steps/s  ETA ${Math.round((o.steps - step - 1) / rate)} s`);
      if (o.checkpoint) await kiln.saveCheckpoint(o.checkpoint, { variables: model.stateDict(), optimizer: opt, metadata: { step: String(step + 1) } });
    }
  }
  opt.dispose();
  return { model, loss, cer };
}

/** Word tokens of the training text (SOTU train split), each occurrence once: sampling them is frequency-weighted. */
export function trainingWords(sents: string[][], max = 400000): string[] {
  const out: string[] = [];
  for (const s of sents) for (const w of s) if (/^[a-z']+$/.test(w) && out.length < max) out.push(w);
  return out;
}

export async function trainKeyboardCli(args: string[], write: (s: string) => void): Promise<number> {
  const val = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const out = val('--out') ?? DEFAULT_MODEL_DIR;
  const steps = Number(val('--steps') ?? 1500);
  const kinds = (val('--kinds') ?? 'tap,glide').split(',') as TouchKind[];
  for (const k of kinds) if (k !== 'tap' && k !== 'glide') throw new Error(`kiln keyboard train: --kinds takes tap and/or glide, got ${k}`);
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`kiln keyboard train: --steps must be a positive integer`);
  const log = (l: string) => write(l + '\n');
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const sotu = sotuSentences();
  const cfgPath = join(out, 'config.json');
  const config: KeyboardConfig = existsSync(cfgPath) ? JSON.parse(readFileSync(cfgPath, 'utf8')) : { format: 'kiln-keyboard', version: 1, layout: 'qwerty.json', lexicon: 'lexicon.tsv', lm: 'lm.bin', spatial: {}, decode: DEFAULT_DECODE };
  if (!args.includes('--spatial-only')) {
    log(`language: lexicon from subtlex + contractions, Kneser-Ney trigram on ${sotu.trainFiles.length} SOTU addresses (${sotu.heldOutFiles.length} held out)`);
    const lex = buildLexiconEntries(subtlexWords(), sotu.train, Number(val('--lexicon-size') ?? 60000));
    writeFileSync(join(out, 'lexicon.tsv'), lexiconText(lex));
    const lm = trainKeyboardLm(sotu.train);
    saveNgramBinary(lm, join(out, 'lm.bin'));
    if (join(out, 'qwerty.json') !== defaultLayoutPath()) copyFileSync(defaultLayoutPath(), join(out, 'qwerty.json'));
    log(`language: ${lex.length} words, n-grams ${lm.grams.map((g) => g.size).join('/')} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  if (!args.includes('--language-only')) {
    const layout = KeyboardLayout.load(join(out, config.layout));
    const words = trainingWords(sotu.train);
    for (const kind of kinds) {
      const ckpt = join(out, `${kind}.ckpt.safetensors`);
      const { model, cer } = await trainSpatial({ kind, steps, words, layout, checkpoint: ckpt, resume: args.includes('--resume'), log, hidden: Number(val('--hidden') ?? 64), seed: Number(val('--seed') ?? 1) });
      const file = `${kind}.safetensors`;
      writeFileSync(join(out, file), await kiln.saveTensors(model.stateDict(), { kind, cer: String(cer) }));
      config.spatial[kind] = { file, kind, hidden: model.config.hidden, layers: model.config.layers };
      model.dispose();
      log(`${kind}: saved ${join(out, file)} (dev char error ${(100 * cer).toFixed(2)}%)`);
    }
  }
  writeFileSync(cfgPath, JSON.stringify(config, null, 2) + '\n');
  log(`wrote ${cfgPath} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}


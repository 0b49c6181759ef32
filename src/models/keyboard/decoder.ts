// The keyboard decoder as a library object: touches -> spatial model frames (GPU LSTM or the
// Gaussian baseline) -> CTC x lexicon x LM search (src/decode) -> corrections, completions and
// next-word predictions. One JSON line in, one JSON line out (touch format: models/keyboard/README.md).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from '../../index.ts';
import { LexiconTrie } from '../../decode/lexicon_trie.ts';
import { NgramWordLm } from '../../decode/lm.ts';
import { decodeCtcLexicon, type DecodedWord } from '../../decode/ctc_lexicon.ts';
import { loadNgramBinary, parseLexicon, type LexiconEntry } from './language.ts';
import { KEYS, NUM_CLASSES, SpatialLstm, checkPoints, gaussianFrames, touchFeatures, type LayoutLike, type SpatialConfig, type TouchKind } from './spatial.ts';

/** The shipped model: models/keyboard in the repo (this module is src/models/keyboard/*.ts, or bundled into dist/node/*.js). */
export const DEFAULT_MODEL_DIR = ['../../../models/keyboard', '../../models/keyboard']
  .map((p) => fileURLToPath(new URL(p, import.meta.url)))
  .find((p) => existsSync(join(p, 'config.json'))) ?? fileURLToPath(new URL('../../../models/keyboard', import.meta.url));

export interface DecodeSettings {
  beamWidth: number;
  lmWeight: number;
  omissionCost: number;
  skipFrameCost: number;
  /** Cost of two adjacent keys typed in swapped order (taps; absent = not searched). */
  swapCost?: number;
  /** Mixture weight of the n-gram LM against the lexicon unigram. */
  lambda: number;
  /** Scale of the LSTM's frame log-probabilities (CTC posteriors are over-confident; the Gaussian's are not scaled). */
  acousticScale?: number;
}

export interface KeyboardConfig {
  format: 'kiln-keyboard';
  version: 1;
  layout: string;
  lexicon: string;
  lm: string;
  /**
   * Spatial models by touch kind: a safetensors file and its shape; absent = the Gaussian baseline.
   * `preferred: false` ships the model but decodes with the baseline unless asked (--spatial lstm),
   * for a kind where the LSTM did not beat the baseline on the dev set.
   */
  spatial: Partial<Record<TouchKind, { file: string; preferred?: boolean } & SpatialConfig>>;
  decode: Record<TouchKind, DecodeSettings>;
}

export const DEFAULT_DECODE: Record<TouchKind, DecodeSettings> = {
  tap: { beamWidth: 16, lmWeight: 1.2, omissionCost: 4.5, skipFrameCost: 7, swapCost: 4, lambda: 0.8 },
  glide: { beamWidth: 24, lmWeight: 1, omissionCost: 9, skipFrameCost: 9, lambda: 0.5 },
};

export interface TouchLine {
  id?: unknown;
  context?: unknown;
  taps?: unknown;
  glide?: unknown;
  prefix?: unknown;
}

export interface DecodeOutput {
  id: unknown;
  words?: string[];
  scores?: number[];
  predictions?: string[];
  error?: string;
}

export type SpatialChoice = 'lstm' | 'gaussian';

export class KeyboardDecoder {
  readonly tapTrie: LexiconTrie;
  readonly glideTrie: LexiconTrie;
  private readonly lms = new Map<number, NgramWordLm>();

  private constructor(
    readonly config: KeyboardConfig,
    readonly layout: LayoutLike,
    readonly lexicon: LexiconEntry[],
    readonly model: kiln.fst.NgramModel,
    readonly spatial: Partial<Record<TouchKind, SpatialLstm>>,
    readonly use: SpatialChoice,
  ) {
    const total = lexicon.reduce((a, e) => a + e.count, 0);
    this.tapTrie = new LexiconTrie({ keys: KEYS });
    this.glideTrie = new LexiconTrie({ keys: KEYS, collapseRepeats: true });
    for (const e of lexicon) {
      const cost = -Math.log(e.count / total);
      this.tapTrie.add(e.word, cost);
      this.glideTrie.add(e.word, cost);
    }
  }

  /**
   * Loads a model folder (default the shipped one). `spatial`: 'gaussian' uses the baseline even
   * where an LSTM is shipped, 'lstm' the LSTM wherever one is shipped; default: each kind's preferred.
   */
  static async load(dir = DEFAULT_MODEL_DIR, opts: { spatial?: SpatialChoice } = {}): Promise<KeyboardDecoder> {
    const cfgPath = join(dir, 'config.json');
    if (!existsSync(cfgPath)) throw new Error(`kiln keyboard: no model at ${dir} (config.json missing); train one with \`kiln keyboard train --out ${dir}\``);
    const config = JSON.parse(readFileSync(cfgPath, 'utf8')) as KeyboardConfig;
    if (config.format !== 'kiln-keyboard' || config.version !== 1) throw new Error(`kiln keyboard: ${cfgPath} is not a kiln keyboard model (format ${config.format}, version ${config.version})`);
    config.decode = { tap: { ...DEFAULT_DECODE.tap, ...config.decode?.tap }, glide: { ...DEFAULT_DECODE.glide, ...config.decode?.glide } };
    const layout = JSON.parse(readFileSync(join(dir, config.layout), 'utf8')) as LayoutLike;
    const lexicon = parseLexicon(readFileSync(join(dir, config.lexicon), 'utf8'), join(dir, config.lexicon));
    const model = loadNgramBinary(join(dir, config.lm));
    const use = opts.spatial ?? 'lstm';
    const spatial: Partial<Record<TouchKind, SpatialLstm>> = {};
    if (use === 'lstm') {
      for (const kind of ['tap', 'glide'] as const) {
        const s = config.spatial?.[kind];
        if (!s || (opts.spatial === undefined && s.preferred === false)) continue;
        await kiln.ready();
        const m = new SpatialLstm({ kind, hidden: s.hidden, layers: s.layers });
        const tensors = kiln.loadTensors(readFileSync(join(dir, s.file)));
        const r = m.loadStateDict(tensors);
        kiln.dispose(Object.values(tensors));
        void r;
        spatial[kind] = m;
      }
    }
    return new KeyboardDecoder(config, layout, lexicon, model, spatial, use);
  }

  /** Which spatial model decodes `kind`. */
  spatialFor(kind: TouchKind): 'lstm' | 'gaussian' {
    return this.spatial[kind] ? 'lstm' : 'gaussian';
  }

  lm(kind: TouchKind): NgramWordLm {
    const lambda = this.config.decode[kind].lambda;
    let lm = this.lms.get(lambda);
    if (!lm) this.lms.set(lambda, (lm = new NgramWordLm(this.model, { lambda })));
    return lm;
  }

  /** Adds a word to the user dictionary (both tries); `count` in the lexicon's units (default: a mid-frequency word). */
  addUserWord(word: string, count = 1000): void {
    const total = this.lexicon.reduce((a, e) => a + e.count, 0);
    const cost = -Math.log(count / total);
    this.tapTrie.add(word, cost);
    this.glideTrie.add(word, cost);
  }

  /** The k likeliest next words after a context. */
  predict(context: readonly string[], k = 3): string[] {
    return this.lm('tap').predict(context, k, this.tapTrie).map((p) => p.word);
  }

  /** Validates one parsed line; returns its kind and points or throws a message. */
  parse(line: TouchLine): { kind: TouchKind; pts: number[][]; context: string[]; prefix: boolean } {
    if (typeof line !== 'object' || line === null || Array.isArray(line)) throw new Error('a line must be a JSON object');
    const hasTaps = line.taps !== undefined, hasGlide = line.glide !== undefined;
    if (hasTaps === hasGlide) throw new Error(hasTaps ? 'a line has both "taps" and "glide"; give one' : 'a line needs "taps" or "glide"');
    const kind: TouchKind = hasTaps ? 'tap' : 'glide';
    const pts = checkPoints(kind, hasTaps ? line.taps : line.glide, this.layout);
    if (kind === 'glide' && pts.length < 2) throw new Error('"glide" needs at least 2 samples');
    const ctx = line.context ?? [];
    if (!Array.isArray(ctx) || ctx.some((w) => typeof w !== 'string')) throw new Error('"context" must be an array of words (strings)');
    if (line.prefix !== undefined && typeof line.prefix !== 'boolean') throw new Error('"prefix" must be true or false');
    return { kind, pts, context: (ctx as string[]).flatMap((w) => w.trim().split(/\s+/)).filter(Boolean), prefix: line.prefix === true };
  }

  /** Decodes parsed lines (batched through the spatial model); errors become error lines. */
  async decodeLines(lines: (TouchLine | Error)[], k = 5): Promise<DecodeOutput[]> {
    const parsed = lines.map((l) => {
      if (l instanceof Error) return l;
      try { return this.parse(l); } catch (e) { return e as Error; }
    });
    const frames: ({ frames: ArrayLike<number>; T: number } | null)[] = parsed.map(() => null);
    for (const kind of ['tap', 'glide'] as const) {
      const idx = parsed.map((p, i) => (!(p instanceof Error) && p.kind === kind ? i : -1)).filter((i) => i >= 0);
      if (!idx.length) continue;
      const m = this.spatial[kind];
      if (m) {
        for (let b = 0; b < idx.length; b += 256) {
          const chunk = idx.slice(b, b + 256);
          const feats = chunk.map((i) => { const p = parsed[i] as { kind: TouchKind; pts: number[][] }; return touchFeatures(kind, p.pts, this.layout); });
          const fr = await m.frames(feats);
          chunk.forEach((i, j) => { frames[i] = { frames: fr[j], T: feats[j].T }; });
        }
      } else for (const i of idx) { const p = parsed[i] as { pts: number[][] }; frames[i] = gaussianFrames(kind, p.pts, this.layout); }
    }
    return parsed.map((p, i) => {
      const id = lines[i] instanceof Error ? (lines[i] as Error & { id?: unknown }).id ?? null : (lines[i] as TouchLine).id ?? null;
      if (p instanceof Error) return { id, error: p.message };
      try {
        const f = frames[i]!;
        const got = this.search(p.kind, f.frames, f.T, p.context, p.prefix, k);
        const out: DecodeOutput = { id, words: got.map((g) => g.word), scores: got.map((g) => Math.round(g.score * 1e4) / 1e4) };
        out.predictions = got.length ? this.predict([...p.context, got[0].word], Math.min(k, 3)) : this.predict(p.context, Math.min(k, 3));
        return out;
      } catch (e) {
        return { id, error: (e as Error).message };
      }
    });
  }

  /** The search on one input's frames. */
  search(kind: TouchKind, frames: ArrayLike<number>, T: number, context: string[], prefix: boolean, k: number): DecodedWord[] {
    const s = this.config.decode[kind];
    const trie = kind === 'tap' ? this.tapTrie : this.glideTrie;
    const opts = { beamWidth: s.beamWidth, lmWeight: s.lmWeight, lm: this.lm(kind), context, topK: k, prefix, omissionCost: s.omissionCost, skipFrameCost: s.skipFrameCost, swapCost: s.swapCost };
    const scale = this.spatial[kind] ? s.acousticScale ?? 1 : 1;
    if (scale !== 1) frames = Float32Array.from(frames as ArrayLike<number>, (v) => v * scale);
    let got = decodeCtcLexicon(frames, T, NUM_CLASSES, trie, opts);
    if (!got.length) got = decodeCtcLexicon(frames, T, NUM_CLASSES, trie, { ...opts, beamWidth: 4 * s.beamWidth, threshold: Infinity, omissionCost: s.omissionCost / 2, skipFrameCost: s.skipFrameCost / 2 });
    return got;
  }

  dispose(): void {
    for (const m of Object.values(this.spatial)) m?.dispose();
  }
}

// The keyboard decoder as a library object: touches -> spatial model frames (GPU LSTM or the
// Gaussian baseline) -> CTC x lexicon x LM search (src/decode) -> corrections, completions and
// next-word predictions. One JSON line in, one JSON line out (touch format: models/keyboard/README.md).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kiln from '../../index.ts';
import { LexiconTrie } from '../../decode/lexicon_trie.ts';
import { LanguageMixtureLm, NgramWordLm, lexiconOnly, type WordLm } from '../../decode/lm.ts';
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
  /** Second languages typed on the same keys (multilingual decoding; see MultilingualSettings). */
  multilingual?: Partial<Record<'hi', Partial<MultilingualSettings>>>;
}

/** A second language in the decode: its words typed by their romanisations. */
export interface MultilingualSettings {
  /** Most likely words of the language kept (default 20000). */
  words: number;
  /** Romanised spellings per word (default 4). */
  spellings: number;
  /** Prior probability that a word is in this language when the context says nothing (default 0.3; English gets the rest). */
  prior: number;
  /** Probability that a word is in the same language as the word before it (default 0.8). */
  stay: number;
}

export const DEFAULT_MULTILINGUAL: MultilingualSettings = { words: 20000, spellings: 4, prior: 0.3, stay: 0.8 };

/** The languages a decoder can type: English (the model's lexicon and LM) and romanised Hindi. */
export type Language = 'en' | 'hi';

/** One decoder trie and LM per touch kind over several languages' words. */
interface Multi {
  langs: Language[];
  /** Language index of each trie word id (0 = English). */
  langOf: number[];
  tries: Record<TouchKind, LexiconTrie>;
  lms: Map<TouchKind, LanguageMixtureLm>;
  settings: MultilingualSettings;
  hindiTop: { word: string; cost: number }[];
}

const DEVANAGARI = /[\u0900-\u097F]/;

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
  /** With several languages: the language of each of `words` ("en", "hi"). */
  langs?: string[];
  error?: string;
}

export type SpatialChoice = 'lstm' | 'gaussian';

export class KeyboardDecoder {
  readonly tapTrie: LexiconTrie;
  readonly glideTrie: LexiconTrie;
  private readonly lms = new Map<number, NgramWordLm>();
  private multi: Multi | null = null;

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
  static async load(dir = DEFAULT_MODEL_DIR, opts: { spatial?: SpatialChoice; languages?: readonly string[] } = {}): Promise<KeyboardDecoder> {
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
    const dec = new KeyboardDecoder(config, layout, lexicon, model, spatial, use);
    if (opts.languages && !(opts.languages.length === 1 && opts.languages[0] === 'en')) await dec.setLanguages(opts.languages);
    return dec;
  }

  /** The languages decoded (['en'] unless setLanguages added one). */
  get languages(): Language[] { return this.multi?.langs ?? ['en']; }

  /**
   * Decodes several languages at once, e.g. ['en', 'hi']: Hindi words (Devanagari) typed by their
   * romanisations on the same keys, in one search with English, each result tagged with its
   * language (`langs`). ['en'] goes back to English alone.
   */
  async setLanguages(languages: readonly string[]): Promise<void> {
    const known: Language[] = ['en', 'hi'];
    const bad = languages.find((l) => !known.includes(l as Language));
    if (bad !== undefined) throw new Error(`kiln keyboard: language ${JSON.stringify(bad)} is not supported (supported: ${known.join(', ')})`);
    if (!languages.includes('en')) throw new Error(`kiln keyboard: the languages must include en (the model's own lexicon and LM), got ${languages.join(',')}`);
    const langs = [...new Set(['en', ...languages])] as Language[];
    if (langs.length === 1) { this.multi = null; return; }
    const settings = { ...DEFAULT_MULTILINGUAL, ...this.config.multilingual?.hi };
    const { loadHindi } = await import('./hindi.ts');
    // Each word's cost (its cheapest spelling) normalised over the Hindi words to a unigram distribution.
    const best = loadHindi().romanSpellings(settings.words, settings.spellings);
    const m = Math.min(...best.map((b) => b.cost));
    const logZ = m - Math.log(best.reduce((a, b) => a + Math.exp(-(b.cost - m)), 0));
    const tries = {} as Record<TouchKind, LexiconTrie>;
    const langOf: number[] = [];
    for (const kind of ['tap', 'glide'] as const) {
      const src = kind === 'tap' ? this.tapTrie : this.glideTrie;
      const t = src.clone();
      for (let id = 0; id < src.words.length; id++) langOf[id] = 0;
      for (const b of best) {
        const id = t.add(b.word, b.cost - logZ, b.spellings);
        langOf[id] = 1;
      }
      tries[kind] = t;
    }
    const hindiTop = best.slice(0, 50).map((b) => ({ word: b.word, cost: b.cost - logZ }));
    this.multi = { langs, langOf, tries, lms: new Map(), settings, hindiTop };
  }

  private mixtureLm(kind: TouchKind): LanguageMixtureLm {
    const mu = this.multi!;
    let lm = mu.lms.get(kind);
    if (!lm) {
      const hindi: WordLm = { scorer: lexiconOnly.scorer, predict: (_c, k) => mu.hindiTop.slice(0, k) };
      lm = new LanguageMixtureLm(
        [{ name: 'en', lm: this.lm(kind), prior: 1 - mu.settings.prior, trie: this.tapTrie }, { name: 'hi', lm: hindi, prior: mu.settings.prior }],
        (id) => mu.langOf[id] ?? -1,
        { stay: mu.settings.stay, languageOfWord: (w) => (DEVANAGARI.test(w) ? 1 : 0) },
      );
      mu.lms.set(kind, lm);
    }
    return lm;
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
    if (this.multi) for (const t of Object.values(this.multi.tries)) this.multi.langOf[t.add(word, cost)] ??= 0;
  }

  /** The k likeliest next words after a context (in every decoded language). */
  predict(context: readonly string[], k = 3): string[] {
    if (this.multi) return this.mixtureLm('tap').predict(context, k).map((p) => p.word);
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
        if (this.multi) out.langs = got.map((g) => this.languageOfWord(p.kind, g.word));
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
    const trie = this.multi ? this.multi.tries[kind] : kind === 'tap' ? this.tapTrie : this.glideTrie;
    const opts = { beamWidth: s.beamWidth, lmWeight: s.lmWeight, lm: this.multi ? this.mixtureLm(kind) : this.lm(kind), context, topK: k, prefix, omissionCost: s.omissionCost, skipFrameCost: s.skipFrameCost, swapCost: s.swapCost };
    const scale = this.spatial[kind] ? s.acousticScale ?? 1 : 1;
    if (scale !== 1) frames = Float32Array.from(frames as ArrayLike<number>, (v) => v * scale);
    let got = decodeCtcLexicon(frames, T, NUM_CLASSES, trie, opts);
    if (!got.length) got = decodeCtcLexicon(frames, T, NUM_CLASSES, trie, { ...opts, beamWidth: 4 * s.beamWidth, threshold: Infinity, omissionCost: s.omissionCost / 2, skipFrameCost: s.skipFrameCost / 2 });
    return got;
  }

  /** ln P(language | context) of the multilingual LM, one per language (['en'] alone: [0]). */
  lmLanguageLogProbs(context: readonly string[]): number[] {
    return this.multi ? this.mixtureLm('tap').languageLogProbs(context) : [0];
  }

  /** The language tag ("en", "hi") of a decoded word. */
  languageOfWord(kind: TouchKind, word: string): string {
    if (!this.multi) return 'en';
    const id = this.multi.tries[kind].wordId(word);
    return this.multi.langs[this.multi.langOf[id] ?? 0] ?? 'en';
  }

  dispose(): void {
    for (const m of Object.values(this.spatial)) m?.dispose();
  }
}

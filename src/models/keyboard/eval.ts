// `kiln keyboard eval`: the three decoders side by side on the same generated touches of held-out
// SOTU text: (a) nearest-key literal, (b) the per-key Gaussian spatial model + lexicon + LM (the
// Gboard post's "before"), (c) the LSTM-CTC spatial model + the same search. Word accuracy top-1 /
// top-3, next-word top-3, and search latency per word (median, p95).
import { sotuSentences } from './corpus.ts';
import { KeyboardDecoder, type DecodeOutput } from './decoder.ts';
import { touchLines, type TouchSample, type WordItem } from './touch.ts';
import { KeyboardLayout } from './layout.ts';
import { rng } from '../../util/numeric.ts';

export interface EvalRow { decoder: string; kind: string; words: number; top1: number; top3: number; msMedian: number; msP95: number }

/** Test words with their two-word context from held-out sentences (letters and apostrophes only). */
export function testWords(sents: string[][], n: number, seed: number, minLen = 1): WordItem[] {
  const r = rng(seed);
  const out: WordItem[] = [];
  for (let guard = 0; out.length < n && guard < 50 * n; guard++) {
    const s = sents[Math.floor(r() * sents.length)];
    const j = Math.floor(r() * s.length);
    const w = s[j];
    if (!/^[a-z']+$/.test(w) || w.replace(/'/g, '').length < minLen) continue;
    out.push({ id: `w${out.length}`, word: w, context: s.slice(Math.max(0, j - 2), j) });
  }
  return out;
}

function nearestKeyLiteral(layout: KeyboardLayout, s: TouchSample): string {
  const pts = 'taps' in s.line ? s.line.taps : s.line.glide;
  return pts.map((p) => layout.nearestKey(p[0], p[1]).key).join('');
}

const pct = (x: number) => (100 * x).toFixed(1);

async function timed(dec: KeyboardDecoder, samples: TouchSample[]): Promise<{ outs: DecodeOutput[]; ms: number[] }> {
  const outs: DecodeOutput[] = [];
  const ms: number[] = [];
  for (const s of samples) {
    const t0 = performance.now();
    outs.push((await dec.decodeLines([s.line], 5))[0]);
    ms.push(performance.now() - t0);
  }
  return { outs, ms };
}

function score(name: string, kind: string, samples: TouchSample[], guesses: string[][], ms: number[]): EvalRow {
  let top1 = 0, top3 = 0;
  samples.forEach((s, i) => {
    const g = guesses[i].map((w) => w.toLowerCase());
    if (g[0] === s.word) top1++;
    if (g.slice(0, 3).includes(s.word)) top3++;
  });
  const sorted = [...ms].sort((a, b) => a - b);
  return { decoder: name, kind, words: samples.length, top1: top1 / samples.length, top3: top3 / samples.length, msMedian: sorted[sorted.length >> 1] ?? 0, msP95: sorted[Math.floor(sorted.length * 0.95)] ?? 0 };
}

/**
 * Keystroke savings with `k` suggestions: before each letter the user looks at the suggestions
 * (next-word predictions before the first letter, completions of the noisy prefix after) and taps
 * the word when it is there (one keystroke, the space included); otherwise types on. Savings =
 * 1 - keystrokes / (letters + 1 space), over all words.
 */
export async function keystrokeSavings(dec: KeyboardDecoder, words: WordItem[], layout: KeyboardLayout, seed: number, k = 3): Promise<{ savings: number; nextWordTop3: number }> {
  let typed = 0, needed = 0, next = 0;
  for (const [wi, w] of words.entries()) {
    const letters = [...w.word];
    needed += letters.length + 1;
    const pred = dec.predict(w.context, k);
    if (pred.includes(w.word)) { next++; typed += 1; continue; }
    let cost = letters.length + 1;
    const taps = touchLines([{ id: 'k', word: w.word, context: w.context }], { kind: 'tap', seed: seed * 7 + wi, layout, pOmit: 0, pDouble: 0, pSwap: 0 })[0].line as { taps: number[][] };
    for (let i = 1; i < letters.length; i++) {
      const out = (await dec.decodeLines([{ id: 'k', context: w.context, taps: taps.taps.slice(0, i), prefix: true }], k))[0];
      if ((out.words ?? []).slice(0, k).map((x) => x.toLowerCase()).includes(w.word)) { cost = i + 1; break; }
    }
    typed += cost;
  }
  return { savings: 1 - typed / needed, nextWordTop3: next / words.length };
}

/**
 * English and romanised Hindi in one decode (--lang en,hi): the English tap words again (what the
 * second language costs English), and Hindi words drawn by their prior, each typed as one of its
 * romanisations (drawn by exp(-extra cost): people type loosely), scored on the Devanagari word
 * and on the language tag.
 */
export async function multilingualRows(model: string | undefined, english: TouchSample[], n: number, seed: number, sigma: number, layout: KeyboardLayout): Promise<{ rows: EvalRow[]; tagAccuracy: { en: number; hi: number } }> {
  const dec = await KeyboardDecoder.load(model, { spatial: 'gaussian', languages: ['en', 'hi'] });
  const { loadHindi } = await import('./hindi.ts');
  const words = loadHindi().romanSpellings(5000, 4);
  const r = rng(seed * 3 + 11);
  const m = Math.min(...words.map((w) => w.cost));
  const cum: number[] = [];
  words.reduce((a, w, i) => (cum[i] = a + Math.exp(-(w.cost - m))), 0);
  const pick = <T,>(xs: T[], cdf: number[]) => { const u = r() * cdf[cdf.length - 1]; let i = 0; while (cdf[i] < u) i++; return xs[i]; };
  const items: WordItem[] = [], truth: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = pick(words, cum);
    const sc: number[] = [];
    w.spellings.reduce((a, x, j) => (sc[j] = a + Math.exp(-x.extra)), 0);
    items.push({ id: `h${i}`, word: pick(w.spellings, sc).keys, context: [] });
    truth.push(w.word);
  }
  const hindi = touchLines(items, { kind: 'tap', seed: seed + 5, sigma, layout }).map((smp, i) => ({ ...smp, word: truth[i] }));
  const rows: EvalRow[] = [];
  // Baseline: the nearest key of each tap, then the transliterator on that literal string.
  const hi = loadHindi();
  rows.push(score('nearest-key + translit', 'tap hi', hindi, hindi.map((smp) => { const lit = nearestKeyLiteral(layout, smp).replace(/[^a-z]/g, ''); return lit ? hi.translit(lit, 3).map((x) => x.word) : []; }), hindi.map(() => 0)));
  const e = await timed(dec, english);
  rows.push(score('gaussian, en+hi at once', 'tap en', english, e.outs.map((o) => o.words ?? []), e.ms));
  const h = await timed(dec, hindi);
  rows.push(score('gaussian, en+hi at once', 'tap hi', hindi, h.outs.map((o) => o.words ?? []), h.ms));
  const tagAcc = (outs: DecodeOutput[], want: string) => outs.filter((o) => o.langs?.[0] === want).length / Math.max(1, outs.length);
  const tagAccuracy = { en: tagAcc(e.outs, 'en'), hi: tagAcc(h.outs, 'hi') };
  dec.dispose();
  return { rows, tagAccuracy };
}

export async function evalKeyboardCli(args: string[], write: (s: string) => void): Promise<number> {
  const val = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const n = Number(val('--words') ?? 300), seed = Number(val('--seed') ?? 2026), sigma = Number(val('--sigma') ?? 0.3);
  const model = val('--model');
  const held = sotuSentences().heldOut;
  const lstm = await KeyboardDecoder.load(model, { spatial: 'lstm' });
  const gauss = await KeyboardDecoder.load(model, { spatial: 'gaussian' });
  const preferred = await KeyboardDecoder.load(model);
  const layout = KeyboardLayout.load();
  const rows: EvalRow[] = [];
  let multi: Awaited<ReturnType<typeof multilingualRows>> | null = null;
  const langs = (val('--lang') ?? 'en').split(',');
  for (const kind of ['tap', 'glide'] as const) {
    const words = testWords(held, n, seed + (kind === 'glide' ? 1 : 0), kind === 'glide' ? 3 : 1);
    const samples = touchLines(words, kind === 'tap' ? { kind, seed, sigma, layout } : { kind, seed, layout });
    if (kind === 'tap' && langs.includes('hi')) multi = await multilingualRows(model, samples, n, seed, sigma, layout);
    const lit = samples.map((s) => [nearestKeyLiteral(layout, s)]);
    rows.push(score('nearest-key literal', kind, samples, lit, samples.map(() => 0)));
    const g = await timed(gauss, samples);
    rows.push(score('gaussian + lexicon + LM', kind, samples, g.outs.map((o) => o.words ?? []), g.ms));
    if (lstm.spatialFor(kind) === 'lstm') {
      const l = await timed(lstm, samples);
      rows.push(score('lstm-ctc + lexicon + LM', kind, samples, l.outs.map((o) => o.words ?? []), l.ms));
    }
  }
  const ksWords = testWords(held, Math.min(n, 200), seed + 2);
  const ks = await keystrokeSavings(preferred, ksWords, layout, seed);
  if (multi) rows.push(...multi.rows);
  if (args.includes('--json')) write(JSON.stringify({ words: n, seed, sigma, rows, keystrokeSavings: ks.savings, nextWordTop3: ks.nextWordTop3, spatial: preferred.spatialFor('tap'), languageTagAccuracy: multi?.tagAccuracy }, null, 2) + '\n');
  else {
    write(`keyboard eval: ${n} words per kind from held-out SOTU addresses, tap sigma ${sigma} key widths, seed ${seed}\n`);
    write(`${'decoder'.padEnd(26)} ${'kind'.padEnd(6)} ${'top-1'.padStart(6)} ${'top-3'.padStart(6)} ${'ms med'.padStart(7)} ${'ms p95'.padStart(7)}\n`);
    for (const r of rows) write(`${r.decoder.padEnd(26)} ${r.kind.padEnd(6)} ${pct(r.top1).padStart(6)} ${pct(r.top3).padStart(6)} ${r.msMedian.toFixed(2).padStart(7)} ${r.msP95.toFixed(2).padStart(7)}\n`);
    if (multi) write(`en+hi at once: top-1 word tagged with the right language: en ${pct(multi.tagAccuracy.en)}%, hi ${pct(multi.tagAccuracy.hi)}% (Hindi words drawn by their prior, typed as one of their romanisations, no context)\n`);
    write(`keystroke savings with 3 suggestions (${ksWords.length} words, ${preferred.spatialFor('tap')} taps, the default): ${pct(ks.savings)}%; next-word top-3: ${pct(ks.nextWordTop3)}%\n`);
  }
  for (const d of [lstm, gauss, preferred]) d.dispose();
  return 0;
}

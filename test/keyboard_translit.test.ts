// Romanised Hindi -> Devanagari (`kiln keyboard translit --lang hi`, src/models/keyboard/hindi.ts):
// common words in loose spellings, the romanisations round trip, the romanised lexicon, case,
// errors, and the shipped data files (models/keyboard/hi) parsing with no bad line.
import './setup.ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { keyboardCli } from '../src/cli/keyboard.ts';
import { DEFAULT_HINDI_DIR, Hindi, loadHindi, parseHindiRules, parseHindiWords } from '../src/models/keyboard/hindi.ts';

const t = suite('keyboard_translit');
const hi = () => loadHindi();
const top = (roman: string, k = 3) => hi().translit(roman, k).map((g) => g.word);

t('daanth and daant give दांत top-1 (the issue\'s example)', () => {
  for (const r of ['daanth', 'daant', 'DAANT', 'Daant']) assert.is(top(r)[0], 'दांत', r);
  assert.ok(top('daant', 5).includes('दाँत'), 'the candrabindu spelling is offered too');
});

// Loose spellings as typed on a phone; all measured top-1 except where marked (honest: the prior has
// no real frequencies, so भरत, a name, edges out भारत for "bharat", and में out of Firefox's UI text
// outranks मैं for "main").
const TOP1: [string, string][] = [
  ['namaste', 'नमस्ते'], ['namasteh', 'नमस्ते'], ['pani', 'पानी'], ['paani', 'पानी'], ['ghar', 'घर'], ['gar', 'घर'],
  ['dil', 'दिल'], ['kitab', 'किताब'], ['kitaab', 'किताब'], ['pyar', 'प्यार'], ['pyaar', 'प्यार'], ['kal', 'कल'],
  ['kamal', 'कमल'], ['kml', 'कमल'], ['hai', 'है'], ['hain', 'हैं'], ['mein', 'में'], ['kya', 'क्या'], ['bahut', 'बहुत'],
  ['accha', 'अच्छा'], ['achha', 'अच्छा'], ['ladka', 'लड़का'], ['ladki', 'लड़की'], ['hum', 'हम'], ['tum', 'तुम'],
  ['nahin', 'नहीं'], ['nahi', 'नहीं'], ['khana', 'खाना'], ['dost', 'दोस्त'], ['duniya', 'दुनिया'], ['zaroor', 'ज़रूर'],
  ['jaroor', 'जरूर'], ['gyan', 'ज्ञान'], ['shukriya', 'शुक्रिया'], ['dhanyavad', 'धन्यवाद'], ['kehna', 'कहना'],
  ['zindagi', 'ज़िंदगी'], ['bhArat', 'भारत'], ['bhaarat', 'भारत'], ['tumhe', 'तुम्हें'],
];
const TOP3: [string, string][] = [['bharat', 'भारत'], ['main', 'मैं'], ['bacha', 'बच्चा'], ['kamra', 'कमरा'], ['gadi', 'गाड़ी'], ['prem', 'प्रेम']];

t('common words in loose spellings: top-1 (and a few honest top-3)', () => {
  for (const [r, w] of TOP1) assert.is(top(r)[0], w, `${r} -> ${top(r).join(' ')}`);
  for (const [r, w] of TOP3) assert.ok(top(r).includes(w), `${r} -> ${top(r).join(' ')} (want ${w})`);
  const h = top('hindi');
  assert.ok(h[0] === 'हिन्दी' || h[0] === 'हिंदी', `hindi -> ${h.join(' ')}`);
  assert.ok(h.includes('हिन्दी') && h.includes('हिंदी'), 'both spellings of the word list are offered');
});

t('results: best first, distinct, Devanagari, at most k; a spelling not in the list still gets the rules\' own', () => {
  const r = hi().translit('daant', 5);
  assert.ok(r.length <= 5 && r.length >= 2);
  for (let i = 1; i < r.length; i++) assert.ok(r[i - 1].cost <= r[i].cost, 'sorted by cost');
  assert.is(new Set(r.map((x) => x.word)).size, r.length, 'distinct words');
  for (const x of r) assert.match(x.word, /^[\u0900-\u097F]+$/u);
  assert.equal(top('ghrtpl', 5), ['घ्र्त्प्ल'], 'no word is close: the ITRANS reading alone');
  assert.is(top('kamal', 1).length, 1);
});

t('romanisations: cheapest first, lowercase a-z, and they transliterate back (top-3) for a sample of the word list', () => {
  const h = hi();
  const d = h.romanisations('दांत', 4).map((r) => r.roman);
  assert.ok(d.includes('daant') && d.includes('dant'), d.join(' '));
  assert.is(h.romanisations('नमस्ते', 1)[0].roman, 'namaste');
  assert.is(h.romanisations('कमल', 1)[0].roman, 'kamal');
  const sample = h.words.filter((_, i) => i % 200 === 0);
  let back = 0;
  const missed: string[] = [];
  for (const { word } of sample) {
    const rs = h.romanisations(word, 3);
    assert.ok(rs.length >= 1, `${word} has a spelling`);
    for (let i = 0; i < rs.length; i++) {
      assert.match(rs[i].roman, /^[a-z]+$/);
      if (i) assert.ok(rs[i - 1].cost <= rs[i].cost);
    }
    if (h.translit(rs[0].roman, 3).some((g) => g.word === word)) back++; else missed.push(`${word} ${rs[0].roman}`);
  }
  // measured: 299 of 300 (ढुँढनी, with a short u, comes back as ढूंढनी ढूँढनी ढूँढ़नी)
  assert.ok(back / sample.length >= 0.97, `${back}/${sample.length} round trip; missed ${missed.join(', ')}`);
});

t('romanLexicon: most likely words first, perWord spellings each, a-z only', () => {
  const lex = hi().romanLexicon(50, 3);
  const words = [...new Set(lex.map((e) => e.word))];
  assert.is(words.length, 50);
  assert.equal(words.slice(0, 5), hi().words.slice(0, 5).map((w) => w.word));
  for (const w of words) assert.ok(lex.filter((e) => e.word === w).length <= 3);
  for (const e of lex) { assert.match(e.roman, /^[a-z]+$/); assert.ok(Number.isFinite(e.cost) && e.cost >= 0); }
  assert.ok(lex.some((e) => e.word === 'है' && e.roman === 'hai'));
  assert.throws(() => hi().romanLexicon(0, 3), /maxWords must be a positive integer/);
});

t('errors name the input', () => {
  const h = hi();
  assert.throws(() => h.translit('', 3), /empty input ""/);
  assert.throws(() => h.translit('   ', 3), /empty input/);
  assert.throws(() => h.translit('नमस्ते', 3), /"नमस्ते" is not romanised Hindi/);
  assert.throws(() => h.translit('pani2', 3), /"pani2" is not romanised Hindi/);
  assert.throws(() => h.translit('pani', 0), /k must be a positive integer/);
  assert.throws(() => h.romanisations('daant', 3), /"daant" is not a Devanagari word/);
  assert.throws(() => loadHindi('/nonexistent/hi'), /\/nonexistent\/hi\/rules\.tsv is missing/);
  assert.throws(() => parseHindiRules('a\tआ\t0\nk\tक्\tcheap\n'), /rules\.tsv:2: the cost must be a number/);
  assert.throws(() => parseHindiRules('k\tx\t0\n'), /rules\.tsv:1: the Devanagari side/);
  assert.throws(() => parseHindiWords('घर\t1\nghar\t2\n'), /words\.tsv:2: expected a Devanagari word/);
});

t('loadHindi caches per directory; translit is fast after load', () => {
  assert.is(loadHindi(), loadHindi(DEFAULT_HINDI_DIR));
  const h = hi();
  const t0 = performance.now();
  for (const [r] of TOP1) h.translit(r, 5);
  const ms = (performance.now() - t0) / TOP1.length;
  assert.ok(ms < 20, `${ms.toFixed(2)} ms per word`);
});

t('the shipped rules.tsv and words.tsv parse with no bad line', () => {
  const rulesText = readFileSync(join(DEFAULT_HINDI_DIR, 'rules.tsv'), 'utf8');
  const rules = parseHindiRules(rulesText);
  assert.is(rules.length, rulesText.split('\n').filter((l) => l && !l.startsWith('#')).length);
  assert.match(rulesText, /^# .*\n# .*hi-itrans\.mim/);
  for (const c of 'abcdefghijklmnopqrstuvwxyz') assert.ok(rules.some((r) => r.from[0] === c), `a rule reads ${c}`);
  assert.ok(rules.some((r) => r.from === 'k' && r.to === 'क' && r.cost === 0), 'ITRANS k -> क costs nothing');
  const wordsPath = join(DEFAULT_HINDI_DIR, 'words.tsv');
  const text = readFileSync(wordsPath, 'utf8');
  const words = parseHindiWords(text);
  assert.is(words.length, text.split('\n').filter(Boolean).length);
  assert.is(new Set(words.map((w) => w.word)).size, words.length, 'deduplicated');
  assert.ok(words.length >= 20000 && statSync(wordsPath).size < 3e6, `${words.length} words, ${statSync(wordsPath).size} bytes`);
  const h = new Hindi(rules, words);
  assert.is(h.translit('daant', 1)[0].word, 'दांत');
});

t('cli: kiln keyboard translit --lang hi daanth', async () => {
  let out = '', err = '';
  const io = { stdin: async () => '', write: (s: string) => { out += s; }, error: (s: string) => { err += s + '\n'; } };
  assert.is(await keyboardCli(['translit', '--lang', 'hi', 'daanth'], io), 0, err);
  assert.is(out.split('\n')[0], 'दांत');
  out = '';
  assert.is(await keyboardCli(['translit', '--lang', 'hi', '--k', '2', 'pani'], io), 0, err);
  assert.equal(out.trim().split('\n'), top('pani', 2));
});

t.run();

// The Gboard-style keyboard decoder, as a library user calls it: noisy taps on a phone QWERTY
// layout -> the shipped spatial model (LSTM-CTC on the GPU where shipped, else the per-key
// Gaussian) -> CTC x 60k-word lexicon x Kneser-Ney trigram search; then completions of an
// unfinished word, next-word predictions and a word added to the user dictionary.
//   node --import tsx examples/keyboard_decoder.ts ["a sentence to type"]
import { KeyboardDecoder, type DecodeOutput } from '../src/models/keyboard/decoder.ts';
import { KeyboardLayout } from '../src/models/keyboard/layout.ts';
import { touchLines } from '../src/models/keyboard/touch.ts';

export interface ExampleResult { typed: string[]; decoded: string[]; completion: string[]; predictions: string[]; user: string[] }

export async function keyboardExample(sentence = "i've got to go to the meeting", log: (...m: unknown[]) => void = console.log): Promise<ExampleResult> {
  const dec = await KeyboardDecoder.load();
  const layout = KeyboardLayout.load();
  const words = sentence.toLowerCase().split(/\s+/).filter(Boolean);
  // One tap attempt per word, spread 0.3 key widths, with the generator's fat-finger, omitted,
  // doubled and swapped keys; each word is decoded with the words before it as context.
  const samples = touchLines(words.map((w, i) => ({ id: `w${i}`, word: w, context: words.slice(0, i) })), { kind: 'tap', seed: 7, sigma: 0.3, layout });
  const outs: DecodeOutput[] = await dec.decodeLines(samples.map((s) => s.line), 3);
  const typed = samples.map((s) => ('taps' in s.line ? s.line.taps : []).map(([x, y]) => layout.nearestKey(x, y).key).join(''));
  log(`spatial model: ${dec.spatialFor('tap')}`);
  log(`keys under the taps: ${typed.join(' ')}`);
  log(`decoded:             ${outs.map((o) => o.words?.[0] ?? '?').join(' ')}`);
  // An unfinished word: the taps of "meet" with prefix: true give completions.
  const meet = touchLines([{ id: 'p', word: 'meet', context: ['the'] }], { kind: 'tap', seed: 3, sigma: 0.25, pOmit: 0, pDouble: 0, pSwap: 0, layout })[0];
  const comp = (await dec.decodeLines([{ ...meet.line, prefix: true }], 3))[0].words ?? [];
  log(`"the meet..." completes to: ${comp.join(', ')}`);
  const predictions = dec.predict(['thank'], 3);
  log(`after "thank": ${predictions.join(', ')}`);
  // A word the lexicon lacks, added at run time.
  const tapsOf = (w: string) => [...w].map((c) => { const k = layout.key(c); return [k.x, k.y] as [number, number]; });
  dec.addUserWord('kiln');
  const user = (await dec.decodeLines([{ id: 'u', taps: tapsOf('kiln') }], 3))[0].words ?? [];
  log(`user word "kiln": ${user.join(', ')}`);
  dec.dispose();
  return { typed, decoded: outs.map((o) => o.words?.[0] ?? ''), completion: comp, predictions, user };
}

const isMain = process.argv[1] && /keyboard_decoder\.ts$/.test(process.argv[1]);
if (isMain) keyboardExample(process.argv[2]).then(() => process.exit(0));

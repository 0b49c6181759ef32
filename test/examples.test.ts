import './setup.ts';
import { suite } from 'uvu';
import { assert } from './helpers.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observeTensors } from '../src/tensor.ts';
import { basics } from '../examples/basics.ts';
import { trainMlp } from '../examples/train_mlp.ts';
import { keyboardExample } from '../examples/keyboard_decoder.ts';
import { parserExample } from '../examples/parser.ts';
import { smartReplyExample } from '../examples/smart_reply.ts';
import { codecExample } from '../examples/codec.ts';

const t = suite('examples');

t('examples/basics.ts runs, shows what it promises and frees its tensors', async () => {
  const lines: string[] = [];
  const { leaked } = await observeTensors(() => basics((...m) => lines.push(m.map(String).join(' '))));
  const out = lines.join('\n');
  assert.match(out, /softmax rows sum to 1\.000000, 1\.000000/);
  assert.match(out, /gather \+ pad \+ transpose \+ concat/);
  assert.match(out, /checkNumerics: kiln\.log\[2,3\] produced NaN or Inf/);
  assert.is(leaked.length, 0);
});

t('examples/train_mlp.ts trains to >= 97% accuracy and restores it from a checkpoint', async () => {
  const lines: string[] = [];
  const { result, leaked } = await observeTensors(() => trainMlp((...m) => lines.push(m.map(String).join(' ')), false));
  assert.ok(result.accuracy >= 0.97, lines.join('\n'));
  assert.is(result.restored, result.accuracy);
  assert.match(lines.join('\n'), /loss curve: 8 rows/);
  assert.is(leaked.length, 0, leaked.map(String).join(', '));
});

t('examples/keyboard_decoder.ts decodes a noisy tapped sentence, completes, predicts and learns a user word', async () => {
  const lines: string[] = [];
  const r = await keyboardExample("i've got to go to the meeting", (...m) => lines.push(m.map(String).join(' ')));
  const want = ["i've", 'got', 'to', 'go', 'to', 'the', 'meeting'];
  const right = r.decoded.filter((w, i) => w.toLowerCase() === want[i]).length;
  assert.ok(right >= 6, `decoded ${r.decoded.join(' ')} from keys ${r.typed.join(' ')}\n${lines.join('\n')}`);
  assert.ok(r.completion.includes('meeting'), `completions of "meet": ${r.completion}`);
  assert.ok(r.predictions.includes('you'), `after "thank": ${r.predictions}`);
  assert.is(r.user[0], 'kiln');
});

t('examples/parser.ts tags and parses a sentence into one tree with the verb at the root', async () => {
  const lines: string[] = [];
  const { result, leaked } = await observeTensors(() => parserExample('I saw the cat on the mat .', (...m) => lines.push(m.map(String).join(' '))));
  const out = lines.join('\n');
  assert.is(result.heads.filter((h) => h === 0).length, 1, out);
  assert.is(result.heads[result.heads.indexOf(0)], 0);
  assert.is(result.forms[result.heads.indexOf(0)], 'saw', out);
  assert.is(result.tags[1], 'VERB', out);
  assert.is(result.heads[3], 2, out); // cat <- saw
  assert.is(result.rels[3].split(':')[0], 'obj', out);
  assert.match(result.svg, /^<svg/);
  assert.is(leaked.length, 0, leaked.map(String).join(', '));
});

t('examples/smart_reply.ts suggests three different replies and personalises a user', async () => {
  const lines: string[] = [];
  const { result, leaked } = await observeTensors(() => smartReplyExample(undefined, (...m) => lines.push(m.map(String).join(' '))));
  assert.is(result.replies.length, 3, lines.join('\n'));
  assert.is(new Set(result.replies).size, 3);
  assert.ok(result.after < result.before, lines.join('\n'));
  assert.match(lines.join('\n'), /held-out perplexity [0-9.]+ -> [0-9.]+/);
  assert.is(leaked.length, 0, leaked.map(String).join(', '));
});

t('examples/codec.ts: one bitstream, finer with every decoded iteration; 2 iterations beat JPEG\'s lowest quality', async () => {
  const lines: string[] = [];
  // a 192x192 crop of the default photo (the whole 512x512 one takes a minute on lavapipe)
  const { readImage, encodePng } = await import('../src/io/image.ts');
  const img = await readImage(join(import.meta.dirname, '../data/codec/test/astronaut.png'));
  const data = new Uint8Array(192 * 192 * 3);
  for (let y = 0; y < 192; y++) data.set(img.data.subarray(((160 + y) * 512 + 200) * 3, ((160 + y) * 512 + 392) * 3), y * 192 * 3);
  const file = join(mkdtempSync(join(tmpdir(), 'kiln-codec-ex-')), 'crop.png');
  writeFileSync(file, await encodePng({ width: 192, height: 192, data }));
  const { result: r, leaked } = await observeTensors(() => codecExample(file, undefined, (...m) => lines.push(m.map(String).join(' '))));
  const out = lines.join('\n');
  for (let k = 1; k < r.rows.length; k++) {
    assert.ok(r.rows[k].bpp > r.rows[k - 1].bpp && r.rows[k].msssim > r.rows[k - 1].msssim, out);
  }
  assert.ok(r.rows[1].bpp < r.jpeg.bpp && r.rows[1].msssim > r.jpeg.msssim, out);
  assert.match(out, /JPEG quality 1/);
  assert.is(leaked.length, 0, leaked.map(String).join(', '));
});

t.run();

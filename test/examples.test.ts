import './setup.ts';
import { suite } from 'uvu';
import { assert } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';
import { basics } from '../examples/basics.ts';
import { trainMlp } from '../examples/train_mlp.ts';
import { decodeKeys } from '../examples/keyboard_decoder.ts';

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

t('examples/keyboard_decoder.ts corrects fat-finger typos and restores the apostrophe', () => {
  const lines: string[] = [];
  const r = decodeKeys(['ive got to go', 'thsnk you', 'see yiu soon'], 3, (...m) => lines.push(m.map(String).join(' ')));
  assert.equal(r.map((d) => d.paths[0].words), ["I've got to go", 'thank you', 'see you soon'], lines.join('\n'));
  for (const d of r) {
    assert.is(new Set(d.paths.map((p) => p.words)).size, d.paths.length, 'the n best are distinct word strings');
    assert.ok(d.paths.every((p, i) => i === 0 || p.cost >= d.paths[i - 1].cost), 'best first');
  }
});

t.run();

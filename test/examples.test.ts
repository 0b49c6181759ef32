import './setup.ts';
import { suite } from 'uvu';
import { assert } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';
import { basics } from '../examples/basics.ts';
import { trainMlp } from '../examples/train_mlp.ts';

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

t.run();

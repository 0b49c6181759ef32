// End to end: an LSTM + CTC model (the Gboard spatial model's recipe) learns to transcribe noisy
// frames of repeated symbols into their collapsed label sequence, in bounded steps
// (examples/lstm_ctc.ts is the model and the data).
import './setup.ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { observeTensors } from '../src/tensor.ts';
import { trainLstmCtc } from '../examples/lstm_ctc.ts';

const t = suite('lstm + ctc');

t('LSTM + CTC learns to transcribe noisy repeated symbols (greedy decoding, >= 90% exact), no leaks', async () => {
  const lines: string[] = [];
  const { result: r, leaked } = await observeTensors(() => trainLstmCtc((...m) => lines.push(m.map(String).join(' ')), 150));
  assert.ok(r.last < 0.2 * r.first, `CTC loss went from ${r.first} to ${r.last}\n${lines.join('\n')}`);
  assert.ok(r.exact >= 0.9 * r.total, `${r.exact}/${r.total} decoded exactly\n${lines.join('\n')}`);
  assert.is(leaked.length, 0, leaked.map(String).join(', '));
});

t.run();

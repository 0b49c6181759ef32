import './setup.ts';
import { suite } from 'uvu';
import { kiln, randArray, expectClose, expectThrows } from './helpers.ts';
import { softmaxRef } from '../kernels/softmax.ts';
import { engine } from '../src/tensor.ts';

const t = suite('softmax');

t('softmax and logSoftmax match the reference (thread/chunked and workgroup paths)', async () => {
  const tuning = engine().tuning;
  const saved = tuning.threadRows;
  try {
    for (const threadRows of [true, false]) {
      tuning.threadRows = threadRows;
      for (const [rows, len] of [[1, 1], [3, 17], [129, 3], [2, 129], [5, 1000], [32, 10000], [1, 4099], [3, 5003], [70000, 2]]) {
        const x = randArray(rows * len, rows + len, -10, 10);
        for (const log of [false, true]) {
          const y = kiln.tidy(() => (log ? kiln.logSoftmax : kiln.softmax)(kiln.tensor(x, [rows, len])));
          expectClose(await y.data(), softmaxRef(x, rows, len, log), { rtol: 1e-5, atol: 1e-6 }, `${threadRows ? 'thread' : 'workgroup'} ${log ? 'log' : ''}softmax ${rows}x${len}`);
          y.dispose();
        }
      }
    }
  } finally {
    tuning.threadRows = saved;
  }
});

t('stable for |x| ~ 100 and over leading batch axes', async () => {
  const x = [100, -100, 0, 99, 1000, 1000];
  expectClose(await kiln.softmax(kiln.tensor(x, [1, 2, 3])).data(), softmaxRef(x, 2, 3, false), { rtol: 1e-6, atol: 1e-7 });
  expectClose(await kiln.logSoftmax(kiln.tensor(x, [2, 3])).data(), softmaxRef(x, 2, 3, true), { rtol: 1e-6, atol: 1e-5 });
});

t('errors name the op', () => {
  expectThrows(() => kiln.softmax(kiln.zeros([2, 3]), 0), /kiln\.softmax/, /last axis/);
  expectThrows(() => kiln.softmax(kiln.zeros([2], 'int32')), /softmax/, /int32/);
});

t.run();

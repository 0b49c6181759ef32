import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert } from './helpers.ts';
import { observeTensors } from '../src/tensor.ts';

const t = suite('train');

/** A 2-layer MLP (tanh hidden layer), trained with plain SGD written with variableGrads + assign. */
function mlp(inputs: number, hidden: number, classes: number, seed: number) {
  const w1 = kiln.variable(kiln.randomNormal([inputs, hidden], 0, 1 / Math.sqrt(inputs), seed), true, `w1_${seed}`);
  const b1 = kiln.variable(kiln.zeros([hidden]), true, `b1_${seed}`);
  const w2 = kiln.variable(kiln.randomNormal([hidden, classes], 0, 1 / Math.sqrt(hidden), seed + 1), true, `w2_${seed}`);
  const b2 = kiln.variable(kiln.zeros([classes]), true, `b2_${seed}`);
  const vars = [w1, b1, w2, b2];
  const logits = (x: kiln.Tensor) => kiln.add(kiln.matMul(kiln.tanh(kiln.add(kiln.matMul(x, w1), b1)), w2), b2);
  const sgd = (loss: () => kiln.Tensor, lr: number) => () => {
    const { value, grads } = kiln.variableGrads(loss, vars);
    for (const v of vars) v.assign(kiln.sub(v, kiln.mul(grads[v.name], lr)));
    return value;
  };
  return { vars, logits, sgd, dispose: () => kiln.dispose(vars) };
}

t('a 2-layer MLP learns XOR to 100% training accuracy on the GPU within 300 steps', async () => {
  const x = kiln.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = kiln.tensor([0, 1, 1, 0], [4], 'int32');
  const net = mlp(2, 16, 2, 7);
  const seen: number[] = [];
  const r = await kiln.fit({
    steps: 300, logEvery: 50, progress: (p) => seen.push(p.loss),
    step: net.sgd(() => kiln.softmaxCrossEntropy(y, net.logits(x)), 1.0),
  });
  assert.is(r.steps, 300);
  assert.ok(seen.length === 6 && seen[5] < seen[0], `loss went ${seen.join(' -> ')}`);
  const pred = kiln.tidy(() => kiln.argMax(net.logits(x), 1));
  assert.equal([...await pred.data()], [0, 1, 1, 0], `final loss ${r.finalLoss}`);
  kiln.dispose([x, y, pred]);
  net.dispose();
});

t('an MLP classifies 3 Gaussian blobs (300 points) to 100% training accuracy', async () => {
  const rnd = kiln.rng(11);
  const n = 300;
  const pts = new Float32Array(n * 2);
  const lab = new Int32Array(n);
  const centres = [[2, 0], [-1, 1.8], [-1, -1.8]];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    lab[i] = c;
    pts[2 * i] = centres[c][0] + (rnd() - 0.5) * 1.2;
    pts[2 * i + 1] = centres[c][1] + (rnd() - 0.5) * 1.2;
  }
  const x = kiln.tensor(pts, [n, 2]);
  const y = kiln.tensor(lab, [n], 'int32');
  const net = mlp(2, 32, 3, 21);
  const r = await kiln.fit({ steps: 200, logEvery: 100, progress: false, step: net.sgd(() => kiln.softmaxCrossEntropy(y, net.logits(x)), 0.5) });
  const acc = kiln.tidy(() => kiln.mean(kiln.cast(kiln.equal(kiln.argMax(net.logits(x), 1), y), 'float32')));
  assert.is((await acc.data())[0], 1, `accuracy after 200 steps (loss ${r.finalLoss})`);
  kiln.dispose([x, y, acc]);
  net.dispose();
});

t('fit: a NaN loss stops training with the step and a hint; history goes to CSV', async () => {
  let i = 0;
  try {
    await kiln.fit({ steps: 5, logEvery: 1, progress: false, step: () => kiln.scalar(++i < 3 ? 1 : NaN) });
    assert.unreachable('NaN loss must throw');
  } catch (e) {
    assert.match((e as Error).message, /loss is NaN at step 3/);
    assert.match((e as Error).message, /checkNumerics/);
  }
  const csv = kiln.historyCsv([{ step: 10, loss: 0.5, elapsedSec: 1.25 }]);
  assert.is(csv, 'step,loss,elapsed_s\n10,0.5,1.250\n');
  assert.match(kiln.formatProgress({ step: 5, steps: 100, loss: 0.123456, stepsPerSec: 12.5, etaSec: 7.6, elapsedSec: 0.4 }), /step   5\/100  loss 0\.12346  12\.5 steps\/s  ETA 8s/);
});

t('training steps leave no tensors behind', async () => {
  const x = kiln.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = kiln.tensor([0, 1, 1, 0], [4], 'int32');
  const net = mlp(2, 8, 2, 3);
  const step = net.sgd(() => kiln.softmaxCrossEntropy(y, net.logits(x)), 0.1);
  kiln.tidy(step);
  const { leaked } = await observeTensors(async () => {
    for (let i = 0; i < 200; i++) kiln.tidy(() => { step(); });
    await kiln.sync();
  });
  assert.is(leaked.length, 0, `leaked: ${leaked.slice(0, 5).map(String).join(', ')}`);
  kiln.dispose([x, y]);
  net.dispose();
});

t.run();

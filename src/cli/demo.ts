// `kiln demo`: kiln's main job in one command. Each feature runs on the GPU and is checked
// against a float64 CPU reference (or, for training, against the accuracy it must reach).
import * as kiln from '../index.ts';
import { matMulRef } from '../../kernels/matmul.ts';
import { softmaxRef } from '../../kernels/softmax.ts';
import { conv2dRef, convGeom } from '../../kernels/conv2d.ts';

type Log = (...m: unknown[]) => void;

export async function runDemo(log: Log = console.log): Promise<number> {
  await kiln.ready();
  let failures = 0;
  const check = (name: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number, extra = '') => {
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
    const ok = worst <= tol && got.length === want.length;
    if (!ok) failures++;
    log(`${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(40)} max rel err ${worst.toExponential(2)}${extra}`);
  };
  /** Run `f` in tidy and read its result back, freeing it. */
  const read = async (f: () => kiln.Tensor) => {
    const t = kiln.tidy(f);
    try { return await t.data(); } finally { t.dispose(); }
  };
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const r = await f();
    return [r, performance.now() - t0];
  };

  // matMul
  const [m, k, n] = [256, 300, 200];
  const a = kiln.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = kiln.randomUniform([k, n], -1, 1, 'float32', 2);
  const [ad, bd] = [await a.data(), await b.data()];
  const [cd, ms] = await timed(() => read(() => kiln.matMul(a, b)));
  check(`matMul ${m}x${k} @ ${k}x${n}`, cd, matMulRef(ad, [m, k], bd, [k, n]).values, 1e-4, `  (${ms.toFixed(1)} ms incl. first-use compile)`);

  // softmax and a reduction
  const logits = kiln.randomNormal([8, 1000], 0, 3, 3);
  const ld = await logits.data();
  check('softmax [8,1000]', await read(() => kiln.softmax(logits)), softmaxRef(ld, 8, 1000, false), 1e-5);
  let ref = 0;
  for (let i = 0; i < ad.length; i++) ref += ad[i];
  check(`sum of ${m * k} values`, await read(() => kiln.sum(a)), [ref], 1e-5);

  // convolution with fused bias + relu6
  const xs = [1, 17, 17, 8], fs = [3, 3, 8, 16];
  const x = kiln.randomUniform(xs, -1, 1, 'float32', 4);
  const f = kiln.randomUniform(fs, -0.5, 0.5, 'float32', 5);
  const bias = kiln.randomUniform([16], -0.1, 0.1, 'float32', 6);
  const y = kiln.tidy(() => kiln.fusedConv2d({ x, filter: f, strides: 2, pad: 'same', bias, activation: 'relu6' }));
  const g = convGeom(xs, fs, [2, 2], 'same', [1, 1]);
  check('conv2d 3x3/2 SAME + bias + relu6', await y.data(), conv2dRef(await x.data(), await f.data(), g, await bias.data(), 'relu6'), 1e-4);

  // autograd: d/dx sum(x^3) = 3x^2
  const xv = kiln.tensor([0.5, -1, 2, 3]);
  const dx = kiln.grad((t) => kiln.sum(kiln.mul(kiln.square(t), t)))(xv);
  check('grad of sum(x^3)', await dx.data(), [0.75, 3, 12, 27], 1e-6);

  // training: an MLP learns XOR with Adam
  const X = kiln.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const Y = kiln.tensor([0, 1, 1, 0], [4], 'int32');
  const params = kiln.tidy(() => [
    kiln.variable(kiln.randomNormal([2, 16], 0, 0.7, 7), true, 'demo/w1'), kiln.variable(kiln.zeros([16]), true, 'demo/b1'),
    kiln.variable(kiln.randomNormal([16, 2], 0, 0.25, 8), true, 'demo/w2'), kiln.variable(kiln.zeros([2]), true, 'demo/b2'),
  ]);
  const model = (inp: kiln.Tensor) => kiln.add(kiln.matMul(kiln.tanh(kiln.add(kiln.matMul(inp, params[0]), params[1])), params[2]), params[3]);
  const opt = kiln.adam(0.05);
  const [fitted, trainMs] = await timed(() => kiln.fit({
    steps: 200, logEvery: 200, progress: false, optimizer: opt,
    loss: () => kiln.softmaxCrossEntropy(Y, model(X)),
  }));
  const pred = await read(() => kiln.argMax(model(X), 1));
  const ok = [0, 1, 1, 0].every((v, i) => pred[i] === v);
  if (!ok) failures++;
  log(`${ok ? 'PASS' : 'FAIL'}  ${'MLP learns XOR (Adam, 200 steps)'.padEnd(40)} loss ${fitted.finalLoss.toFixed(4)}, predictions ${Array.from(pred).join(',')}  (${(fitted.steps / (trainMs / 1000)).toFixed(0)} steps/s)`);

  opt.dispose();
  kiln.dispose([a, b, logits, x, f, bias, y, xv, dx, X, Y, ...params]);
  log(`\n${failures ? `${failures} check(s) failed` : 'all checks passed'}; live tensors: ${kiln.memory().numTensors}`);
  return failures ? 1 : 0;
}

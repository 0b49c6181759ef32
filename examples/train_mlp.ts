// Train a small MLP classifier end to end: variables, a fused softmax cross-entropy loss, Adam,
// kiln.fit with a progress line and a CSV loss curve, then a checkpoint saved and restored.
//   node --import tsx examples/train_mlp.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as kiln from '../src/index.ts';

export async function trainMlp(log: (...m: unknown[]) => void = console.log, progress = true): Promise<{ accuracy: number; restored: number }> {
  await kiln.ready();
  // Data: 600 points in 3 interleaved spirals (labels are int32 class ids).
  const n = 600, classes = 3;
  const pts = new Float32Array(n * 2);
  const lab = new Int32Array(n);
  const rnd = kiln.rng(5);
  for (let i = 0; i < n; i++) {
    const c = i % classes, t = (i / n) * 4 + (rnd() - 0.5) * 0.2;
    lab[i] = c;
    pts[2 * i] = t * Math.cos(t * 1.5 + (2 * Math.PI * c) / classes) / 4;
    pts[2 * i + 1] = t * Math.sin(t * 1.5 + (2 * Math.PI * c) / classes) / 4;
  }
  const x = kiln.tensor(pts, [n, 2]);
  const y = kiln.tensor(lab, [n], 'int32');

  // Parameters: 2 -> 64 -> 64 -> 3, tanh hidden layers.
  const sizes = [2, 64, 64, classes];
  // variable() copies its initial value: make the initialisers inside tidy() so they are freed
  const params = kiln.tidy(() => sizes.slice(1).flatMap((out, l) => [
    kiln.variable(kiln.randomNormal([sizes[l], out], 0, Math.sqrt(1 / sizes[l]), 100 + l), true, `dense${l}/kernel`),
    kiln.variable(kiln.zeros([out]), true, `dense${l}/bias`),
  ]));
  const model = (inp: kiln.Tensor) => {
    let h = inp;
    for (let l = 0; l < 3; l++) {
      const z = kiln.add(kiln.matMul(h, params[2 * l]), params[2 * l + 1]);
      h = l < 2 ? kiln.tanh(z) : z;
    }
    return h;
  };
  const accuracy = async () => {
    const a = kiln.tidy(() => kiln.mean(kiln.cast(kiln.equal(kiln.argMax(model(x), 1), y), 'float32')));
    const v = (await a.data())[0];
    a.dispose();
    return v;
  };

  const dir = mkdtempSync(join(tmpdir(), 'kiln-example-'));
  const optimizer = kiln.adam(0.02);
  const result = await kiln.fit({
    steps: 400,
    loss: () => kiln.softmaxCrossEntropy(y, model(x)),
    optimizer,
    logEvery: 50,
    progress,
    history: { csv: join(dir, 'loss.csv') },
  });
  const acc = await accuracy();
  log(`trained ${result.steps} steps at ${result.stepsPerSec.toFixed(0)} steps/s: loss ${result.finalLoss.toFixed(4)}, accuracy ${(acc * 100).toFixed(1)}%`);
  log(`loss curve: ${readFileSync(join(dir, 'loss.csv'), 'utf8').trim().split('\n').length - 1} rows in loss.csv`);

  // Save parameters and optimizer state, scramble the parameters, restore them.
  const file = join(dir, 'mlp.safetensors');
  await kiln.saveCheckpoint(file, { variables: params, optimizer, metadata: { example: 'train_mlp' } });
  kiln.tidy(() => { for (const p of params) p.assign(kiln.zerosLike(p)); });
  await kiln.loadCheckpoint(file, { variables: params, optimizer });
  const restored = await accuracy();
  log(`checkpoint restored: accuracy ${(restored * 100).toFixed(1)}%`);

  rmSync(dir, { recursive: true, force: true });
  optimizer.dispose();
  kiln.dispose([x, y, ...params]);
  return { accuracy: acc, restored };
}

if (import.meta.url === `file://${process.argv[1]}`) await trainMlp();

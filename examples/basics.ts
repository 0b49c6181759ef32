// A tour of kiln's foundation: tensors, broadcasting, reductions, softmax, matMul, memory
// scopes, profiling and the NaN/Inf debug check.
//   node --import tsx examples/basics.ts
import * as kiln from '../src/index.ts';

export async function basics(log: (...m: unknown[]) => void = console.log): Promise<void> {
  await kiln.ready();
  const info = await kiln.backendInfo();
  log(`running on ${info.adapter} (${info.backend})`);

  // Tensors come from nested arrays or typed arrays; float32 unless told otherwise.
  const x = kiln.tensor([[1, 2, 3], [4, 5, 6]]);
  const ids = kiln.tensor([1, 0], [2], 'int32');

  // tidy() disposes everything created inside except what it returns.
  const { probs, top, rowSums } = kiln.tidy(() => {
    const w = kiln.randomNormal([3, 4], 0, 0.5, 1);                // seeded
    const logits = kiln.add(kiln.matMul(x, w), kiln.tensor([0.1, 0, 0, -0.1])); // bias broadcasts
    const probs = kiln.softmax(logits);
    return { probs, top: kiln.argMax(probs, 1), rowSums: kiln.sum(probs, 1) };
  });
  log('softmax rows sum to', Array.from(await rowSums.data()).map((v) => v.toFixed(6)).join(', '));
  log('argmax per row', Array.from(await top.data()));

  // Data movement: gather rows (embedding lookup), pad, transpose, concat.
  const picked = kiln.tidy(() => kiln.concat([kiln.gather(x, ids), kiln.transpose(kiln.pad(x, [[1, 0], [0, 0]]))], 0));
  log('gather + pad + transpose + concat ->', picked.shape, await picked.array());

  // Per-kernel GPU times from timestamp queries.
  if (info.features.timestampQuery) {
    const p = await kiln.profile(async () => {
      const y = kiln.tidy(() => kiln.logSumExp(kiln.relu(kiln.sub(probs, 0.1)), 1));
      await y.data();
      y.dispose();
    });
    log('profile:', p.kernels.map((k) => `${k.kernel} ${k.ms.toFixed(3)} ms`).join(', '));
  }

  // Debug mode: find the first op that made a NaN or Inf.
  kiln.setDebug({ checkNumerics: true });
  const bad = kiln.tidy(() => kiln.mean(kiln.log(kiln.sub(x, 2))));
  try {
    await bad.data();
  } catch (e) {
    log('checkNumerics:', (e as Error).message);
  } finally {
    kiln.setDebug({ checkNumerics: false });
  }

  kiln.dispose([x, ids, probs, top, rowSums, picked, bad]);
  log('live tensors after dispose:', kiln.memory().numTensors);
}

if (import.meta.url === `file://${process.argv[1]}`) await basics();

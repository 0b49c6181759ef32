// Per-kernel GPU time of a MobileNetV1 forward (kiln.profile): where the time goes.
//   node --import tsx bench/lab/depthwise_profile.ts [alpha] [resolution] [batch]
import * as kiln from '../../src/index.ts';
import { engine } from '../../src/tensor.ts';

const [alpha, res, batch] = [Number(process.argv[2] ?? 1), Number(process.argv[3] ?? 224), Number(process.argv[4] ?? 1)];
await kiln.ready();
const m = kiln.mobilenetV1({ alpha, resolution: res });
const x = kiln.randomUniform([batch, res, res, 3], -1, 1, 'float32', 3);
for (let i = 0; i < 2; i++) { const y = m.predict(x); await y.data(); y.dispose(); }
const times: number[] = [];
for (let i = 0; i < 7; i++) { const t0 = performance.now(); const y = m.predict(x); await engine().sync(); times.push(performance.now() - t0); y.dispose(); }
times.sort((a, b) => a - b);
console.log(`mobilenet_v1 ${alpha}-${res} batch ${batch}: median wall ${times[3].toFixed(2)} ms (min ${times[0].toFixed(2)})`);
const p = await kiln.profile(async () => { const y = m.predict(x); await y.data(); y.dispose(); });
console.log(`profile: ${p.kernels.length} dispatches, GPU sum ${p.totalMs.toFixed(2)} ms, wall ${p.wallMs.toFixed(2)} ms`);
for (const k of p.byKernel) console.log(`  ${k.kernel.padEnd(40)} ${String(k.calls).padStart(4)} ${k.ms.toFixed(2).padStart(9)} ms`);
if (process.argv.includes('--all')) for (const k of p.kernels) console.log(`    ${k.kernel.padEnd(40)} ${k.ms.toFixed(3)}`);
m.dispose(); x.dispose();
process.exit(0);

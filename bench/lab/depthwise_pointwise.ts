// Pointwise (1x1) conv + bias + relu6 of MobileNetV1's layers: matMul then add and relu6 (three
// dispatches) against the implicit-GEMM conv kernel with its fused epilogue (one dispatch).
//   node --import tsx bench/lab/depthwise_pointwise.ts
import * as kiln from '../../src/index.ts';
import { engine } from '../../src/tensor.ts';
import { run } from '../../src/ops/run.ts';
import { conv2dProgram, convGeom } from '../../kernels/conv2d.ts';
import { conv2dKernel } from '../../src/ops/conv.grad.ts';

await kiln.ready();
const SHAPES: [number, number, number][] = [[112, 32, 64], [56, 64, 128], [56, 128, 128], [28, 128, 256], [28, 256, 256], [14, 256, 512], [14, 512, 512], [7, 512, 1024], [7, 1024, 1024],
  [64, 8, 16], [32, 16, 32], [16, 64, 64], [8, 128, 128], [4, 256, 256]];
async function time(f: () => kiln.Tensor): Promise<number> {
  for (let i = 0; i < 2; i++) { const y = f(); await y.data(); y.dispose(); }
  const ts: number[] = [];
  for (let i = 0; i < 7; i++) { const t0 = performance.now(); const y = f(); await engine().sync(); ts.push(performance.now() - t0); y.dispose(); }
  return ts.sort((a, b) => a - b)[3];
}
for (const [hw, cin, cout] of SHAPES) {
  const x = kiln.randomUniform([1, hw, hw, cin], -1, 1, 'float32', 1);
  const f = kiln.randomUniform([1, 1, cin, cout], -1, 1, 'float32', 2);
  const b = kiln.randomUniform([cout], -1, 1, 'float32', 3);
  const g = convGeom([1, hw, hw, cin], [1, 1, cin, cout], [1, 1], 'valid', [1, 1]);
  const a = await time(() => kiln.tidy(() => kiln.relu6(kiln.add(kiln.matMul(kiln.reshape(x, [hw * hw, cin]), kiln.reshape(f, [cin, cout])), b))));
  const c = await time(() => run(conv2dProgram(g, false, true, 'relu6', conv2dKernel()), [x, f, b], [1, hw, hw, cout], 'float32'));
  const m = await time(() => kiln.tidy(() => kiln.matMul(kiln.reshape(x, [hw * hw, cin]), kiln.reshape(f, [cin, cout]))));
  console.log(`${hw}x${hw} ${cin}->${cout}: matMul+add+relu6 ${a.toFixed(2)} ms (matMul alone ${m.toFixed(2)}), conv kernel fused ${c.toFixed(2)} ms`);
  kiln.dispose([x, f, b]);
}
process.exit(0);

// MobileNetV1's first conv (3x3 s2 SAME, RGB in) on the two forward kernels, interleaved so that
// other load on the CPUs hits both alike: the implicit GEMM (shaders/conv2d.wgsl) and the direct
// kernel (shaders/conv2d_direct.wgsl).   node --import tsx bench/lab/depthwise_first_conv.ts
import * as kiln from '../../src/index.ts';
import { engine } from '../../src/tensor.ts';
import { run } from '../../src/ops/run.ts';
import { conv2dDirectProgram, convGeom, conv2dGemmProgram } from '../../kernels/conv2d.ts';
import { conv2dKernel } from '../../src/ops/conv.grad.ts';

await kiln.ready();
const eng = engine();
for (const [hw, cout] of (process.env.SIZES ? JSON.parse(process.env.SIZES) : [[128, 8], [224, 32]]) as [number, number][]) {
  const x = kiln.randomUniform([1, hw, hw, 3], -1, 1, 'float32', 1);
  const f = kiln.randomUniform([3, 3, 3, cout], -1, 1, 'float32', 2);
  const b = kiln.randomUniform([cout], -1, 1, 'float32', 3);
  const g = convGeom([1, hw, hw, 3], [3, 3, 3, cout], [2, 2], 'same', [1, 1]);
  const variants: Record<string, () => kiln.Tensor> = {
    gemm: () => run(conv2dGemmProgram(g, false, true, 'relu6', conv2dKernel()), [x, f, b], [1, g.OH, g.OW, cout], 'float32'),
    direct: () => run(conv2dDirectProgram(g, true, 'relu6'), [x, f, b], [1, g.OH, g.OW, cout], 'float32'),
  };
  const ts: Record<string, number[]> = { gemm: [], direct: [] };
  for (const k of Object.keys(variants)) { const y = variants[k](); await y.data(); y.dispose(); }
  for (let i = 0; i < 15; i++) {
    for (const k of Object.keys(variants)) {
      const t0 = performance.now(); const y = variants[k](); await eng.sync(); ts[k].push(performance.now() - t0); y.dispose();
    }
  }
  console.log(`${hw}x${hw}x3 -> ${cout}: ` + Object.entries(ts).map(([k, v]) => `${k} ${v.sort((p, q) => p - q)[0].toFixed(2)} ms (min)`).join(', '));
  kiln.dispose([x, f, b]);
}
process.exit(0);

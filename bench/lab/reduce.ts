// Reduction kernel lab: the row-reduction strategies of shaders/reduce.wgsl side by side, on
// one device, interleaved so machine load affects them alike.
//   node --import tsx bench/lab/reduce.ts [ROWSxLEN] [sum|max|argmax|logsumexp|...]
// Found on lavapipe (Mesa 25.0.7, 2 cores), 1024x1024 sum, median of 7:
//   ROWS (workgroup tree) wg64 10.8 ms, wg128 20 ms, wg256 42-58 ms
//   ROWT (thread per row) wg64 scalar 3.1 ms, wg64 vec4 1.9 ms   <- chosen for software adapters
// and the same order for 64x16384, 16x65536, 4096x256, argmax and logsumexp: barriers dominate
// on software Vulkan. Real GPUs keep ROWS (coalesced loads); see kernels/reduce.ts.
import * as kiln from '../../src/index.ts';
import { engine, empty } from '../../src/tensor.ts';
import { Uniforms, grid } from '../../src/gpu/runtime.ts';
await kiln.ready();
const e = engine();
const [rows, len] = (process.argv[2] ?? '1024x1024').split('x').map(Number);
const op = process.argv[3] ?? 'sum';
const x = kiln.randomUniform([rows, len], 0, 1, 'float32', 1);
const out = empty([rows], op.startsWith('arg') ? 'int32' : 'float32');
const TO = op.startsWith('arg') ? 'i32' : 'f32';
const variants: Record<string, () => void> = {};
for (const WG of [64, 128, 256]) for (const v4 of [false, true]) {
  variants[`rows wg${WG}${v4 ? ' v4' : ''}`] = () => e.dispatch({ shader: 'reduce', defines: { [`OP_${op}`]: true, TO, ROWS: true, VEC4: v4 }, overrides: { WG },
    workgroups: [1, rows, 1], uniforms: new Uniforms().u32(rows, len, len, 1, 1, 0).f32(1).u32(0) }, [x.buffer], [out.buffer]);
}
for (const WG of [16, 64]) for (const v4 of [false, true]) {
  variants[`rowt wg${WG}${v4 ? ' v4' : ''}`] = () => e.dispatch({ shader: 'reduce', defines: { [`OP_${op}`]: true, TO, ROWT: true, VEC4: v4 }, overrides: { WG },
    workgroups: grid(rows, WG), uniforms: new Uniforms().u32(rows, len, len, 1, 1, 0).f32(1).u32(0) }, [x.buffer], [out.buffer]);
}
const res: Record<string, number[]> = {};
for (const k in variants) { variants[k](); await e.sync(); res[k] = []; }
for (let it = 0; it < 7; it++) for (const k in variants) {
  const t0 = performance.now(); variants[k](); await e.sync(); res[k].push(performance.now() - t0);
}
for (const k in res) { const s = res[k].sort((a, b) => a - b); console.log(k.padEnd(16), s[3].toFixed(2), 'ms'); }

// Elementwise kernel lab: broadcast and same-shape add variants side by side on one device,
// interleaved so machine load affects them alike. Lab-only variants live in
// bench/lab/binary.lab.wgsl (registered at run time, not shipped).
//   node --import tsx bench/lab/binary.ts
// Found on lavapipe (Mesa 25.0.7, 2 cores), [1024,1024] + [1024] float32, median of 9
// (noisy machine; orders held over several runs):
//   general strided (index math per element)        65-68 ms
//   vec4, one division per vec4 (first row path)     9.6-10.5 ms
//   2-D dispatch (x: column, y: row)                 6.2-9.9 ms
//   float-reciprocal row division                    6.8 ms
//   thread = vec4 column x 16 rows (loop rp16)       3.4-3.5 ms   <- promoted (binary ROWS, RP=16)
//   same-shape add, one vec4 per thread              5.3-6.6 ms
//   same-shape add, 16 vec4 per thread (block)       3.7 ms       <- promoted (K items per thread)
// Per-invocation overhead dominates on software Vulkan, so several items per thread win.
import * as kiln from '../../src/index.ts';
import { engine, empty } from '../../src/tensor.ts';
import { Uniforms, grid } from '../../src/gpu/runtime.ts';
import { binaryProgram } from '../../kernels/binary.ts';
import { readFileSync } from 'node:fs';
import { SHADERS } from '../../src/gen/shaders.ts';
SHADERS['zz_lab_bcast'] = readFileSync(new URL('./binary.lab.wgsl', import.meta.url), 'utf8');
await kiln.ready();
const e = engine();
const R = 1024, C = 1024;
const a = kiln.randomUniform([R, C], 0, 1, 'float32', 1), b = kiln.randomUniform([C], 0, 1, 'float32', 2), bb = kiln.randomUniform([R, C], 0, 1, 'float32', 3);
const out = empty([R, C], 'float32');
const inv = new DataView(new ArrayBuffer(4)); inv.setFloat32(0, 1 / (C / 4), true);
const v: Record<string, () => void> = {
  'same-shape': () => e.dispatch(binaryProgram('add', 'float32', [R, C], [R, C], [R, C]), [a.buffer, bb.buffer], [out.buffer]),
  'rows (current)': () => e.dispatch(binaryProgram('add', 'float32', [R, C], [C], [R, C]), [a.buffer, b.buffer], [out.buffer]),
  'bcast general': () => e.dispatch({ ...binaryProgram('add', 'float32', [R, C], [C], [R, C]), defines: { OP_add: true, T: 'f32', TO: 'f32', FLOAT: true, BCAST: true, BOOLV: 'bool', UV: 'u32' }, overrides: undefined, workgroups: grid(R * C, 256), uniforms: new Uniforms().u32(R * C, 2, 0, 0).vec4u([R, C], 2, 1).vec4u([C, 1], 2).vec4u([0, 1], 2) }, [a.buffer, b.buffer], [out.buffer]),
  'fdiv': () => e.dispatch({ shader: 'zz_lab_bcast', defines: { FDIV: true }, workgroups: grid(R * C / 4, 256), uniforms: new Uniforms().u32(R, C, inv.getUint32(0, true), 0) }, [a.buffer, b.buffer], [out.buffer]),
};
for (const WY of [1, 4]) v[`2d wy${WY}`] = () => e.dispatch({ shader: 'zz_lab_bcast', defines: { TWO_D: true, WY }, workgroups: [Math.ceil(C / 4 / 64), Math.ceil(R / WY)], uniforms: new Uniforms().u32(R, C, 0, 0) }, [a.buffer, b.buffer], [out.buffer]);
for (const RP of [4, 16]) v[`loop rp${RP}`] = () => e.dispatch({ shader: 'zz_lab_bcast', defines: { LOOP: true, RP }, workgroups: [Math.ceil(C / 4 * Math.ceil(R / RP) / 64)], uniforms: new Uniforms().u32(R, C, 0, 0) }, [a.buffer, b.buffer], [out.buffer]);
for (const K of [4, 16]) { v[`same loop k${K}`] = () => e.dispatch({ shader: 'zz_lab_bcast', defines: { SAME_LOOP: true, K }, workgroups: [Math.ceil(R * C / 4 / K / 64)], uniforms: new Uniforms().u32(R, C, 0, 0) }, [a.buffer, bb.buffer], [out.buffer]);
 v[`same block k${K}`] = () => e.dispatch({ shader: 'zz_lab_bcast', defines: { SAME_BLOCK: true, K }, workgroups: [Math.ceil(R * C / 4 / K / 64)], uniforms: new Uniforms().u32(R, C, 0, 0) }, [a.buffer, bb.buffer], [out.buffer]); }
const res: Record<string, number[]> = {};
for (const k in v) { v[k](); await e.sync(); res[k] = []; }
for (let it = 0; it < 9; it++) for (const k in v) { const t0 = performance.now(); v[k](); await e.sync(); res[k].push(performance.now() - t0); }
for (const k in res) { const s = res[k].sort((x, y) => x - y); console.log(k.padEnd(16), s[4].toFixed(2), 'ms'); }

// Depthwise forward kernel lab: variants side by side on one device, validated against the
// float64 reference (kernels/depthwise_conv2d.ts) first, then timed interleaved with
// engine().sync() (best and median of ROUNDS). Lab-only variants: bench/lab/depthwise.lab.wgsl
// (registered at run time, not shipped). X4 layout (M = 1), 3x3 SAME, dilation 1.
//   [SET=2|3|4] [ROUNDS=n] node --import tsx bench/lab/depthwise.ts
// Found on lavapipe (Mesa, 2 cores, shared and loaded machine: load ~2; best / median ms):
//                              [1,112,112,32] s1     [1,112,112,64] s2
//   cur T4 (T outputs along W,  4.2-4.8 / 7.2-9.0      2.1-2.8 / 4.2-5.7
//     one output row; shipped before)
//   cur T8                      3.2-4.3 / 4.6-7.4      2.4-3.0 / 4.5-4.9
//   lab T8 RO1 / T16 RO1        ~3.0 / 4.3             ~2.4 / 4.5        (longer W runs alone: small)
//   lab T8 RO2                  2.5-3.1 / 3.1-5.4      1.6-2.3 / 3.5-4.7
//   lab T4 RO4                  2.4-2.9 / 3.1-5.4      1.4-2.3 / 3.4-4.3
//   lab T4 RO6                  2.4-2.7 / 4.3-4.9      1.4-2.1 / 4.0-4.1  <- promoted (TILE, T 4 x RO 6)
//   lab T4 RO5 / T5 RO5         ~2.6 / 4.1-4.2         2.1-2.2 / 4.1
//   lab T8 RO4, T4 RO8, T3 RO8, 6-7 / 10-14            2.7-4.2 / 6-9     (>= 24-32 accumulators plus
//     T2 RO12                                                             window: a cliff, spills)
//   workgroup 32 / 128 (T8 RO2) same as 64 within noise
//   dispatch + sync floor (one empty workgroup): ~0.2 / 0.3
// What wins: a thread owns T outputs x RO output rows of one channel vec4; each input row segment
// ((T-1)*SW + KW vec4s) is loaded once into registers and serves all 3 taps of every output row
// that uses it, the 9 filter vec4s sit in registers, interior segments skip bounds checks. That cuts
// loads per output from ~9 (or ~4.5 with in-row sharing) to ~1.5 (s1, T4 RO6: 8 rows x 6 / 24).
// s2 is closer to the memory floor (3.2 MB in + 0.8 MB out), so it gains less.
// npm run bench -- --filter depthwise, before/after alternated 3 times (kiln median ms):
//   s1: 9.51 9.47 8.72 -> 4.87 5.27 5.52 (1.6-1.9x; tfjs-webgpu 9.1-9.7)
//   s2: 6.20 6.04 5.99 -> 4.27 4.74 4.20 (1.3-1.5x; tfjs-webgpu 4.0-6.8)
// dx, stride 1 (DX=1): the same tile as a forward conv of dy with the flipped filter, pads
// KH-1-pt, KW-1-pl (depthwise_conv2d.dx.wgsl TILE), vs the general T-inputs kernel, best / median:
//   [1,112,112,32]  4.7-6.6 / 7.4-11.9 -> 1.5-2.8 / 2.9-5.2
//   [1,56,56,128]   4.5-5.9 / 8.6-11.2 -> 1.9-2.5 / 3.9-5.0
// (dx with stride 2 keeps the general kernel: not a plain forward conv.)
// Stride 2 is load-bound near its floor: a T x RO tile reads ((RO-1)*2+3) x ((T-1)*2+3) vec4s for
// T*RO outputs, 4.9 loads per output at T 4 x RO 6 against 4 for reading every input once (s1: 2.0),
// and every tile shape within the ~24-accumulator budget lands at 4.9-5.4 (T4 RO4 5.1, T2 RO8 5.4,
// T8 RO3 5.0). Alternated on MobileNet's four s2 layers ([112,112,64] .. [14,14,512], fused bias +
// relu6, machine load 11-15, process CPU ms): T4 RO6 7.8 / 5.9 / 4.2 / 2.2, T4 RO4 7.8 / 6.0 / 1.9 /
// 1.3, T2 RO8 7.9 / 6.0 / 4.7 / 1.1, T4 RO3 8.0 / 4.7 / 4.0 / 2.9: no shape wins beyond the noise,
// so s2 keeps T 4 x RO 6 (at most ~18% to gain even at the 4-load floor).
import * as kiln from '../../src/index.ts';
import { engine, empty } from '../../src/tensor.ts';
import { Uniforms, grid, type Program } from '../../src/gpu/runtime.ts';
import { depthwiseConv2dRef, dwGeometry, type DwGeom } from '../../kernels/depthwise_conv2d.ts';
import { readFileSync } from 'node:fs';
import { SHADERS } from '../../src/gen/shaders.ts';
SHADERS['zz_lab_dw'] = readFileSync(new URL('./depthwise.lab.wgsl', import.meta.url), 'utf8');
await kiln.ready();
const e = engine();
const ROUNDS = Number(process.env.ROUNDS ?? 9);

function cur(g: DwGeom, T: number): Program {
  const p = { shader: 'depthwise_conv2d', overrides: { KH: g.KH, KW: g.KW, SH: g.sh, SW: g.sw, DH: g.dh, DW: g.dw } };
  const CV = g.C / 4, B = Math.ceil(g.OW / T), total = g.N * g.OH * B * CV;
  return { ...p, label: `cur${T}`, defines: { X4: true, T }, workgroups: grid(total, 64),
    uniforms: new Uniforms().u32(g.N, g.H, g.W, g.C, g.OH, g.OW, g.M, g.C, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw).i32(g.pt, g.pl).u32(CV, B, total, 0, 0, 0, g.N * g.OH, 0) };
}
function lab(g: DwGeom, T: number, RO: number, WG = 64): Program {
  const CV = g.C / 4, B = Math.ceil(g.OW / T), total = g.N * Math.ceil(g.OH / RO) * B * CV;
  return { shader: 'zz_lab_dw', label: `lab${T}x${RO}`, defines: { T, RO, KH: g.KH, KW: g.KW, SH: g.sh, SW: g.sw, WG }, workgroups: grid(total, WG),
    uniforms: new Uniforms().u32(g.N, g.H, g.W, g.C, g.OH, g.OW, g.M, g.C, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw).i32(g.pt, g.pl).u32(CV, B, total, 0, 0, 0, g.N * g.OH, 0) };
}

for (const [shape, s] of [[[1, 112, 112, 32], 1], [[1, 112, 112, 64], 2], [[2, 13, 11, 8], 2], [[1, 9, 7, 4], 1]] as [number[], number][]) {
  const C = shape[3];
  const g = dwGeometry(shape, [3, 3, C, 1], [s, s], 'same', [1, 1]);
  const x = kiln.randomUniform(shape, -1, 1, 'float32', 1), f = kiln.randomUniform([3, 3, C, 1], -1, 1, 'float32', 2);
  const ref = depthwiseConv2dRef(await x.data() as Float32Array, await f.data() as Float32Array, g);
  const y = empty([g.N, g.OH, g.OW, C], 'float32');
  const v: Record<string, Program> = {};
  for (const T of [4]) v[`cur T${T}`] = cur(g, T);
  for (const [T, RO] of (process.env.SET === '4' ? [[4, 6], [4, 8], [3, 8], [2, 12], [5, 5], [4, 5]] : process.env.SET === '3' ? [[8, 2], [4, 4], [4, 6]] : process.env.SET === '2' ? [[4, 2], [8, 2], [4, 3], [4, 4], [2, 4], [6, 3], [4, 6]] : [[4, 1], [8, 1], [16, 1], [4, 2], [8, 2], [4, 4], [8, 4]])) v[`lab T${T} RO${RO}`] = lab(g, T, RO);
  // dispatch + sync floor: one workgroup that returns at once (total 0)
  v['floor (empty)'] = { ...lab(g, 4, 1), uniforms: new Uniforms().u32(g.N, g.H, g.W, g.C, g.OH, g.OW, g.M, g.C, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw).i32(g.pt, g.pl).u32(g.C / 4, 1, 0, 0, 0, 0, 0, 0), workgroups: [1, 1, 1] };
  if (!process.env.SET) { v['lab T8 RO2 wg128'] = lab(g, 8, 2, 128); v['lab T8 RO2 wg32'] = lab(g, 8, 2, 32); }
  const res: Record<string, number[]> = {};
  for (const k in v) {
    e.dispatch(v[k], [x.buffer, f.buffer, f.buffer], [y.buffer]);
    const got = await y.data() as Float32Array;
    let err = 0; for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
    if (!k.startsWith('floor') && !(err < 1e-4)) { console.log(`${k}: WRONG max err ${err} on ${shape} s${s}`); delete v[k]; continue; }
    res[k] = [];
  }
  if (shape[1] < 100) { console.log(`${shape} s${s}: ${Object.keys(res).length} variants ok`); continue; }
  for (let it = 0; it < ROUNDS; it++) for (const k in v) { const t0 = performance.now(); e.dispatch(v[k], [x.buffer, f.buffer, f.buffer], [y.buffer]); await e.sync(); res[k].push(performance.now() - t0); }
  console.log(`${shape} s${s}:`);
  for (const k in res) { const q = res[k].sort((a, b) => a - b); console.log('  ' + k.padEnd(18), 'best', q[0].toFixed(2), 'med', q[q.length >> 1].toFixed(2), 'ms'); }
}

// dx, stride 1 (DX=1): the general T-inputs kernel vs the TILE path (flipped-filter forward conv)
if (process.env.DX) {
  const { depthwiseConv2dDxProgram, depthwiseConv2dDxRef } = await import('../../kernels/depthwise_conv2d.ts');
  for (const shape of [[1, 112, 112, 32], [1, 56, 56, 128]]) {
    const C = shape[3];
    const g = dwGeometry(shape, [3, 3, C, 1], [1, 1], 'same', [1, 1]);
    const dy = kiln.randomUniform([g.N, g.OH, g.OW, C], -1, 1, 'float32', 3), f = kiln.randomUniform([3, 3, C, 1], -1, 1, 'float32', 2);
    const ref = depthwiseConv2dDxRef(await dy.data() as Float32Array, await f.data() as Float32Array, g);
    const dx = empty(shape, 'float32');
    const CV = C / 4, B = Math.ceil(g.W / 4), total = g.N * g.H * B * CV;
    const v: Record<string, Program> = {
      'dx general T4': { shader: 'depthwise_conv2d.dx', defines: { X4: true, T: 4 }, overrides: { KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1 }, workgroups: grid(total, 64),
        uniforms: new Uniforms().u32(g.N, g.H, g.W, g.C, g.OH, g.OW, g.M, g.C, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw).i32(g.pt, g.pl).u32(CV, B, total, 0, 0, 0, g.N * g.OH, 0) },
      'dx TILE': depthwiseConv2dDxProgram(g),
    };
    const res: Record<string, number[]> = {};
    for (const k in v) {
      e.dispatch(v[k], [dy.buffer, f.buffer], [dx.buffer]);
      const got = await dx.data() as Float32Array;
      let err = 0; for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
      if (!(err < 1e-4)) throw new Error(`${k}: WRONG max err ${err}`);
      res[k] = [];
    }
    for (let it = 0; it < ROUNDS; it++) for (const k in v) { const t0 = performance.now(); e.dispatch(v[k], [dy.buffer, f.buffer], [dx.buffer]); await e.sync(); res[k].push(performance.now() - t0); }
    console.log(`dx ${shape} s1:`);
    for (const k in res) { const q = res[k].sort((a, b) => a - b); console.log('  ' + k.padEnd(18), 'best', q[0].toFixed(2), 'med', q[q.length >> 1].toFixed(2), 'ms'); }
  }
}

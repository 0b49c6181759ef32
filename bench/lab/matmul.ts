// Matmul kernel lab (llm.c style): numbered variants, each checked against matMulRef on a small
// shape, then timed with the GPU synced (warm-up dispatch, N dispatches, await engine().sync()).
//   node --import tsx bench/lab/matmul.ts            v1..v5 at their default configs
//   node --import tsx bench/lab/matmul.ts --sweep    tile / workgroup / register-block sweep
//   add --sizes 256,512 to choose sizes (square M = N = K), --only TEXT to keep variants whose
//   name contains TEXT (e.g. --only 'v5 subgroup 32x32')
// Lab-only variants (v1, v2, v4) live in bench/lab/matmul.lab.wgsl; v3 and v5 are the shipped
// shaders, built through kernels/matmul.ts.
//
//   v1  naive: one invocation per output
//   v2  16x16 workgroup-shared tiles, one output per invocation
//   v3  shared tiles + 4x4 register block per invocation, vec4 loads (shaders/matmul.wgsl)
//   v4  register block TMxTN per invocation, no shared memory
//   v5  subgroup kernel: no shared memory; one vec4 load of A per 8 rows, handed to the other
//       lanes by subgroupBroadcast; per-lane vec4 columns of B (shaders/matmul.subgroup.wgsl)
//
// Found on lavapipe (Mesa 25.0.7, LLVM 15, 2 Xeon cores). Another helper's benchmark held one
// core during most runs, so single numbers swing by +-30%; the orderings held in every run.
// GFLOP/s at 256 / 512 / 1024 / 2048 (default run, then the sweep, same day):
//   v1 naive                              0.66 / 0.54 /  -   /  -
//   v2 shared 16x16, 1 output/thread      0.39 / 0.34 /  -   /  -
//   v3 shared 64x64 bk32, 4x4/thread      2.3  / 2.3-3.2 / 2.6-3.3 / -   (bk16: ~2.0; 32x32: ~1.5-2)
//   v4 16x8/thread, no shared memory      2.1  / 3.7  / 6.6  /  -
//   v5 subgroup 32x32 (4x1), group 8      11-14 / 8-16 / 11-24 / 13-18  <- promoted (CPU adapters)
//      8x32 (1x1) 5.7 / 8.8 / 10;  16x32 (2x1) 7.5 / 14 / 12;  24x32 (3x1) 7.7 / 13 / 15 / 16.5
//      16x64 (2x2) 7.7 / 13 / 12.7;  32x64 (4x2) 8.9 / 10 / 12.7 / 13;  16x128 (2x4) 8.5 / 8.2 / 9.7
//      32x32 with group 1 (plain row-major tile order): about the same to 1024, 13 at 2048
// tfjs-backend-webgpu on this adapter was measured earlier at ~1.7 GFLOP/s at 1024 (not rerun here).
// Why v5 wins: llvmpipe runs a subgroup's 8 invocations as one 8-wide SIMD register and compiles
// each storage or workgroup load inside a loop into 8 scalar loads, each behind an exec-mask test
// and (storage) a bounds check: ~30 instructions per lane for a vec4. Loads, not FMAs, set the
// speed (FMAs are also split into mul + add). Workgroup tiles add loads and barriers instead of
// saving them (v2 < v1), and per-thread register blocks help only as far as they cut loads (v4).
// v5 loads each A value once per subgroup and hands it to the other lanes with subgroupBroadcast,
// an in-register shuffle. One vec4 column group per lane beats two or four (each adds as many B
// loads as it saves A loads); more than 32 rows spill (48 and 64 rows: ~9 at 1024). Accumulators
// indexed by loop counters that NIR does not unroll are moved to scratch memory, 3-5x slower,
// which is why the shader writes its per-row steps out. Cold compile: 0.5-3 s per pipeline.
import * as kiln from '../../src/index.ts';
import { Uniforms, type Program } from '../../src/gpu/runtime.ts';
import { SHADERS } from '../../src/gen/shaders.ts';
import { matMulProgram, matMulRef, type MatMulConfig } from '../../kernels/matmul.ts';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

SHADERS['zz_lab_matmul'] = readFileSync(new URL('./matmul.lab.wgsl', import.meta.url), 'utf8');

interface Variant {
  name: string;
  /** largest square size worth timing (slow variants stop early) */
  maxSize: number;
  program: (M: number, N: number, K: number) => Program;
}

const labUniforms = (M: number, N: number, K: number) => new Uniforms().u32(M, N, K, 0);
const dims = (M: number, N: number, K: number) => ({ M, N, K, transposeA: false, transposeB: false, aBatch: [], bBatch: [], batch: [] });

const v1: Variant = {
  name: 'v1 naive', maxSize: 512,
  program: (M, N, K) => ({ shader: 'zz_lab_matmul', defines: { V1: true }, workgroups: [Math.ceil(N / 8), Math.ceil(M / 8)], uniforms: labUniforms(M, N, K) }),
};
const v2: Variant = {
  name: 'v2 shared 16x16', maxSize: 512,
  program: (M, N, K) => ({ shader: 'zz_lab_matmul', defines: { V2: true }, workgroups: [Math.ceil(N / 16), Math.ceil(M / 16)], uniforms: labUniforms(M, N, K) }),
};
const v3 = (wx: number, wy: number, bk: number): Variant => ({
  name: `v3 shared ${4 * wy}x${4 * wx} bk${bk}, 4x4/thread`, maxSize: 1024,
  program: (M, N, K) => matMulProgram(dims(M, N, K), { kind: 'tiled', wx, wy, bk }),
});
const v4 = (tm: number, tn: number, wg: number): Variant => ({
  name: `v4 ${tm}x${tn}/thread, ${wg} lanes`, maxSize: 1024,
  program: (M, N, K) => ({
    shader: 'zz_lab_matmul', defines: { V4: true, TM: tm, TN: tn, WG: wg },
    workgroups: [Math.ceil(N / (wg * tn)), Math.ceil(M / tm)], uniforms: labUniforms(M, N, K),
  }),
});
const v5 = (rowGroups: 1 | 2 | 3 | 4, colGroups: 1 | 2 | 3 | 4, group = 1): Variant => ({
  name: `v5 subgroup ${8 * rowGroups}x${32 * colGroups} (${rowGroups}x${colGroups}) g${group}`, maxSize: 2048,
  program: (M, N, K) => matMulProgram(dims(M, N, K), { kind: 'subgroup', rowGroups, colGroups, group } as MatMulConfig),
});

const e = await kiln.ready();
const args = process.argv.slice(2);
const sweep = args.includes('--sweep');
const si = args.indexOf('--sizes');
const sizes = si >= 0 ? args[si + 1].split(',').map(Number) : sweep ? [256, 512, 1024] : [256, 512, 1024];

const hasSubgroups = e.info.features.subgroups && (e.adapter.info as { subgroupMinSize?: number }).subgroupMinSize === 8;
console.log(`adapter: ${e.info.adapter}; load average ${loadavg()[0].toFixed(2)} (wall clock; interleaved rounds, best of 5)`);

const oi = args.indexOf('--only');
const allVariants: Variant[] = sweep
  ? [
      ...[[8, 8, 16], [16, 16, 16], [16, 16, 32], [16, 8, 16]].map(([wx, wy, bk]) => v3(wx, wy, bk)),
      ...(hasSubgroups ? ([[1, 1, 8], [2, 1, 8], [3, 1, 8], [4, 1, 1], [4, 1, 8], [4, 1, 16], [1, 2, 8], [2, 2, 8], [4, 2, 8], [2, 4, 8]] as const).map(([r, c, g]) => v5(r, c, g)) : []),
    ]
  : [v1, v2, v3(16, 16, 32), v4(16, 8, 64), ...(hasSubgroups ? [v5(4, 1, 8)] : [])];
const variants = oi >= 0 ? allVariants.filter((v) => v.name.includes(args[oi + 1])) : allVariants;

/** Run once and compare with the float64 reference on a shape that is no tile multiple. */
async function validate(v: Variant): Promise<string> {
  const [M, N, K] = [40, 72, 36];
  const av = new Float32Array(M * K).map((_, i) => Math.sin(i));
  const bv = new Float32Array(K * N).map((_, i) => Math.cos(i));
  const a = kiln.tensor(av, [M, K]);
  const b = kiln.tensor(bv, [K, N]);
  const c = kiln.zeros([M, N]);
  e.dispatch(v.program(M, N, K), [a.buffer, b.buffer], [c.buffer]);
  const got = await c.data();
  const want = matMulRef(av, [M, K], bv, [K, N]).values;
  kiln.dispose([a, b, c]);
  // Same tolerance as test/matmul.test.ts: |got - want| <= 1e-4 * (1 + |want|).
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  if (!(worst <= 1e-4)) throw new Error(`${v.name}: wrong result (error ${worst} > 1e-4 * (1 + |want|))`);
  return worst.toExponential(1);
}

/**
 * Milliseconds per dispatch of each variant for an S x S x S product. Variants are timed in
 * interleaved rounds (so a busy machine slows them alike) and the best round counts.
 */
async function timeAll(vs: Variant[], S: number, rounds = 5): Promise<number[]> {
  const a = kiln.randomUniform([S, S], -1, 1, 'float32', 1);
  const b = kiln.randomUniform([S, S], -1, 1, 'float32', 2);
  const c = kiln.zeros([S, S]);
  const progs = vs.map((v) => v.program(S, S, S));
  const iters: number[] = [];
  for (const p of progs) {
    const t0 = performance.now();
    e.dispatch(p, [a.buffer, b.buffer], [c.buffer]); // warm-up (the first dispatch compiles on lavapipe)
    await e.sync();
    iters.push(Math.max(1, Math.min(20, Math.round(250 / Math.max(performance.now() - t0, 1)))));
  }
  const best = vs.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < progs.length; i++) {
      const t0 = performance.now();
      for (let j = 0; j < iters[i]; j++) e.dispatch(progs[i], [a.buffer, b.buffer], [c.buffer]);
      await e.sync();
      best[i] = Math.min(best[i], (performance.now() - t0) / iters[i]);
    }
  }
  kiln.dispose([a, b, c]);
  return best;
}

const gflops = (S: number, ms: number) => (2 * S ** 3) / ms / 1e6;
const cells = new Map<Variant, string[]>();
for (const v of variants) {
  const t0 = performance.now();
  const err = await validate(v);
  console.log(`${v.name.padEnd(34)} ok (err ${err}, first run ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  cells.set(v, []);
}
const lastMs = new Map<Variant, number>();
const report = async (vs: Variant[], S: number) => {
  const ms = await timeAll(vs, S);
  vs.forEach((v, i) => { cells.get(v)!.push(`${S}: ${ms[i].toFixed(1)} ms ${gflops(S, ms[i]).toFixed(2)} GF/s`.padEnd(28)); lastMs.set(v, ms[i]); });
};
for (const S of sizes) {
  const vs = variants.filter((v) => S <= v.maxSize);
  await report(vs, S);
  for (const v of variants) if (S > v.maxSize) cells.get(v)!.push(`${S}: -`.padEnd(28));
}
if (sweep && !sizes.includes(2048)) {
  // The three fastest variants at the largest size, again at 2048.
  const top = variants.filter((v) => v.maxSize >= 2048).sort((x, y) => lastMs.get(x)! - lastMs.get(y)!).slice(0, 3);
  if (top.length) await report(top, 2048);
}
for (const v of variants) console.log(`${v.name.padEnd(34)} ${cells.get(v)!.join('')}`);
console.log(`load average now ${loadavg()[0].toFixed(2)}`);
process.exit(0);

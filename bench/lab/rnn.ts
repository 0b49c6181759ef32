// Recurrent-layer lab: kiln.lstm / kiln.gru on each execution path ('fused' per-step kernel,
// 'persistent' one-dispatch loop, 'matmul' tuned matmul + fused cell), forward and
// forward+backward, interleaved so machine load affects them alike. kernels/rnn.ts picks the
// path per shape from what this prints.
//   node --import tsx bench/lab/rnn.ts [lstm|gru] [NxH,NxH,...] [T] [I]
// Found on lavapipe (Mesa 25.0.7, 2 cores, load ~2-3), T=50, I=64, median of 5:
//   N=1  H=256  fused 52 ms fwd, 208 fwd+bwd    matmul 75 fwd, 175 fwd+bwd    persistent 98 fwd
//   N=32 H=256  fused 462 ms fwd                matmul 166 fwd, 325 fwd+bwd   persistent 985 fwd
//   N=1  H=64   fused 5.5 ms fwd, 16 fwd+bwd    persistent 9.3 fwd, 12.5 fwd+bwd   matmul 9.0 fwd
//   N=8  H=128  matmul 24 ms fwd, 47 fwd+bwd    fused 32 fwd                  persistent 72 fwd
// so on software adapters: persistent only for N*H <= 64, matmul from N = 4, fused otherwise.
// At batch 1 a step is a matrix-vector product that re-reads all of W_hh (1 MB at H = 256): its
// time grows with H^2 (H = 128 is 4x faster) and did not move with the workgroup size (8-128), a
// transposed (unit-major) weight layout, or LP_NUM_THREADS=1 vs 2: lavapipe's per-lane loads of
// the weights bound it at ~0.5 ms a step.
import * as kiln from '../../src/index.ts';
await kiln.ready();
const cell = (process.argv[2] ?? 'lstm') as 'lstm' | 'gru';
const shapes = (process.argv[3] ?? '1x256,32x256,1x64,8x128').split(',').map((s) => s.split('x').map(Number));
const T = +(process.argv[4] ?? 50), I = +(process.argv[5] ?? 64);
const G = cell === 'lstm' ? 4 : 3;
const PATHS = ['fused', 'persistent', 'matmul'] as const;
for (const [N, H] of shapes) {
  const x = kiln.randomUniform([T, N, I], -1, 1, 'float32', 1);
  const s = 1 / Math.sqrt(H);
  const w = { wIh: kiln.randomUniform([G * H, I], -s, s, 'float32', 2), wHh: kiln.randomUniform([G * H, H], -s, s, 'float32', 3) };
  const variants: Record<string, () => kiln.Tensor> = {};
  for (const path of PATHS) {
    const run = (xx: kiln.Tensor) => (cell === 'lstm' ? kiln.lstm(xx, w, { path }) : kiln.gru(xx, w, { path })).hs;
    variants[`${path} fwd`] = () => kiln.tidy(() => run(x));
    variants[`${path} fwd+bwd`] = () => kiln.tidy(() => kiln.grads((xx: kiln.Tensor) => kiln.sum(run(xx)))([x])[0]);
  }
  const res: Record<string, number[]> = {};
  for (const k in variants) { const r = variants[k](); await r.data(); r.dispose(); res[k] = []; }
  for (let it = 0; it < 5; it++) {
    for (const k in variants) {
      const t0 = performance.now();
      const r = variants[k]();
      await r.data();
      res[k].push(performance.now() - t0);
      r.dispose();
    }
  }
  for (const k in res) {
    const v = res[k].sort((a, b) => a - b);
    console.log(`${cell} T=${T} N=${N} I=${I} H=${H}  ${k.padEnd(18)} median ${v[2].toFixed(1)} ms  min ${v[0].toFixed(1)} ms`);
  }
  kiln.dispose([x, w]);
}

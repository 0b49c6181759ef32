// Hierarchical (class-factored) softmax: shaders/hsoftmax.wgsl (modes CSR, FWD, BWD_H, BWD_C,
// BWD_W, FULL) and float64 CPU references.
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';
import { memo } from '../src/gpu/memo.ts';

const WG = 64;

function uni(n: number, c: number, v: number, d: number, m: number): Uniforms {
  const dv = d % 4 === 0 ? d / 4 : d;
  return new Uniforms().u32(n, c, v, dv, m, 0, 0, 0);
}

type Mode = 'FWD_Z' | 'FWD' | 'DZ' | 'BWD_HC' | 'BWD_H' | 'BWD_C' | 'BWD_W';

/**
 * Memoised Program for N examples, C classes, V words, dimension D. Buffers:
 *   FWD_Z (h, Wc, bc) -> aux [N, 4 + C] (class logits)
 *   FWD   (h, Ww, bw, wordClass, targets, csr) -> (aux, loss [N])
 *   DZ    (aux, g) -> dz [N, C]
 *   BWD_HC (Wc, dz) -> dh [N, D] (class part)
 *   BWD_H (h, Ww, bw, targets, csr, aux, g) -> dh (adds the word part)
 *   BWD_C (h, dz) -> (dWc [C, D], dbc [C])
 *   BWD_W (h, Ww, bw, wordClass, targets, exampleCsr, aux, g) -> (dWw [V, D], dbw [V])
 */
export const hsoftmaxProgram = memo((mode: Mode, n: number, c: number, v: number, d: number): Program => {
  const dv = d % 4 === 0 ? d / 4 : d;
  const threads = { FWD_Z: n * c, FWD: n, DZ: n * c, BWD_HC: n * dv, BWD_H: n, BWD_C: c * Math.max(dv, 1), BWD_W: v }[mode];
  // one thread per example does long loops: small workgroups spread few examples over the cores
  const wg = mode === 'FWD' || mode === 'BWD_H' ? 16 : WG;
  return {
    shader: 'hsoftmax', label: `hierarchicalSoftmax.${mode.toLowerCase()}`,
    defines: { [mode]: true, VEC4: d % 4 === 0 }, overrides: { WG: wg },
    workgroups: grid(threads, wg), uniforms: uni(n, c, v, d, 0),
  };
});

/**
 * One thread builds a CSR table [offsets (C+1) | items (M)] of the items of each class, in
 * increasing order. Plain: (key [M]) -> csr, item i in class key[i]. withMap: (key [V], map [M])
 * -> csr, item i in class key[map[i]] (examples grouped by their target's class).
 */
export const csrProgram = memo((withMap: boolean, c: number, v: number, m: number): Program => ({
  shader: 'hsoftmax', label: withMap ? 'hierarchicalSoftmax.exampleCsr' : 'hierarchicalSoftmax.classCsr',
  defines: { CSR: true, MAP: withMap }, workgroups: [1], uniforms: uni(0, c, v, 1, m),
}));

/** Memoised Program: (wordLogits [N, V], csr) -> logsumexp of each class's word logits [N, C]. */
export const classLseProgram = memo((n: number, c: number, v: number): Program => ({
  shader: 'hsoftmax', label: 'hierarchicalSoftmax.classLse',
  defines: { FULL: true }, workgroups: grid(n * c, WG), uniforms: uni(n, c, v, 1, 0),
}));

/** CPU reference of the class CSR table (offsets then items). */
export function csrRef(keys: ArrayLike<number>, c: number): Int32Array {
  const out = new Int32Array(c + 1 + keys.length).fill(-1);
  const lists: number[][] = Array.from({ length: c }, () => []);
  for (let i = 0; i < keys.length; i++) if (keys[i] >= 0 && keys[i] < c) lists[keys[i]].push(i);
  let p = 0;
  for (let k = 0; k < c; k++) {
    out[k] = p;
    for (const i of lists[k]) out[c + 1 + p++] = i;
  }
  out[c] = p;
  return out;
}

export interface HsoftmaxDims { n: number; d: number; c: number; v: number }

/**
 * CPU reference, float64: logp_all [N, V] and loss [N] = -logp_all[n, targets[n]] for
 * h [N, D], Wc [C, D], bc [C], Ww [V, D], bw [V], wordClass [V], targets [N].
 */
export function hsoftmaxRef(h: ArrayLike<number>, wc: ArrayLike<number>, bc: ArrayLike<number>, ww: ArrayLike<number>, bw: ArrayLike<number>,
  wordClass: ArrayLike<number>, targets: ArrayLike<number>, { n, d, c, v }: HsoftmaxDims): { loss: Float64Array; logp: Float64Array } {
  const logp = new Float64Array(n * v);
  const loss = new Float64Array(n);
  const dot = (a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += a[ao + j] * b[bo + j];
    return s;
  };
  const lse = (xs: number[]) => {
    const m = Math.max(...xs);
    if (m === -Infinity) return -Infinity;
    return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
  };
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: c }, (_, k) => dot(h, i * d, wc, k * d) + bc[k]);
    const lz = lse(z);
    const u = Array.from({ length: v }, (_, w) => dot(h, i * d, ww, w * d) + bw[w]);
    const lu = Array.from({ length: c }, (_, k) => lse(u.filter((_, w) => wordClass[w] === k)));
    for (let w = 0; w < v; w++) {
      const k = wordClass[w];
      logp[i * v + w] = z[k] - lz + u[w] - lu[k];
    }
    const t = targets[i];
    loss[i] = t >= 0 && t < v ? -logp[i * v + t] : NaN;
  }
  return { loss, logp };
}

// Runs in Chromium (test/browser.test.ts): the browser bundle on navigator.gpu, checked against
// plain-JS float64 references computed here. Small on purpose: SwiftShader is slow.
// Leaves { info, pageAdapter, checks: [{ name, maxErr, tol }], notes, ms } or { error } in window.__kilnSmoke.
import * as kiln from './kiln.js';

function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
function randArray(n, seed) {
  const r = lcg(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 2 * r() - 1;
  return a;
}
function maxAbsErr(got, want) {
  if (got.length !== want.length) throw new Error(`length ${got.length}, expected ${want.length}`);
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= m)) m = e; // NaN propagates
  }
  return m;
}

async function run() {
  const t0 = performance.now();
  const out = { checks: [], notes: [] };
  const engine = await kiln.ready();
  out.info = engine.info;
  const a = await navigator.gpu.requestAdapter();
  out.pageAdapter = a && { vendor: a.info.vendor, architecture: a.info.architecture, isFallbackAdapter: a.info.isFallbackAdapter };

  // Elementwise: (x * y) + x over an awkward length (scalar tail after the vec4 body).
  const n = 1001;
  const x = randArray(n, 1);
  const y = randArray(n, 2);
  const z = kiln.add(kiln.mul(kiln.tensor(x, [n]), kiln.tensor(y, [n])), kiln.tensor(x, [n]));
  const zRef = Array.from(x, (v, i) => Math.fround(Math.fround(v * y[i]) + v));
  out.checks.push({ name: `add(mul(x, y), x) n=${n}`, maxErr: maxAbsErr(await z.data(), zRef), tol: 1e-6 });

  if (typeof kiln.matMul === 'function') {
    const [m, k, p] = [33, 47, 29]; // not tile multiples
    const A = randArray(m * k, 3);
    const B = randArray(k * p, 4);
    const C = kiln.matMul(kiln.tensor(A, [m, k]), kiln.tensor(B, [k, p]));
    const ref = new Float64Array(m * p);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += A[i * k + q] * B[q * p + j];
        ref[i * p + j] = s;
      }
    }
    const shape = [...C.shape];
    if (shape.join(',') !== `${m},${p}`) throw new Error(`matMul shape [${shape}], expected [${m},${p}]`);
    out.checks.push({ name: `matMul [${m},${k}]x[${k},${p}]`, maxErr: maxAbsErr(await C.data(), ref), tol: 1e-4 });
  } else {
    out.notes.push('kiln.matMul is not exported yet: checked elementwise ops only');
  }
  out.ms = Math.round(performance.now() - t0);
  return out;
}

try {
  window.__kilnSmoke = await run();
} catch (e) {
  window.__kilnSmoke = { error: String((e && e.stack) || e) };
}
document.getElementById('out').textContent = JSON.stringify(window.__kilnSmoke, null, 2);

import './setup.ts';
import { suite } from 'uvu';
import { kiln, assert, randArray, expectClose, expectThrows } from './helpers.ts';
import { spmmRef } from '../kernels/spmm.ts';
import { checkGrad } from './gradcheck.ts';

const t = suite('spmm');

function randCsr(r: number, k: number, density: number, seed: number) {
  let s = seed;
  const rand = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  const rows = Array.from({ length: r }, () => {
    const ids: number[] = [];
    for (let c = 0; c < k; c++) if (rand() < density) ids.push(c);
    if (r > 2 && rand() < 0.2) ids.length = 0; // empty rows
    return { ids, vals: ids.map(() => rand() * 2 - 1) };
  });
  return kiln.CsrMatrix.fromRows(rows, k);
}

t('spmm: CSR x dense against the CPU reference on awkward shapes (vec4 and scalar columns)', async () => {
  for (const [r, k, n, dens] of [[1, 1, 1, 1], [3, 17, 4, 0.5], [17, 129, 3, 0.1], [129, 3, 17, 0.7], [64, 300, 128, 0.05], [5, 8, 0, 0.5]]) {
    const a = randCsr(r, k, dens, r * 31 + k);
    const b = randArray(k * n, n + 3);
    const y = kiln.spmm(a, kiln.tensor(b, [k, n]));
    assert.equal([...y.shape], [r, n]);
    expectClose(await y.data(), spmmRef(a.rowPtr, a.colIdx, a.values, b, k, n), { rtol: 1e-5, atol: 1e-5 }, `${r}x${k} . ${k}x${n}`);
    a.dispose();
  }
});

t('spmm: transpose is exact and the gradient in B is A^T dC', async () => {
  const a = randCsr(17, 13, 0.3, 5);
  const at = a.transpose();
  const dense = (m: kiln.CsrMatrix) => { const d = new Float64Array(m.rows * m.cols); for (let i = 0; i < m.rows; i++) for (let j = m.rowPtr[i]; j < m.rowPtr[i + 1]; j++) d[i * m.cols + m.colIdx[j]] += m.values[j]; return d; };
  const da = dense(a), dt = dense(at);
  for (let i = 0; i < 17; i++) for (let j = 0; j < 13; j++) assert.is(dt[j * 17 + i], da[i * 13 + j]);
  assert.is(at.transpose(), a);
  await checkGrad('spmm', (b) => kiln.spmm(a, b), (b) => spmmRef(a.rowPtr, a.colIdx, a.values, b, 13, 6), [[13, 6]]);
  await checkGrad('spmm.vec4', (b) => kiln.spmm(a, b), (b) => spmmRef(a.rowPtr, a.colIdx, a.values, b, 13, 8), [[13, 8]]);
  a.dispose();
});

t('spmm: errors name the op, the shapes and the fix', () => {
  const a = kiln.CsrMatrix.fromRows([{ ids: [0, 2], vals: [1, 2] }], 3);
  expectThrows(() => kiln.spmm(a, kiln.zeros([4, 2])), /spmm/, /K = 3/, /\[4,2\]/);
  expectThrows(() => kiln.CsrMatrix.fromRows([{ ids: [5], vals: [1] }], 3), /CsrMatrix/, /outside \[0, 3\)/);
  expectThrows(() => new kiln.CsrMatrix(2, 2, new Uint32Array([0, 1]), new Int32Array(1), new Float32Array(1)), /rows \+ 1/);
  a.dispose();
});

t.run();

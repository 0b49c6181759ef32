// Sparse matrices in CSR form and the sparse x dense product (docs/topics.md). A CsrMatrix is a
// constant (no gradient): spmm(A, B) differentiates with respect to B as spmm(A^T, dC).
import { empty, engine, fmtShape, type Tensor } from '../tensor.ts';
import { assertTensor, assertDtype, fail } from './util.ts';
import { tensor } from './creation.ts';
import { checked } from './run.ts';
import { record, tracking } from '../autograd/tape.ts';
import { spmmProgram } from '../../kernels/spmm.ts';

/** A sparse [rows, cols] matrix: row r holds values[rowPtr[r] .. rowPtr[r+1]) at columns colIdx[...]. */
export class CsrMatrix {
  private gpu: { rowPtr: Tensor; col: Tensor; val: Tensor } | null = null;
  private t: CsrMatrix | null = null;
  constructor(readonly rows: number, readonly cols: number, readonly rowPtr: Uint32Array, readonly colIdx: Int32Array, readonly values: Float32Array) {
    const op = 'CsrMatrix';
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) fail(op, `rows and cols must be integers >= 0, got ${rows} x ${cols}`);
    if (rowPtr.length !== rows + 1) fail(op, `rowPtr must have rows + 1 = ${rows + 1} entries, got ${rowPtr.length}`);
    const nnz = rowPtr[rows];
    if (rowPtr[0] !== 0 || colIdx.length !== nnz || values.length !== nnz) fail(op, `rowPtr must start at 0 and end at nnz = colIdx.length = values.length (got ${rowPtr[0]}..${nnz}, ${colIdx.length} columns, ${values.length} values)`);
    for (let r = 0; r < rows; r++) if (rowPtr[r + 1] < rowPtr[r]) fail(op, `rowPtr must not decrease (row ${r}: ${rowPtr[r]} > ${rowPtr[r + 1]})`);
    for (let j = 0; j < nnz; j++) if (colIdx[j] < 0 || colIdx[j] >= cols) fail(op, `column ${colIdx[j]} (entry ${j}) is outside [0, ${cols})`);
  }

  get nnz(): number { return this.colIdx.length; }

  /** From per-row (column, value) lists. */
  static fromRows(rows: { ids: ArrayLike<number>; vals: ArrayLike<number> }[], cols: number): CsrMatrix {
    const rowPtr = new Uint32Array(rows.length + 1);
    rows.forEach((r, i) => { rowPtr[i + 1] = rowPtr[i] + r.ids.length; });
    const col = new Int32Array(rowPtr[rows.length]);
    const val = new Float32Array(rowPtr[rows.length]);
    rows.forEach((r, i) => { col.set(r.ids, rowPtr[i]); val.set(r.vals, rowPtr[i]); });
    return new CsrMatrix(rows.length, cols, rowPtr, col, val);
  }

  /** The transpose, in CSR (computed once, on the CPU; entries of a row keep increasing row order). */
  transpose(): CsrMatrix {
    if (this.t) return this.t;
    const cnt = new Uint32Array(this.cols + 1);
    for (let j = 0; j < this.nnz; j++) cnt[this.colIdx[j] + 1]++;
    for (let c = 0; c < this.cols; c++) cnt[c + 1] += cnt[c];
    const pos = cnt.slice(0, this.cols);
    const col = new Int32Array(this.nnz);
    const val = new Float32Array(this.nnz);
    for (let r = 0; r < this.rows; r++) {
      for (let j = this.rowPtr[r]; j < this.rowPtr[r + 1]; j++) {
        const p = pos[this.colIdx[j]]++;
        col[p] = r;
        val[p] = this.values[j];
      }
    }
    this.t = new CsrMatrix(this.cols, this.rows, cnt, col, val);
    this.t.t = this;
    return this.t;
  }

  /** @internal the GPU copies, uploaded at first use */
  buffers(): { rowPtr: Tensor; col: Tensor; val: Tensor } {
    if (!this.gpu || this.gpu.rowPtr.isDisposed) {
      this.gpu = {
        rowPtr: tensor(this.rowPtr, [this.rows + 1], 'uint32'),
        col: tensor(this.nnz ? this.colIdx : new Int32Array(1), [Math.max(1, this.nnz)], 'int32'),
        val: tensor(this.nnz ? this.values : new Float32Array(1), [Math.max(1, this.nnz)], 'float32'),
      };
      for (const t of Object.values(this.gpu)) t.markInternal();
    }
    return this.gpu;
  }

  /** Frees the GPU copies of this matrix and of its transpose. */
  dispose(): void {
    for (const m of [this, this.t]) {
      if (m?.gpu) { for (const t of Object.values(m.gpu)) t.dispose(); m.gpu = null; }
    }
  }
}

/** A B: sparse A [R, K] times dense float32 B [K, N] -> [R, N]; differentiable in B. */
export function spmm(a: CsrMatrix, b: Tensor): Tensor {
  const op = 'spmm';
  if (!(a instanceof CsrMatrix)) fail(op, 'a must be a kiln.CsrMatrix (CsrMatrix.fromRows builds one)');
  assertTensor(op, 'b', b);
  assertDtype(op, 'b', b, ['float32']);
  if (b.rank !== 2 || b.shape[0] !== a.cols) fail(op, `b must be [K, N] with K = ${a.cols} (the columns of a [${a.rows}, ${a.cols}]), got ${fmtShape(b.shape)}`);
  const n = b.shape[1];
  const out = empty([a.rows, n], 'float32');
  if (out.size) {
    if (!a.nnz || !a.cols) engine().clear(out.buffer, out.size * 4);
    else {
      const g = a.buffers();
      engine().dispatch(spmmProgram(a.rows, a.cols, n), [g.rowPtr.buffer, g.col.buffer, g.val.buffer, b.buffer], [out.buffer]);
    }
  }
  checked(out, op);
  if (!tracking(b)) return out;
  return record(op, [b], out, ([dy]) => [spmm(a.transpose(), dy!)]);
}

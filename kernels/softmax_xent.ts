// Fused softmax cross-entropy (loss per row, and optionally its gradient): shaders/softmax_xent.wgsl.
import { grid, Uniforms } from '../src/gpu/runtime.ts';
import { empty, engine, type Tensor } from '../src/tensor.ts';

const WG = 64;

/** Per-row losses [rows] and, when `withGrad`, d loss_r / d logits [rows, len]. */
export function softmaxXent(logits: Tensor, labels: Tensor, rows: number, len: number, sparse: boolean, withGrad: boolean): { loss: Tensor; grad: Tensor | null } {
  const loss = empty([rows], 'float32');
  const grad = withGrad ? empty([rows, len], 'float32') : null;
  if (rows === 0) return { loss, grad };
  engine().dispatch({
    shader: 'softmax_xent', label: 'softmaxCrossEntropy',
    defines: { SPARSE: sparse, GRAD: withGrad },
    overrides: { WG },
    workgroups: grid(rows, WG),
    uniforms: new Uniforms().u32(rows, len, 0, 0),
  }, [logits.buffer, labels.buffer], grad ? [loss.buffer, grad.buffer] : [loss.buffer]);
  return { loss, grad };
}

/** CPU reference, float64: per-row loss and gradient. `labels` are class ids (sparse) or rows of p. */
export function softmaxXentRef(x: ArrayLike<number>, labels: ArrayLike<number>, rows: number, len: number, sparse: boolean): { loss: Float64Array; grad: Float64Array } {
  const loss = new Float64Array(rows);
  const grad = new Float64Array(rows * len);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < len; c++) m = Math.max(m, x[r * len + c]);
    let s = 0;
    for (let c = 0; c < len; c++) s += Math.exp(x[r * len + c] - m);
    const lse = m + Math.log(s);
    let psum = 0;
    let l = 0;
    for (let c = 0; c < len; c++) {
      const p = sparse ? +(labels[r] === c) : labels[r * len + c];
      l += p * (lse - x[r * len + c]);
      psum += p;
    }
    loss[r] = sparse && (labels[r] < 0 || labels[r] >= len) ? NaN : l;
    for (let c = 0; c < len; c++) {
      const p = sparse ? +(labels[r] === c) : labels[r * len + c];
      grad[r * len + c] = Math.exp(x[r * len + c] - lse) * psum - p;
    }
  }
  return { loss, grad };
}

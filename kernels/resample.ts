// Nearest-neighbour resize, NHWC: shaders/resample.wgsl (forward and its gather-form gradient).
// depthToSpace/spaceToDepth are pure permutations: src/ops/resample.ts builds them from
// reshape + transpose (kernels/copy.ts), which also gives their gradients.
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

/** Bindings: x [N, inH, inW, C] -> y [N, outH, outW, C] (grad: dy [N, outH, outW, C] -> dx [N, inH, inW, C]). */
export const resizeNearestProgram = memo((n: number, inH: number, inW: number, c: number, outH: number, outW: number, grad: boolean): Program => {
  const vec4 = c % 4 === 0;
  const cv = vec4 ? c / 4 : c;
  const total = grad ? n * inH * inW * cv : n * outH * outW * cv;
  return {
    shader: 'resample', label: grad ? 'resizeNearest_grad' : 'resizeNearest',
    defines: { NEAREST: !grad, NEAREST_GRAD: grad, V: vec4 ? 'vec4<f32>' : 'f32' },
    workgroups: grid(total, 256),
    uniforms: new Uniforms().u32(n, inH, inW, cv, outH, outW, total, 0),
  };
});

/** CPU reference (float64): y[n, i, j, c] = x[n, floor(i*inH/outH), floor(j*inW/outW), c]. */
export function resizeNearestRef(x: ArrayLike<number>, shape: readonly number[], outH: number, outW: number): Float64Array {
  const [N, H, W, C] = shape;
  const y = new Float64Array(N * outH * outW * C);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < outH; i++) {
      const h = Math.min(Math.floor((i * H) / outH), H - 1);
      for (let j = 0; j < outW; j++) {
        const w = Math.min(Math.floor((j * W) / outW), W - 1);
        for (let c = 0; c < C; c++) y[o++] = x[((n * H + h) * W + w) * C + c];
      }
    }
  }
  return y;
}

/** CPU reference: depthToSpace (TensorFlow's DCR order), NHWC. */
export function depthToSpaceRef(x: ArrayLike<number>, shape: readonly number[], b: number): Float64Array {
  const [N, H, W, C] = shape;
  const oc = C / (b * b);
  const y = new Float64Array(x.length);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < H * b; i++) {
      for (let j = 0; j < W * b; j++) {
        for (let c = 0; c < oc; c++) {
          const h = Math.floor(i / b), w = Math.floor(j / b);
          y[o++] = x[((n * H + h) * W + w) * C + ((i % b) * b + (j % b)) * oc + c];
        }
      }
    }
  }
  return y;
}

/** CPU reference: spaceToDepth, the inverse of depthToSpace. */
export function spaceToDepthRef(x: ArrayLike<number>, shape: readonly number[], b: number): Float64Array {
  const [N, H, W, C] = shape;
  const oh = H / b, ow = W / b, oc = C * b * b;
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < oh; h++) {
      for (let w = 0; w < ow; w++) {
        for (let k = 0; k < oc; k++) {
          const blk = Math.floor(k / C), c = k % C;
          const i = h * b + Math.floor(blk / b), j = w * b + (blk % b);
          y[((n * oh + h) * ow + w) * oc + k] = x[((n * H + i) * W + j) * C + c];
        }
      }
    }
  }
  return y;
}

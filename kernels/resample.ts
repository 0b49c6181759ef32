// Nearest-neighbour and bilinear resize, NHWC: shaders/resample.wgsl (forward and gather-form gradients).
// depthToSpace/spaceToDepth are pure permutations: src/ops/resample.ts builds them from
// reshape + transpose (kernels/copy.ts), which also gives their gradients.
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

/** One thread per output (input, for grad) element, vec4 over channels when C % 4 == 0. */
function resampleProgram(label: string, defines: Record<string, boolean>, n: number, inH: number, inW: number, c: number, outH: number, outW: number, grad: boolean): Program {
  const vec4 = c % 4 === 0;
  const cv = vec4 ? c / 4 : c;
  const total = grad ? n * inH * inW * cv : n * outH * outW * cv;
  return {
    shader: 'resample', label: grad ? `${label}_grad` : label,
    defines: { ...defines, V: vec4 ? 'vec4<f32>' : 'f32' },
    workgroups: grid(total, 256),
    uniforms: new Uniforms().u32(n, inH, inW, cv, outH, outW, total, 0),
  };
}

/**
 * Bindings: x [N, inH, inW, C] -> y [N, outH, outW, C] (grad: dy [N, outH, outW, C] -> dx [N, inH, inW, C]);
 * with `maps`, the int32 tables of nearestMaps() are bound after x (dy).
 */
export const resizeNearestProgram = memo((n: number, inH: number, inW: number, c: number, outH: number, outW: number, grad: boolean, maps: boolean): Program => {
  return resampleProgram('resizeNearest', { NEAREST: !grad, NEAREST_GRAD: grad, MAPS: maps }, n, inH, inW, c, outH, outW, grad);
});

/**
 * Source index of each output index along one axis, as tfjs's resizeNearestNeighbor computes it:
 * scale = (in - 1)/(out - 1) with alignCorners (out > 1), else in/out; source = round(scale * i)
 * with alignCorners, floor(scale * (i + 0.5)) with halfPixelCenters, floor(scale * i) otherwise;
 * clamped to [0, in - 1].
 */
export function nearestSource(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const ac = alignCorners && outSize > 1;
  const scale = (ac ? inSize - 1 : inSize) / (ac ? outSize - 1 : outSize);
  const m = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const f = halfPixelCenters ? scale * (i + 0.5) : scale * i;
    const s = alignCorners ? Math.round(f) : Math.floor(f);
    m[i] = Math.max(0, Math.min(inSize - 1, s));
  }
  return m;
}

/** The MAPS tables of shaders/resample.wgsl: rowMap, colMap, rowLo, rowHi, colLo, colHi. */
export function nearestMaps(inH: number, inW: number, outH: number, outW: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const rows = nearestSource(inH, outH, alignCorners, halfPixelCenters);
  const cols = nearestSource(inW, outW, alignCorners, halfPixelCenters);
  const ranges = (map: Int32Array, inSize: number): [Int32Array, Int32Array] => {
    const lo = new Int32Array(inSize).fill(0), hi = new Int32Array(inSize).fill(0);
    for (let i = map.length - 1; i >= 0; i--) lo[map[i]] = i;
    for (let i = 0; i < map.length; i++) hi[map[i]] = i + 1;
    for (let h = 0; h < inSize; h++) if (hi[h] === 0) lo[h] = 0; // read by no output: empty range
    return [lo, hi];
  };
  const [rl, rh] = ranges(rows, inH);
  const [cl, ch] = ranges(cols, inW);
  const out = new Int32Array(outH + outW + 2 * inH + 2 * inW);
  let o = 0;
  for (const a of [rows, cols, rl, rh, cl, ch]) { out.set(a, o); o += a.length; }
  return out;
}

/** CPU reference (float64): y[n, i, j, c] = x[n, rows[i], cols[j], c] (default: floor(i*inH/outH)). */
export function resizeNearestRef(x: ArrayLike<number>, shape: readonly number[], outH: number, outW: number, alignCorners = false, halfPixelCenters = false): Float64Array {
  const [N, H, W, C] = shape;
  if (alignCorners || halfPixelCenters) {
    const rows = nearestSource(H, outH, alignCorners, halfPixelCenters), cols = nearestSource(W, outW, alignCorners, halfPixelCenters);
    const y = new Float64Array(N * outH * outW * C);
    let o = 0;
    for (let n = 0; n < N; n++) for (let i = 0; i < outH; i++) for (let j = 0; j < outW; j++) for (let c = 0; c < C; c++) y[o++] = x[((n * H + rows[i]) * W + cols[j]) * C + c];
    return y;
  }
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

// ---- bilinear resize (tf.image.resizeBilinear) ----

/**
 * One axis of tfjs's resizeBilinear: output index i samples the input at
 *   f = scale * i                  (scale = (in - 1)/(out - 1) with alignCorners and out > 1, else in/out)
 *   f = scale * (i + 0.5) - 0.5    (halfPixelCenters)
 * between lo = max(0, floor(f)) and hi = min(in - 1, ceil(f)) with weight frac = f - lo on hi
 * (frac is 0 where lo == hi: the value is then x[lo] either way). Arithmetic in float64, as tfjs.
 */
export function bilinearAxis(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const ac = alignCorners && outSize > 1;
  const scale = (ac ? inSize - 1 : inSize) / (ac ? outSize - 1 : outSize);
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), frac = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const f = halfPixelCenters ? scale * (i + 0.5) - 0.5 : scale * i;
    lo[i] = Math.min(inSize - 1, Math.max(0, Math.floor(f)));
    hi[i] = Math.min(inSize - 1, Math.ceil(f));
    if (hi[i] < lo[i]) hi[i] = lo[i];
    frac[i] = hi[i] === lo[i] ? 0 : f - lo[i];
  }
  return { lo, hi, frac };
}

/**
 * The BILINEAR tables of shaders/resample.wgsl (int32; fractions as float32 bits): rowLo, rowHi,
 * rowFrac [outH], colLo, colHi, colFrac [outW], then for the gradient the output range
 * [first, end) that reads each input row (rowFirst, rowEnd [inH]) and column (colFirst, colEnd [inW]).
 */
export function bilinearMaps(inH: number, inW: number, outH: number, outW: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const axis = (inSize: number, outSize: number) => {
    const a = bilinearAxis(inSize, outSize, alignCorners, halfPixelCenters);
    const first = new Int32Array(inSize).fill(-1), end = new Int32Array(inSize).fill(0);
    for (let i = 0; i < outSize; i++) {
      for (const k of [a.lo[i], a.hi[i]]) {
        if (first[k] < 0) first[k] = i;
        end[k] = i + 1;
      }
    }
    for (let k = 0; k < inSize; k++) if (first[k] < 0) first[k] = 0; // read by no output: empty range
    const fracBits = new Int32Array(Float32Array.from(a.frac).buffer);
    return { fwd: [a.lo, a.hi, fracBits], grad: [first, end] };
  };
  const r = axis(inH, outH), c = axis(inW, outW);
  const parts = [...r.fwd, ...c.fwd, ...r.grad, ...c.grad];
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Bindings: x (dy), the bilinearMaps() table, y (dx). One thread per output (input, for grad) element. */
export const resizeBilinearProgram = memo((n: number, inH: number, inW: number, c: number, outH: number, outW: number, grad: boolean): Program => {
  return resampleProgram('resizeBilinear', { BILINEAR: !grad, BILINEAR_GRAD: grad, MAPS: true }, n, inH, inW, c, outH, outW, grad);
});

/** CPU reference (float64): tfjs's resizeBilinear, interpolating along x, then y. */
export function resizeBilinearRef(x: ArrayLike<number>, shape: readonly number[], outH: number, outW: number, alignCorners = false, halfPixelCenters = false): Float64Array {
  const [N, H, W, C] = shape;
  const r = bilinearAxis(H, outH, alignCorners, halfPixelCenters), q = bilinearAxis(W, outW, alignCorners, halfPixelCenters);
  const y = new Float64Array(N * outH * outW * C);
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < outH; i++) {
      for (let j = 0; j < outW; j++) {
        for (let c = 0; c < C; c++) {
          const at = (h: number, w: number) => x[((n * H + h) * W + w) * C + c];
          const top = at(r.lo[i], q.lo[j]) + (at(r.lo[i], q.hi[j]) - at(r.lo[i], q.lo[j])) * q.frac[j];
          const bot = at(r.hi[i], q.lo[j]) + (at(r.hi[i], q.hi[j]) - at(r.hi[i], q.lo[j])) * q.frac[j];
          y[o++] = top + (bot - top) * r.frac[i];
        }
      }
    }
  }
  return y;
}

// 2-D pooling, NHWC: shaders/pool.wgsl (avg/max forward, gather-form gradients) and the
// output-size/padding rules of TensorFlow ('valid', 'same', or a number of cells on every side),
// with window dilations (tf.pool / torch's MaxPool2d dilation: the window's taps dh, dw apart) and,
// for averages, PyTorch's count_include_pad (divide by fh*fw instead of the cells in the image).
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

export type PoolMode = 'avg' | 'max';

export interface PoolGeom {
  n: number; h: number; w: number; c: number;
  oh: number; ow: number; fh: number; fw: number;
  sh: number; sw: number; pt: number; pl: number;
  /** dilations (1: dense window) */
  dh: number; dw: number;
  /** avg: divide by fh*fw (padding counted as zeros) instead of the cells inside the image */
  incl: boolean;
}

/** Extent of a window of f taps d apart. */
export const dilatedSize = (f: number, d: number) => (f - 1) * d + 1;

/** Output size and top/left padding for one spatial axis (TensorFlow's rules; f: the dilated extent). */
export function poolAxis(inSize: number, f: number, s: number, pad: 'valid' | 'same' | number): { out: number; before: number } {
  if (pad === 'same') {
    const out = Math.ceil(inSize / s);
    const total = Math.max((out - 1) * s + f - inSize, 0);
    return { out, before: Math.floor(total / 2) };
  }
  if (pad === 'valid') return { out: Math.max(0, Math.ceil((inSize - f + 1) / s)), before: 0 };
  return { out: Math.max(0, Math.floor((inSize + 2 * pad - f) / s) + 1), before: pad };
}

/** Channels per thread: 4 (vec4 loads) when C % 4 == 0. */
const lanes = (g: PoolGeom) => (g.c % 4 === 0 ? 4 : 1);

function uni(g: PoolGeom, total: number): Uniforms {
  return new Uniforms().u32(g.n, g.h, g.w, g.c / lanes(g), g.oh, g.ow, g.fh, g.fw, g.sh, g.sw, g.pt, g.pl, total, 0, 0, 0)
    .u32(g.dh, g.dw, g.incl ? 1 : 0, 0);
}

function types(g: PoolGeom): { V: string; VI: string; VU: string } {
  return lanes(g) === 4 ? { V: 'vec4<f32>', VI: 'vec4<i32>', VU: 'vec4<u32>' } : { V: 'f32', VI: 'i32', VU: 'u32' };
}

/** Forward. avg: x -> y; max: x -> y, idx (int32 ih*W+iw of the first max, -1 for an empty window). */
export const poolProgram = memo((mode: PoolMode, g: PoolGeom): Program => {
  const total = g.n * g.oh * g.ow * g.c / lanes(g);
  return { shader: 'pool', label: `${mode}Pool`, defines: { FWD: true, AVG: mode === 'avg', MAX: mode === 'max', ...types(g) }, workgroups: grid(total, 256), uniforms: uni(g, total) };
});

/** Backward. avg: dy -> dx; max: dy, idx -> dx. */
export const poolGradProgram = memo((mode: PoolMode, g: PoolGeom): Program => {
  const total = g.n * g.h * g.w * g.c / lanes(g);
  return { shader: 'pool', label: `${mode}Pool_grad`, defines: { BWD: true, AVG_GRAD: mode === 'avg', MAX_GRAD: mode === 'max', ...types(g) }, workgroups: grid(total, 256), uniforms: uni(g, total) };
});

/** CPU reference (float64): pooled values [N, OH, OW, C] (a max with a NaN in its window is NaN). */
export function poolRef(mode: PoolMode, x: ArrayLike<number>, g: PoolGeom): Float64Array {
  const y = new Float64Array(g.n * g.oh * g.ow * g.c);
  let o = 0;
  for (let n = 0; n < g.n; n++) {
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        for (let c = 0; c < g.c; c++) {
          let s = 0, cnt = 0, best = -Infinity;
          for (let kh = 0; kh < g.fh; kh++) {
            const ih = oh * g.sh - g.pt + kh * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            for (let kw = 0; kw < g.fw; kw++) {
              const iw = ow * g.sw - g.pl + kw * g.dw;
              if (iw < 0 || iw >= g.w) continue;
              const v = x[((n * g.h + ih) * g.w + iw) * g.c + c];
              s += v; cnt++; if ((v > best || Number.isNaN(v)) && !Number.isNaN(best)) best = v;
            }
          }
          y[o++] = cnt === 0 ? 0 : mode === 'avg' ? s / (g.incl ? g.fh * g.fw : cnt) : best;
        }
      }
    }
  }
  return y;
}

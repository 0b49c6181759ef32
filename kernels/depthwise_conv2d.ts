// Depthwise 2-D convolution, NHWC, filter [KH,KW,C,M] (output channel c*M+m):
// shaders/depthwise_conv2d.wgsl (forward with bias + relu/relu6 fused),
// shaders/depthwise_conv2d.dx.wgsl (input gradient), shaders/depthwise_conv2d.dfilter.wgsl (filter
// gradient as chunked partial sums, no atomics). Three channel layouts per shader at most
// (vec4 x / gathered vec4 / scalar). The forward pass takes kernel size, strides and dilations as
// pipeline overrides (one pipeline per combination a model uses: MobileNet needs 3x3 s1 and s2),
// except its TILE path (vec4 x, kernels up to 3x3, strides 1-2, no dilation; dwTile), which takes
// them as text constants and owns 4 outputs x 6 output rows per thread (bench/lab/depthwise.ts).
// dx takes overrides too (with stride 1 it has a TILE path as well: the forward tile on dy with the
// flipped filter); pads and shapes are uniform data (all of it in the filter gradient).
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

/** Geometry of one depthwise convolution (all resolved: explicit pads, output size). */
export interface DwGeom {
  N: number; H: number; W: number; C: number; M: number;
  KH: number; KW: number;
  sh: number; sw: number;
  dh: number; dw: number;
  /** pads: top, bottom, left, right */
  pt: number; pb: number; pl: number; pr: number;
  OH: number; OW: number;
}

export type DwActivation = 'linear' | 'relu' | 'relu6';
const ACT: Record<DwActivation, number> = { linear: 0, relu: 1, relu6: 2 };

/** Outputs (inputs for dx) per thread along W. */
export const DW_T = 4;

type Mode = 'X4' | 'G4' | 'SCALAR';

/** How x is read: vec4 (M = 1, C % 4 = 0), gathered vec4 (CM % 4 = 0), or scalar. */
export function dwMode(g: DwGeom): Mode {
  const CM = g.C * g.M;
  if (g.M === 1 && g.C % 4 === 0) return 'X4';
  if (CM % 4 === 0) return 'G4';
  return 'SCALAR';
}

function uniforms(g: DwGeom, CV: number, B: number, total: number, act = 0, hasBias = 0, R = 0): Uniforms {
  return new Uniforms()
    .u32(g.N, g.H, g.W, g.C, g.OH, g.OW, g.M, g.C * g.M, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw)
    .i32(g.pt, g.pl)
    .u32(CV, B, total, act, hasBias, R, g.N * g.OH, 0);
}

/** Forward tile (outputs along W x output rows per thread) of the TILE path, or null for the general kernel. */
export function dwTile(g: DwGeom): { T: number; RO: number } | null {
  // measured for kernels up to 3x3 and strides 1-2 (bench/lab/depthwise.ts): T 4 x RO 6 leads on
  // 3x3 s1 and s2; 32 accumulators or more (T 8 x RO 4, T 4 x RO 8) fall off a cliff (2-3x slower).
  if (dwMode(g) !== 'X4' || g.dh !== 1 || g.dw !== 1 || g.KH > 3 || g.KW > 3 || g.sh > 2 || g.sw > 2) return null;
  return { T: 4, RO: 6 };
}

function buildForward(g: DwGeom, act: DwActivation, hasBias: boolean): Program {
  const mode = dwMode(g);
  const CM = g.C * g.M;
  const tile = dwTile(g);
  if (tile) {
    const CV = CM / 4, B = Math.ceil(g.OW / tile.T);
    const total = g.N * Math.ceil(g.OH / tile.RO) * B * CV;
    return {
      shader: 'depthwise_conv2d',
      label: 'depthwiseConv2d',
      defines: { TILE: true, T: tile.T, RO: tile.RO, KH: g.KH, KW: g.KW, SH: g.sh, SW: g.sw },
      workgroups: grid(total, 64),
      uniforms: uniforms(g, CV, B, total, ACT[act], hasBias ? 1 : 0),
    };
  }
  const CV = mode === 'SCALAR' ? CM : CM / 4;
  const B = Math.ceil(g.OW / DW_T);
  const total = g.N * g.OH * B * CV;
  return {
    shader: 'depthwise_conv2d',
    label: 'depthwiseConv2d',
    defines: { [mode]: true, T: DW_T },
    overrides: { KH: g.KH, KW: g.KW, SH: g.sh, SW: g.sw, DH: g.dh, DW: g.dw },
    workgroups: grid(total, 64),
    uniforms: uniforms(g, CV, B, total, ACT[act], hasBias ? 1 : 0),
  };
}

function buildDx(g: DwGeom): Program {
  const x4 = g.M === 1 && g.C % 4 === 0;
  const tile = dwTile(g);
  if (tile && g.sh === 1 && g.sw === 1) {
    // dx = forward conv of dy (H, W := OH, OW) with the flipped filter, pads KH-1-pt, KW-1-pl
    const CV = g.C / 4, B = Math.ceil(g.W / tile.T);
    const total = g.N * Math.ceil(g.H / tile.RO) * B * CV;
    const t: DwGeom = { ...g, H: g.OH, W: g.OW, OH: g.H, OW: g.W, pt: g.KH - 1 - g.pt, pl: g.KW - 1 - g.pl };
    return {
      shader: 'depthwise_conv2d.dx',
      label: 'depthwiseConv2dBackpropInput',
      defines: { TILE: true, T: tile.T, RO: tile.RO, KH: g.KH, KW: g.KW },
      workgroups: grid(total, 64),
      uniforms: uniforms(t, CV, B, total),
    };
  }
  const CV = x4 ? g.C / 4 : g.C;
  const B = Math.ceil(g.W / DW_T);
  const total = g.N * g.H * B * CV;
  return {
    shader: 'depthwise_conv2d.dx',
    label: 'depthwiseConv2dBackpropInput',
    defines: { X4: x4, T: DW_T },
    overrides: { KH: g.KH, KW: g.KW, SH: g.sh, SW: g.sw, DH: g.dh, DW: g.dw },
    workgroups: grid(total, 64),
    uniforms: uniforms(g, CV, B, total),
  };
}

/** Rows of N*OH per chunk of the filter gradient, and the number of chunks. */
export function dfilterChunks(g: DwGeom): { R: number; chunks: number } {
  const mode = dwMode(g);
  const CM = g.C * g.M;
  const base = g.KH * g.KW * (mode === 'SCALAR' ? CM : CM / 4);
  const rows = g.N * g.OH;
  // enough threads to fill the device (~2048), each summing at least a few rows
  const want = Math.max(1, Math.min(rows, Math.ceil(2048 / base)));
  const R = Math.max(1, Math.ceil(rows / want));
  return { R, chunks: Math.max(1, Math.ceil(rows / R)) };
}

function buildDfilter(g: DwGeom): Program {
  const mode = dwMode(g);
  const CM = g.C * g.M;
  const CV = mode === 'SCALAR' ? CM : CM / 4;
  const { R, chunks } = dfilterChunks(g);
  const total = chunks * g.KH * g.KW * CV;
  return {
    shader: 'depthwise_conv2d.dfilter',
    label: 'depthwiseConv2dBackpropFilter',
    defines: { [mode]: true },
    workgroups: grid(total, 64),
    uniforms: uniforms(g, CV, 0, total, 0, 0, R),
  };
}

/** Bindings: x, w, bias (any buffer when there is none), then y. Memoised. */
export const depthwiseConv2dProgram = memo(buildForward);
/** Bindings: dy, w, then dx. Memoised. */
export const depthwiseConv2dDxProgram = memo(buildDx);
/** Bindings: x, dy, then partial sums [chunks, KH*KW*C*M]. Memoised. */
export const depthwiseConv2dDfilterProgram = memo(buildDfilter);

// ---- float64 CPU references ---------------------------------------------------------------------

/** Forward: y [N,OH,OW,C*M] from x [N,H,W,C], w [KH,KW,C,M], optional bias [C*M]. */
export function depthwiseConv2dRef(x: ArrayLike<number>, w: ArrayLike<number>, g: DwGeom, bias?: ArrayLike<number> | null, act: DwActivation = 'linear'): Float64Array {
  const { N, H, W, C, M, KH, KW, OH, OW } = g;
  const CM = C * M;
  const y = new Float64Array(N * OH * OW * CM);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) {
      const oc = c * M + m;
      let s = bias ? bias[oc] : 0;
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * g.sh + kh * g.dh - g.pt;
        if (ih < 0 || ih >= H) continue;
        for (let kw = 0; kw < KW; kw++) {
          const iw = ow * g.sw + kw * g.dw - g.pl;
          if (iw < 0 || iw >= W) continue;
          s += x[((n * H + ih) * W + iw) * C + c] * w[(kh * KW + kw) * CM + oc];
        }
      }
      if (act === 'relu') s = Math.max(s, 0);
      else if (act === 'relu6') s = Math.min(Math.max(s, 0), 6);
      y[((n * OH + oh) * OW + ow) * CM + oc] = s;
    }
  }
  return y;
}

/** dx [N,H,W,C] from dy [N,OH,OW,C*M] (the gradient before the activation) and w. */
export function depthwiseConv2dDxRef(dy: ArrayLike<number>, w: ArrayLike<number>, g: DwGeom): Float64Array {
  const { N, H, W, C, M, KH, KW, OH, OW } = g;
  const CM = C * M;
  const dx = new Float64Array(N * H * W * C);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * g.sh + kh * g.dh - g.pt;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * g.sw + kw * g.dw - g.pl;
        if (iw < 0 || iw >= W) continue;
        for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) {
          dx[((n * H + ih) * W + iw) * C + c] += dy[((n * OH + oh) * OW + ow) * CM + c * M + m] * w[(kh * KW + kw) * CM + c * M + m];
        }
      }
    }
  }
  return dx;
}

/** dw [KH,KW,C,M] from x and dy [N,OH,OW,C*M]. */
export function depthwiseConv2dDfilterRef(x: ArrayLike<number>, dy: ArrayLike<number>, g: DwGeom): Float64Array {
  const { N, H, W, C, M, KH, KW, OH, OW } = g;
  const CM = C * M;
  const dw = new Float64Array(KH * KW * CM);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * g.sh + kh * g.dh - g.pt;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * g.sw + kw * g.dw - g.pl;
        if (iw < 0 || iw >= W) continue;
        for (let c = 0; c < C; c++) for (let m = 0; m < M; m++) {
          dw[(kh * KW + kw) * CM + c * M + m] += x[((n * H + ih) * W + iw) * C + c] * dy[((n * OH + oh) * OW + ow) * CM + c * M + m];
        }
      }
    }
  }
  return dw;
}

/**
 * Geometry from shapes and resolved hyper-parameters. pads: explicit [top, bottom, left, right],
 * or 'same' (TensorFlow: out = ceil(in/stride), the odd pad row/column at the bottom/right) or
 * 'valid'. Does not validate: OH or OW may come out < 1 (the op reports that).
 */
export function dwGeometry(x: readonly number[], w: readonly number[], strides: [number, number], pads: 'same' | 'valid' | [number, number, number, number], dil: [number, number]): DwGeom {
  const [N, H, W, C] = x;
  const [KH, KW, , M] = w;
  const [sh, sw] = strides;
  const [dh, dw] = dil;
  const ekh = (KH - 1) * dh + 1, ekw = (KW - 1) * dw + 1;
  let pt = 0, pb = 0, pl = 0, pr = 0, OH: number, OW: number;
  if (pads === 'same') {
    OH = Math.ceil(H / sh); OW = Math.ceil(W / sw);
    const th = Math.max((OH - 1) * sh + ekh - H, 0), tw = Math.max((OW - 1) * sw + ekw - W, 0);
    pt = Math.floor(th / 2); pb = th - pt; pl = Math.floor(tw / 2); pr = tw - pl;
  } else {
    if (pads !== 'valid') [pt, pb, pl, pr] = pads;
    OH = Math.floor((H + pt + pb - ekh) / sh) + 1;
    OW = Math.floor((W + pl + pr - ekw) / sw) + 1;
  }
  return { N, H, W, C, M, KH, KW, sh, sw, dh, dw, pt, pb, pl, pr, OH, OW };
}

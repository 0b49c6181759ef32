// conv2d (NHWC activations, HWIO filters) as implicit GEMMs, plus float64 CPU references.
//   shaders/conv2d.wgsl              forward (bias + relu/relu6 fused in the epilogue) and, with
//                                    TRANSPOSED, the input gradient dx (a transposed conv over dy
//                                    with the filter transposed to [KH, KW, Cout, Cin])
//   shaders/conv2d_filter_grad.wgsl  the filter gradient dw, a reduction over N*OH*OW
// Both follow shaders/matmul.subgroup.wgsl (8-lane subgroups, subgroupBroadcast of A quads, a
// vec4 of output channels per lane, up to 32 rows per workgroup) on adapters with subgroups, and
// pass the quads through workgroup memory on the others.
//
// Measured on lavapipe (2 Xeon cores, other jobs around, +-30%), [1,56,56,64] 3x3 SAME -> 64:
// forward 7.4-8.3 GFLOP/s (tfjs-webgpu conv2d: 2.2), dx 5-8, dw 5.6-7.4; the workgroup-memory
// variant ~2.8 for all three. 1x1 stride 1 goes through matMul (56x56x128 -> 128: 6-7 GFLOP/s,
// ahead of this kernel at 128 channels, behind it at 64). Known waste: a tile is 32 output
// channels wide (Cout = 3 uses 3 of 32 lanes' columns). dx with stride s runs one phase of
// dx pixels per workgroup so it visits only the taps that line up with that phase.
import { memo } from '../src/gpu/memo.ts';
import { grid, Uniforms, type Program } from '../src/gpu/runtime.ts';

export type Activation = 'linear' | 'relu' | 'relu6';

/** Geometry of one conv2d, every padding resolved to explicit [top, bottom, left, right]. */
export interface ConvGeom {
  N: number; H: number; W: number; Cin: number;
  KH: number; KW: number; Cout: number;
  sH: number; sW: number; dH: number; dW: number;
  /** [top, bottom, left, right] */
  pads: [number, number, number, number];
  OH: number; OW: number;
}

export type PadSpec = 'same' | 'valid' | number | [[number, number], [number, number]];

/**
 * Output size and explicit pads. SAME is TensorFlow's: out = ceil(in / stride), total padding
 * max((out - 1) * stride + effectiveK - in, 0), the extra row/column at the bottom/right.
 */
export function convGeom(
  x: readonly number[], f: readonly number[], strides: [number, number], pad: PadSpec, dil: [number, number],
): ConvGeom {
  const [N, H, W, Cin] = x;
  const [KH, KW, , Cout] = f;
  const [sH, sW] = strides;
  const [dH, dW] = dil;
  const ekH = (KH - 1) * dH + 1;
  const ekW = (KW - 1) * dW + 1;
  let pads: [number, number, number, number];
  if (pad === 'same') {
    const oh = Math.ceil(H / sH), ow = Math.ceil(W / sW);
    const th = Math.max((oh - 1) * sH + ekH - H, 0), tw = Math.max((ow - 1) * sW + ekW - W, 0);
    pads = [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  } else if (pad === 'valid') {
    pads = [0, 0, 0, 0];
  } else if (typeof pad === 'number') {
    pads = [pad, pad, pad, pad];
  } else {
    pads = [pad[0][0], pad[0][1], pad[1][0], pad[1][1]];
  }
  const OH = Math.floor((H + pads[0] + pads[1] - ekH) / sH) + 1;
  const OW = Math.floor((W + pads[2] + pads[3] - ekW) / sW) + 1;
  return { N, H, W, Cin, KH, KW, Cout, sH, sW, dH, dW, pads, OH, OW };
}

export type ConvKernel = 'subgroup' | 'shared';

/**
 * Row groups of 8 per workgroup: always 4 (32 rows, the matmul lab's best). Fewer for short M
 * would save a little work on tiny convs but double the variants lavapipe compiles (0.1-3 s each).
 */
const rowGroups = (_M: number) => 4;

function rowDefines(rg: number, kind: ConvKernel) {
  return { TM: 8 * rg, R1: rg > 1, R2: rg > 2, R3: rg > 3, SUBGROUP: kind === 'subgroup' };
}

const ACT_CODE: Record<Activation, number> = { linear: 0, relu: 1, relu6: 2 };

/**
 * Forward (transposed = false): inputs x [N,H,W,Cin], filter [KH*KW*Cin, Cout], bias [Cout] (any
 * buffer, e.g. the filter again, when `bias` is false), output [N,OH,OW,Cout]. Input gradient (transposed = true): inputs dy [N,OH,OW,Cout] and the
 * filter transposed to [KH*KW*Cout, Cin], a third (unread) input, output dx [N,H,W,Cin].
 */
function buildConv2dGemmProgram(g: ConvGeom, transposed: boolean, bias: boolean, act: Activation, kind: ConvKernel): Program {
  const IC = transposed ? g.Cout : g.Cin;
  const OC = transposed ? g.Cin : g.Cout;
  // the GEMM rows' pixel grid: the output's, or for dx one phase's (every sH-th row from ph)
  const [RH, RW] = transposed ? [Math.ceil(g.H / g.sH), Math.ceil(g.W / g.sW)] : [g.OH, g.OW];
  const [SH, SW] = transposed ? [g.OH, g.OW] : [g.H, g.W]; // the A tensor's
  const phases = transposed ? g.sH * g.sW : 1;
  const M = g.N * RH * RW;
  const rg = rowGroups(M);
  const mTiles = Math.ceil(M / (8 * rg));
  const nTiles = Math.ceil(OC / 32);
  const tilesPerPhase = mTiles * nTiles;
  const tiles = tilesPerPhase * phases;
  const vecA = IC % 4 === 0;
  const vecB = OC % 4 === 0;
  const uniforms = new Uniforms()
    .u32(M, OC, IC, g.KW).u32(g.KH * g.KW, nTiles, tiles, RW).u32(RH * RW, SH, SW).i32(g.sH)
    .i32(g.sW, g.dH, g.dW, g.pads[0]).i32(g.pads[2]).u32(transposed ? 1 : 0, bias ? 1 : 0, ACT_CODE[act]).u32(tilesPerPhase, g.H, g.W, 0);
  return {
    shader: 'conv2d',
    label: transposed ? 'conv2dBackpropInput' : 'conv2d',
    defines: {
      ...rowDefines(rg, kind), VEC_A: vecA, VEC_B: vecB, CTAIL: !vecA,
      A_T: vecA ? 'vec4<f32>' : 'f32', B_T: vecB ? 'vec4<f32>' : 'f32',
    },
    workgroups: grid(tiles, 1),
    uniforms,
  };
}

/**
 * Forward convs with at most 4 input channels and 4 or 8 output channels (a narrow first layer on
 * RGB, e.g. MobileNetV1 alpha 0.25's Conv2d_0) take the direct kernel (shaders/conv2d_direct.wgsl):
 * there the GEMM's K is only KH*KW*Cin and 3/4 of its 32-column tile is idle. Lavapipe, 3x3 s2
 * SAME, best of 15 (bench/lab/depthwise_first_conv.ts): 128x128x3 -> 8: GEMM 2.94 ms, direct 1.58;
 * 224x224x3 -> 8: 20.3 / 4.7. Wider outputs stay on the GEMM, which wins from 24 channels on
 * (224 -> 32: 11.1 / 38.9 with 4 vec4 accumulators per pixel; 16 channels: 14.5 / 12.6).
 */
export const useDirect = (g: ConvGeom) => g.Cin <= 4 && (g.Cout === 4 || g.Cout === 8) && g.N * g.OH * Math.ceil(g.OW / DIRECT_PX) <= 64 * 65535;

const js = (n: number, f: (j: number) => string) => Array.from({ length: n }, (_, j) => f(j)).join('\n  ');

/** Output pixels per thread of the direct kernel. */
const DIRECT_PX = 4;

export function conv2dDirectProgram(g: ConvGeom, bias: boolean, act: Activation): Program {
  const oc4 = g.Cout / 4;
  // vec4 channel groups per thread: the largest divisor of Cout/4 up to 2 (more accumulators spill)
  const nv = oc4 % 2 ? 1 : 2;
  const PX = DIRECT_PX;
  const owb = Math.ceil(g.OW / PX);
  const P = g.N * g.OH * owb;
  const pairs: [number, number][] = [];
  for (let p = 0; p < PX; p++) for (let j = 0; j < nv; j++) pairs.push([p, j]);
  const fma = [
    ...Array.from({ length: PX }, (_, p) => `let x${p} = xAt(rowBase, iw + ${p * g.sW}, c);`),
    ...Array.from({ length: nv }, (_, j) => `let w${j} = w[wr + ${j}u];`),
    ...pairs.map(([p, j]) => `a${p}_${j} += x${p} * w${j};`),
  ].join(' ');
  return {
    shader: 'conv2d_direct',
    label: 'conv2d',
    defines: {
      NV: String(nv), PX: String(PX),
      DECL: js(PX * nv, (k) => `var a${Math.floor(k / nv)}_${k % nv} = vec4<f32>(0.0);`),
      FMA: fma,
      STORE: js(PX, (p) => `if (ow0 + ${p}u < u.OW) { ${Array.from({ length: nv }, (_, j) => `y[yb + ${p}u * u.OC4 + ${j}u] = epilogue(a${p}_${j}, co0 + ${j}u);`).join(' ')} }`),
    },
    workgroups: [Math.ceil(P / 64), oc4 / nv],
    uniforms: new Uniforms()
      .u32(P, oc4, g.Cin, g.KW).u32(g.KH, g.OW, owb, g.H).u32(g.W).i32(g.sH, g.sW, g.dH)
      .i32(g.dW, g.pads[0], g.pads[2]).u32(bias ? 1 : 0).u32(ACT_CODE[act], g.OH, 0, 0),
  };
}

/**
 * Split-K for the filter gradient: the (b, oh) rows are cut into slices when the [M, Cout] tiles
 * alone would give fewer than 32 workgroups (a first layer has M = 3*3*3: one tile), each slice
 * at least 4 rows long. Returns [splits, rows per split].
 */
export function filterGradSplits(g: ConvGeom): [number, number] {
  const tiles = Math.ceil((g.KH * g.KW * g.Cin) / 32) * Math.ceil(g.Cout / 32);
  const rows = g.N * g.OH;
  const want = Math.max(1, Math.min(Math.ceil(32 / tiles), Math.floor(rows / 4)));
  const per = Math.ceil(rows / want);
  return [Math.ceil(rows / per), per];
}

/**
 * Filter gradient: inputs x [N,H,W,Cin] and dy [N,OH,OW,Cout], output [splits, KH,KW,Cin,Cout]
 * (partial sums over slices of the (b, oh) rows; see filterGradSplits).
 */
function buildConv2dFilterGradProgram(g: ConvGeom, kind: ConvKernel): Program {
  const M = g.KH * g.KW * g.Cin;
  const rg = rowGroups(M);
  const mTiles = Math.ceil(M / (8 * rg));
  const nTiles = Math.ceil(g.Cout / 32);
  const tiles = mTiles * nTiles;
  const [splits, per] = filterGradSplits(g);
  const vecB = g.Cout % 4 === 0;
  const uniforms = new Uniforms()
    .u32(M, g.Cout, g.Cin, g.KW).u32(g.N, g.OH, g.OW, g.H).u32(g.W).i32(g.sH, g.sW, g.dH)
    .i32(g.dW, g.pads[0], g.pads[2]).u32(tiles).u32(nTiles, splits, per, 0);
  return {
    shader: 'conv2d_filter_grad',
    label: 'conv2dBackpropFilter',
    defines: { ...rowDefines(rg, kind), VEC_B: vecB, B_T: vecB ? 'vec4<f32>' : 'f32' },
    workgroups: grid(tiles * splits, 1),
    uniforms,
  };
}

/** Forward or input gradient: the direct kernel where useDirect(g) says so, else the implicit GEMM. */
export const conv2dProgram = memo((g: ConvGeom, transposed: boolean, bias: boolean, act: Activation, kind: ConvKernel): Program =>
  !transposed && useDirect(g) ? conv2dDirectProgram(g, bias, act) : buildConv2dGemmProgram(g, transposed, bias, act, kind));
/** The implicit GEMM alone (labs). */
export const conv2dGemmProgram = memo(buildConv2dGemmProgram);
export const conv2dFilterGradProgram = memo(buildConv2dFilterGradProgram);

// ---- float64 CPU references ---------------------------------------------------------------------

/** Calls f(n, oh, ow, kh, kw, ih, iw) for every in-bounds (output pixel, tap) pair. */
function eachTap(g: ConvGeom, f: (n: number, oh: number, ow: number, kh: number, kw: number, ih: number, iw: number) => void): void {
  for (let n = 0; n < g.N; n++) {
    for (let oh = 0; oh < g.OH; oh++) {
      for (let ow = 0; ow < g.OW; ow++) {
        for (let kh = 0; kh < g.KH; kh++) {
          const ih = oh * g.sH + kh * g.dH - g.pads[0];
          if (ih < 0 || ih >= g.H) continue;
          for (let kw = 0; kw < g.KW; kw++) {
            const iw = ow * g.sW + kw * g.dW - g.pads[2];
            if (iw < 0 || iw >= g.W) continue;
            f(n, oh, ow, kh, kw, ih, iw);
          }
        }
      }
    }
  }
}

const applyAct = (v: number, act: Activation) => (act === 'relu' ? Math.max(v, 0) : act === 'relu6' ? Math.min(Math.max(v, 0), 6) : v);

/** y [N,OH,OW,Cout] = act(conv(x, filter) + bias), float64. */
export function conv2dRef(
  x: ArrayLike<number>, filter: ArrayLike<number>, g: ConvGeom, bias?: ArrayLike<number> | null, act: Activation = 'linear',
): Float64Array {
  const { Cin, Cout } = g;
  const y = new Float64Array(g.N * g.OH * g.OW * Cout);
  eachTap(g, (n, oh, ow, kh, kw, ih, iw) => {
    const xo = ((n * g.H + ih) * g.W + iw) * Cin;
    const yo = ((n * g.OH + oh) * g.OW + ow) * Cout;
    const fo = (kh * g.KW + kw) * Cin * Cout;
    for (let ci = 0; ci < Cin; ci++) {
      const xv = x[xo + ci];
      if (xv === 0) continue;
      const fr = fo + ci * Cout;
      for (let co = 0; co < Cout; co++) y[yo + co] += xv * filter[fr + co];
    }
  });
  if (bias || act !== 'linear') {
    for (let i = 0; i < y.length; i++) y[i] = applyAct(y[i] + (bias ? bias[i % Cout] : 0), act);
  }
  return y;
}

/** dx [N,H,W,Cin] of conv2d (no activation) given dy [N,OH,OW,Cout]. */
export function conv2dBackpropInputRef(dy: ArrayLike<number>, filter: ArrayLike<number>, g: ConvGeom): Float64Array {
  const { Cin, Cout } = g;
  const dx = new Float64Array(g.N * g.H * g.W * Cin);
  eachTap(g, (n, oh, ow, kh, kw, ih, iw) => {
    const xo = ((n * g.H + ih) * g.W + iw) * Cin;
    const yo = ((n * g.OH + oh) * g.OW + ow) * Cout;
    const fo = (kh * g.KW + kw) * Cin * Cout;
    for (let ci = 0; ci < Cin; ci++) {
      let s = 0;
      for (let co = 0; co < Cout; co++) s += dy[yo + co] * filter[fo + ci * Cout + co];
      dx[xo + ci] += s;
    }
  });
  return dx;
}

/** dw [KH,KW,Cin,Cout] of conv2d (no activation) given dy [N,OH,OW,Cout]. */
export function conv2dBackpropFilterRef(x: ArrayLike<number>, dy: ArrayLike<number>, g: ConvGeom): Float64Array {
  const { Cin, Cout } = g;
  const dw = new Float64Array(g.KH * g.KW * Cin * Cout);
  eachTap(g, (n, oh, ow, kh, kw, ih, iw) => {
    const xo = ((n * g.H + ih) * g.W + iw) * Cin;
    const yo = ((n * g.OH + oh) * g.OW + ow) * Cout;
    const fo = (kh * g.KW + kw) * Cin * Cout;
    for (let ci = 0; ci < Cin; ci++) {
      const xv = x[xo + ci];
      for (let co = 0; co < Cout; co++) dw[fo + ci * Cout + co] += xv * dy[yo + co];
    }
  });
  return dw;
}

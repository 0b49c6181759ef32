// 2-D pooling, NHWC, with explicit top/left padding (padded cells are skipped: averages divide
// by the number of cells inside the image, as TensorFlow's SAME pooling; a max ignores them).
// Modes (defines):
//   AVG       one thread per output: y = mean of the window.
//   MAX       one thread per output: y = max of the window (NaN if any) and idx = ih * W + iw of
//             the first max.
//   AVG_GRAD  one thread per input: dx = sum over the windows holding it of dy / count(window).
//   MAX_GRAD  one thread per input: dx = sum of dy over the windows whose idx names it.
// The gradients gather over the (few) windows covering an input: no atomics.
// V/VI/VU are f32/i32/u32, or their vec4s when C % 4 == 0 (then `c` counts vec4s).
struct U {
  n: u32, h: u32, w: u32, c: u32,
  oh: u32, ow: u32, fh: u32, fw: u32,
  sh: u32, sw: u32, pt: u32, pl: u32,
  total: u32, p0: u32, p1: u32, p2: u32,
}
#if AVG
@group(0) @binding(0) var<storage, read> x: array<{{V}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{V}}>;
@group(0) @binding(2) var<uniform> u: U;
#endif
#if MAX
@group(0) @binding(0) var<storage, read> x: array<{{V}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{V}}>;
@group(0) @binding(2) var<storage, read_write> idx: array<{{VI}}>;
@group(0) @binding(3) var<uniform> u: U;
#endif
#if AVG_GRAD
@group(0) @binding(0) var<storage, read> dy: array<{{V}}>;
@group(0) @binding(1) var<storage, read_write> dx: array<{{V}}>;
@group(0) @binding(2) var<uniform> u: U;
#endif
#if MAX_GRAD
@group(0) @binding(0) var<storage, read> dy: array<{{V}}>;
@group(0) @binding(1) var<storage, read> idx: array<{{VI}}>;
@group(0) @binding(2) var<storage, read_write> dx: array<{{V}}>;
@group(0) @binding(3) var<uniform> u: U;
#endif

// Cells of the window at output (oh, ow) that lie inside the image.
fn windowCount(oh: u32, ow: u32) -> f32 {
  let h0 = i32(oh * u.sh) - i32(u.pt);
  let w0 = i32(ow * u.sw) - i32(u.pl);
  let nh = min(h0 + i32(u.fh), i32(u.h)) - max(h0, 0);
  let nw = min(w0 + i32(u.fw), i32(u.w)) - max(w0, 0);
  return f32(max(nh, 0) * max(nw, 0));
}

// First output index (rounded up) whose window, stride s, reaches input i: ceil((i + p - f + 1) / s), >= 0.
fn firstOut(i: u32, p: u32, f: u32, s: u32) -> u32 {
  let lo = i32(i + p) - i32(f) + 1;
  if (lo <= 0) { return 0u; }
  return (u32(lo) + s - 1u) / s;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= u.total) { return; }
  let c = i % u.c;
  var r = i / u.c;
#if FWD
  let ow = r % u.ow; r = r / u.ow;
  let oh = r % u.oh;
  let n = r / u.oh;
  let h0 = i32(oh * u.sh) - i32(u.pt);
  let w0 = i32(ow * u.sw) - i32(u.pl);
  let base = n * u.h * u.w;
  var s = {{V}}(0.0);
  var cnt = 0.0;
  var best = {{V}}(bitcast<f32>(0xff800000u | u.p0));
  var bi = {{VI}}(-1);
  for (var kh = 0; kh < i32(u.fh); kh++) {
    let ih = h0 + kh;
    if (ih < 0 || ih >= i32(u.h)) { continue; }
    for (var kw = 0; kw < i32(u.fw); kw++) {
      let iw = w0 + kw;
      if (iw < 0 || iw >= i32(u.w)) { continue; }
      let p = ih * i32(u.w) + iw;
      let v = x[(base + u32(p)) * u.c + c];
      s += v;
      cnt += 1.0;
      // NaN wins (as torch and reduce max): a bit test, `v != v` may be folded away
      let vNan = (bitcast<{{VU}}>(v) & {{VU}}(0x7fffffffu)) > {{VU}}(0x7f800000u);
      let bNan = (bitcast<{{VU}}>(best) & {{VU}}(0x7fffffffu)) > {{VU}}(0x7f800000u);
      let take = ((v > best) | vNan | (bi < {{VI}}(0))) & !bNan;
      best = select(best, v, take);
      bi = select(bi, {{VI}}(p), take);
    }
  }
#if AVG
  y[i] = select({{V}}(0.0), s / cnt, cnt > 0.0);
#else
  y[i] = select({{V}}(0.0), best, bi >= {{VI}}(0));
  idx[i] = bi;
#endif
#endif
#if BWD
  let iw = r % u.w; r = r / u.w;
  let ih = r % u.h;
  let n = r / u.h;
  let oh0 = firstOut(ih, u.pt, u.fh, u.sh);
  let oh1 = min((ih + u.pt) / u.sh + 1u, u.oh);
  let ow0 = firstOut(iw, u.pl, u.fw, u.sw);
  let ow1 = min((iw + u.pl) / u.sw + 1u, u.ow);
  let me = {{VI}}(i32(ih * u.w + iw));
  var s = {{V}}(0.0);
  for (var oh = oh0; oh < oh1; oh++) {
    for (var ow = ow0; ow < ow1; ow++) {
      let o = ((n * u.oh + oh) * u.ow + ow) * u.c + c;
#if AVG_GRAD
      s += dy[o] / windowCount(oh, ow);
#else
      s += select({{V}}(0.0), dy[o], idx[o] == me);
#endif
    }
  }
  dx[i] = s;
#endif
}

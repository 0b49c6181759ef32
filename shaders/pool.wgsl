// 2-D pooling, NHWC, with explicit top/left padding (padded cells are skipped: averages divide
// by the number of cells inside the image, as TensorFlow's SAME pooling, or by fh * fw when
// u.incl is set (PyTorch's count_include_pad); a max ignores them) and window dilations dh, dw.
// Modes (defines):
//   AVG       one thread per output: y = mean of the window.
//   MAX       one thread per output: y = max of the window (NaN if any) and idx = ih * W + iw of
//             the first max.
//   AVG_GRAD  one thread per input: dx = sum over the windows holding it of dy / count(window).
//   MAX_GRAD  one thread per input: dx = sum of dy over the windows whose idx names it.
// The gradients gather over the (few) windows covering an input, found tap by tap (tap k of
// output o covers input i when i + pad - k * d = o * s): no atomics.
// V/VI/VU are f32/i32/u32, or their vec4s when C % 4 == 0 (then `c` counts vec4s).
struct U {
  n: u32, h: u32, w: u32, c: u32,
  oh: u32, ow: u32, fh: u32, fw: u32,
  sh: u32, sw: u32, pt: u32, pl: u32,
  total: u32, p0: u32, p1: u32, p2: u32,
  dh: u32, dw: u32, incl: u32, p3: u32,
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

// Taps k in [0, f) of a window starting at i0, d apart, with i0 + k * d in [0, n).
fn tapsInside(i0: i32, f: u32, d: u32, n: u32) -> i32 {
  if (i0 >= i32(n)) { return 0; }
  let di = i32(d);
  let kmin = select(0, (-i0 + di - 1) / di, i0 < 0);
  let kmax = min(i32(f) - 1, (i32(n) - 1 - i0) / di);
  return max(kmax - kmin + 1, 0);
}

// The divisor of the window at output (oh, ow): its cells inside the image, or fh * fw.
fn windowCount(oh: u32, ow: u32) -> f32 {
  if (u.incl != 0u) { return f32(u.fh * u.fw); }
  let h0 = i32(oh * u.sh) - i32(u.pt);
  let w0 = i32(ow * u.sw) - i32(u.pl);
  return f32(tapsInside(h0, u.fh, u.dh, u.h) * tapsInside(w0, u.fw, u.dw, u.w));
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
    let ih = h0 + kh * i32(u.dh);
    if (ih < 0 || ih >= i32(u.h)) { continue; }
    for (var kw = 0; kw < i32(u.fw); kw++) {
      let iw = w0 + kw * i32(u.dw);
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
  y[i] = select({{V}}(0.0), s / select(cnt, f32(u.fh * u.fw), u.incl != 0u), cnt > 0.0);
#else
  y[i] = select({{V}}(0.0), best, bi >= {{VI}}(0));
  idx[i] = bi;
#endif
#endif
#if BWD
  let iw = r % u.w; r = r / u.w;
  let ih = r % u.h;
  let n = r / u.h;
  let me = {{VI}}(i32(ih * u.w + iw));
  var s = {{V}}(0.0);
  for (var kh = 0u; kh < u.fh; kh++) {
    let th = i32(ih + u.pt) - i32(kh * u.dh);
    if (th < 0) { break; }
    let oh = u32(th) / u.sh;
    if (oh * u.sh != u32(th) || oh >= u.oh) { continue; }
    for (var kw = 0u; kw < u.fw; kw++) {
      let tw = i32(iw + u.pl) - i32(kw * u.dw);
      if (tw < 0) { break; }
      let ow = u32(tw) / u.sw;
      if (ow * u.sw != u32(tw) || ow >= u.ow) { continue; }
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

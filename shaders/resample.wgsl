// Nearest-neighbour resize, NHWC (tf.image.resizeNearestNeighbor). Without alignCorners or
// halfPixelCenters output row i reads input row floor(i * inH / outH), in exact integer math;
// with either (MAPS), the source rows/columns come from tables built on the CPU (kernels/resample.ts).
// Modes (defines):
//   NEAREST       one thread per output element.
//   NEAREST_GRAD  one thread per input element: sums dy over the output rows/columns that read it
//                 (a contiguous range: the maps are non-decreasing), a gather: no atomics. Without
//                 MAPS, i in [ceil(h * outH / inH), ceil((h + 1) * outH / inH)).
//   MAPS          binding 1 holds int32 tables: rowMap[outH], colMap[outW], then the first and
//                 one-past-last output row of each input row (rowLo[inH], rowHi[inH]), and the
//                 same for columns (colLo[inW], colHi[inW]).
//   BILINEAR      (with MAPS) one thread per output element: tf.image.resizeBilinear from the
//                 tables of kernels/resample.ts bilinearMaps (rowLo, rowHi, rowFrac, colLo, colHi,
//                 colFrac; fractions as f32 bits), interpolating along x, then y, as tfjs.
//   BILINEAR_GRAD (with MAPS) one thread per input element: sums dy * weight over the output
//                 rows/columns whose lo or hi is this input's (a contiguous range per axis, from the
//                 tables' rowFirst/rowEnd, colFirst/colEnd), a gather: no atomics.
// V is f32, or vec4<f32> when C % 4 == 0 (then `c` counts vec4s: a quarter of the threads and
// index divisions, and vector loads; lavapipe runs the scalar form several times slower).
struct U { n: u32, inH: u32, inW: u32, c: u32, outH: u32, outW: u32, total: u32, p0: u32 }
@group(0) @binding(0) var<storage, read> x: array<{{V}}>;
#if MAPS
@group(0) @binding(1) var<storage, read> maps: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<{{V}}>;
@group(0) @binding(3) var<uniform> u: U;
#else
@group(0) @binding(1) var<storage, read_write> y: array<{{V}}>;
@group(0) @binding(2) var<uniform> u: U;
#endif

fn ceilDiv(a: u32, b: u32) -> u32 { return (a + b - 1u) / b; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.total) { return; }
  let c = i % u.c;
  var r = i / u.c;
#if NEAREST
  let ow = r % u.outW; r = r / u.outW;
  let oh = r % u.outH;
  let n = r / u.outH;
#if MAPS
  let ih = u32(maps[oh]);
  let iw = u32(maps[u.outH + ow]);
#else
  let ih = min(oh * u.inH / u.outH, u.inH - 1u);
  let iw = min(ow * u.inW / u.outW, u.inW - 1u);
#endif
  y[i] = x[((n * u.inH + ih) * u.inW + iw) * u.c + c];
#endif
#if NEAREST_GRAD
  // x is dy [N, outH, outW, C]; y is dx [N, inH, inW, C]
  let iw = r % u.inW; r = r / u.inW;
  let ih = r % u.inH;
  let n = r / u.inH;
#if MAPS
  let o = u.outH + u.outW;
  let h0 = u32(maps[o + ih]);
  let h1 = u32(maps[o + u.inH + ih]);
  let w0 = u32(maps[o + 2u * u.inH + iw]);
  let w1 = u32(maps[o + 2u * u.inH + u.inW + iw]);
#else
  let h0 = ceilDiv(ih * u.outH, u.inH);
  let h1 = min(ceilDiv((ih + 1u) * u.outH, u.inH), u.outH);
  let w0 = ceilDiv(iw * u.outW, u.inW);
  let w1 = min(ceilDiv((iw + 1u) * u.outW, u.inW), u.outW);
#endif
  var s = {{V}}(0.0);
  for (var oh = h0; oh < h1; oh++) {
    for (var ow = w0; ow < w1; ow++) { s += x[((n * u.outH + oh) * u.outW + ow) * u.c + c]; }
  }
  y[i] = s;
#endif
#if BILINEAR
  let ow = r % u.outW; r = r / u.outW;
  let oh = r % u.outH;
  let n = r / u.outH;
  let y0 = u32(maps[oh]);
  let y1 = u32(maps[u.outH + oh]);
  let fy = bitcast<f32>(maps[2u * u.outH + oh]);
  let cb = 3u * u.outH;
  let x0 = u32(maps[cb + ow]);
  let x1 = u32(maps[cb + u.outW + ow]);
  let fx = bitcast<f32>(maps[cb + 2u * u.outW + ow]);
  let r0 = (n * u.inH + y0) * u.inW;
  let r1 = (n * u.inH + y1) * u.inW;
  let tl = x[(r0 + x0) * u.c + c];
  let tr = x[(r0 + x1) * u.c + c];
  let bl = x[(r1 + x0) * u.c + c];
  let br = x[(r1 + x1) * u.c + c];
  let top = tl + (tr - tl) * fx;
  let bot = bl + (br - bl) * fx;
  y[i] = top + (bot - top) * fy;
#endif
#if BILINEAR_GRAD
  // x is dy [N, outH, outW, C]; y is dx [N, inH, inW, C]
  let iw = r % u.inW; r = r / u.inW;
  let ih = r % u.inH;
  let n = r / u.inH;
  let cb = 3u * u.outH;
  let g = cb + 3u * u.outW;
  let h0 = u32(maps[g + ih]);
  let h1 = u32(maps[g + u.inH + ih]);
  let w0 = u32(maps[g + 2u * u.inH + iw]);
  let w1 = u32(maps[g + 2u * u.inH + u.inW + iw]);
  var s = {{V}}(0.0);
  for (var oh = h0; oh < h1; oh++) {
    let fy = bitcast<f32>(maps[2u * u.outH + oh]);
    var wy = 0.0;
    if (u32(maps[oh]) == ih) { wy += 1.0 - fy; }
    if (u32(maps[u.outH + oh]) == ih) { wy += fy; }
    var row = {{V}}(0.0);
    for (var ow = w0; ow < w1; ow++) {
      let fx = bitcast<f32>(maps[cb + 2u * u.outW + ow]);
      var wx = 0.0;
      if (u32(maps[cb + ow]) == iw) { wx += 1.0 - fx; }
      if (u32(maps[cb + u.outW + ow]) == iw) { wx += fx; }
      row += x[((n * u.outH + oh) * u.outW + ow) * u.c + c] * wx;
    }
    s += row * wy;
  }
  y[i] = s;
#endif
}

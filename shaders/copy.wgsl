// Strided copy of 32-bit elements over a logical shape (rank <= 8):
//   y[dstOff + sum(c_d * ds_d)] = x[srcOff + sum(c_d * ss_d)]
// Serves transpose/permute, slice, concat (one dispatch per input) and broadcastTo.
struct U {
  n: u32, rank: u32, srcOff: u32, dstOff: u32,
  shape: array<vec4<u32>, 2>,
  ss: array<vec4<u32>, 2>,
  ds: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
@group(0) @binding(2) var<uniform> u: U;

fn at(v: array<vec4<u32>, 2>, i: u32) -> u32 { return v[i / 4u][i % 4u]; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.n) { return; }
  var rem = i;
  var s = u.srcOff;
  var d = u.dstOff;
  for (var k = i32(u.rank) - 1; k >= 0; k--) {
    let n = at(u.shape, u32(k));
    let q = rem / n;
    let c = rem - q * n;
    rem = q;
    s += c * at(u.ss, u32(k));
    d += c * at(u.ds, u32(k));
  }
  y[d] = x[s];
}

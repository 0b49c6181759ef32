// out = cond ? a : b with broadcasting of all three (where/select). Element type T; cond is u32.
struct U {
  n: u32, rank: u32, p0: u32, p1: u32,
  shape: array<vec4<u32>, 2>,
  sc: array<vec4<u32>, 2>,
  sa: array<vec4<u32>, 2>,
  sb: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<storage, read> cond: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(4) var<uniform> u: U;

fn at(v: array<vec4<u32>, 2>, i: u32) -> u32 { return v[i / 4u][i % 4u]; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.n) { return; }
  var rem = i;
  var ic = 0u;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let s = at(u.shape, u32(d));
    let q = rem / s;
    let k = rem - q * s;
    rem = q;
    ic += k * at(u.sc, u32(d));
    ia += k * at(u.sa, u32(d));
    ib += k * at(u.sb, u32(d));
  }
  out[i] = select(b[ib], a[ia], cond[ic] != 0u);
}

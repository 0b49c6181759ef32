// Padding of 32-bit elements (rank <= 8). MODE_CONST writes `value` outside the input;
// MODE_REFLECT mirrors without repeating the edge (numpy 'reflect', torch ReflectionPad);
// MODE_SYMMETRIC mirrors including the edge.
struct U {
  n: u32, rank: u32, value: u32, p0: u32,
  outShape: array<vec4<u32>, 2>,
  inShape: array<vec4<u32>, 2>,
  before: array<vec4<u32>, 2>,
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
  var src = 0u;
  var stride = 1u;
  var inside = true;
  for (var k = i32(u.rank) - 1; k >= 0; k--) {
    let n = at(u.outShape, u32(k));
    let q = rem / n;
    let c = i32(rem - q * n) - i32(at(u.before, u32(k)));
    rem = q;
    let m = i32(at(u.inShape, u32(k)));
#if MODE_CONST
    inside = inside && c >= 0 && c < m;
    let cc = u32(clamp(c, 0, m - 1));
#endif
#if MODE_REFLECT
    let r = abs(c);
    let cc = u32((m - 1) - abs((m - 1) - r));
#endif
#if MODE_SYMMETRIC
    let r = select(c, -c - 1, c < 0);
    let cc = u32(select(r, 2 * m - 1 - r, r >= m));
#endif
    src += cc * stride;
    stride *= u32(m);
  }
  y[i] = select(u.value, x[src], inside);
}

// Batch norm with given statistics (inference), channel-last:
//   y = act((x - mean[c]) * inverseSqrt(variance[c] + eps) * scale[c] + offset[c]),  c = i % C.
// HAS_OFFSET / HAS_SCALE: the optional parameters are present (their bindings are otherwise
// placeholders). ACT_relu / ACT_relu6: fused activation. Each thread handles K elements a
// grid-stride apart (as shaders/unary.wgsl). V is f32, or vec4<f32> when C % 4 == 0 (then n and
// c count vec4s).
struct U { n: u32, c: u32, eps: f32, p0: u32 }
@group(0) @binding(0) var<storage, read> x: array<{{V}}>;
@group(0) @binding(1) var<storage, read> mean: array<{{V}}>;
@group(0) @binding(2) var<storage, read> variance: array<{{V}}>;
@group(0) @binding(3) var<storage, read> offset: array<{{V}}>;
@group(0) @binding(4) var<storage, read> scale: array<{{V}}>;
@group(0) @binding(5) var<storage, read_write> y: array<{{V}}>;
@group(0) @binding(6) var<uniform> u: U;

override K: u32 = 4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  let stride = nw.x * nw.y * 64u;
  for (var k = 0u; k < K; k++) {
    let i = t + k * stride;
    if (i >= u.n) { return; }
    let c = i % u.c;
    var s = inverseSqrt(variance[c] + {{V}}(u.eps));
#if HAS_SCALE
    s = s * scale[c];
#endif
    var z = (x[i] - mean[c]) * s;
#if HAS_OFFSET
    z = z + offset[c];
#endif
#if ACT_relu
    z = max(z, {{V}}(0.0));
#endif
#if ACT_relu6
    z = clamp(z, {{V}}(0.0), {{V}}(6.0));
#endif
    y[i] = z;
  }
}

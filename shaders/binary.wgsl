// c = a OP b with numpy broadcasting. Defines: T (operand scalar type), TO (result scalar type),
// OP_<name>, and one mode:
//   (none)  same-shape operands, one element per thread; VEC4: four per thread
//   BCAST   general strided path, rank <= 8 after the kernel module merges dimensions
//   ROWS    the output as [rows, cols] with cols % 4 == 0: a thread owns one vec4 column of RP
//           rows (few index divisions per element; bench/lab/binary.ts); an operand
//           broadcast along the last dimension (A_SCALAR/B_SCALAR) is loaded once and splatted.
struct U {
  n: u32, rank: u32, rows: u32, cols: u32,
  shape: array<vec4<u32>, 2>,
  sa: array<vec4<u32>, 2>,
  sb: array<vec4<u32>, 2>,
}
#if VEC4
alias V = vec4<{{T}}>;
alias VO = vec4<{{TO}}>;
#else
alias V = {{T}};
alias VO = {{TO}};
#endif
#if A_SCALAR
@group(0) @binding(0) var<storage, read> a: array<{{T}}>;
#else
@group(0) @binding(0) var<storage, read> a: array<V>;
#endif
#if B_SCALAR
@group(0) @binding(1) var<storage, read> b: array<{{T}}>;
#else
@group(0) @binding(1) var<storage, read> b: array<V>;
#endif
@group(0) @binding(2) var<storage, read_write> c: array<VO>;
@group(0) @binding(3) var<uniform> u: U;

#if OP_add
fn apply(x: V, y: V) -> VO { return x + y; }
#endif
#if OP_sub
fn apply(x: V, y: V) -> VO { return x - y; }
#endif
#if OP_mul
fn apply(x: V, y: V) -> VO { return x * y; }
#endif
#if OP_div
fn apply(x: V, y: V) -> VO { return x / y; }
#endif
#if OP_squaredDifference
fn apply(x: V, y: V) -> VO { let d = x - y; return d * d; }
#endif
#if OP_maximum
// NaN propagates as in PyTorch (the builtin leaves NaN unspecified).
fn apply(x: V, y: V) -> VO {
#if FLOAT
  return select(max(x, y), x + y, is_nan(x) | is_nan(y));
#else
  return max(x, y);
#endif
}
#endif
#if OP_minimum
fn apply(x: V, y: V) -> VO {
#if FLOAT
  return select(min(x, y), x + y, is_nan(x) | is_nan(y));
#else
  return min(x, y);
#endif
}
#endif
#if OP_pow
// Real power with PyTorch's conventions: x^0 = 1, negative bases with integral exponents,
// 0^y = 0 for y > 0 and Inf for y < 0 (the builtin leaves a zero base undefined).
fn apply(x: V, y: V) -> VO {
  let inf = V(bitcast<f32>(0x7f800000u | (u.rank & 0u)));
  let r = select(pow(abs(x), y), select(inf, V(0.0), y > V(0.0)), x == V(0.0));
  let yi = round(y);
  let integral = yi == y;
  let odd = integral & (abs(yi - 2.0 * floor(yi * 0.5)) == V(1.0));
  let nan = V(bitcast<f32>(0x7fc00000u | (u.rank & 0u)));  // runtime NaN: a constant NaN is rejected by WGSL
  let neg = select(nan, select(r, -r, odd), integral);
  return select(select(r, neg, x < V(0.0)), V(1.0), y == V(0.0));
}
#endif
#if OP_equal
fn apply(x: V, y: V) -> VO { return VO(x == y); }
#endif
#if OP_notEqual
fn apply(x: V, y: V) -> VO { return VO(x != y); }
#endif
#if OP_less
fn apply(x: V, y: V) -> VO { return VO(x < y); }
#endif
#if OP_lessEqual
fn apply(x: V, y: V) -> VO { return VO(x <= y); }
#endif
#if OP_greater
fn apply(x: V, y: V) -> VO { return VO(x > y); }
#endif
#if OP_greaterEqual
fn apply(x: V, y: V) -> VO { return VO(x >= y); }
#endif
#if OP_logicalAnd
fn apply(x: V, y: V) -> VO { return VO((x != V(0)) & (y != V(0))); }
#endif
#if OP_logicalOr
fn apply(x: V, y: V) -> VO { return VO((x != V(0)) | (y != V(0))); }
#endif

#if FLOAT
// Bit test: `v != v` can be folded away by fast-math shader compilers.
fn is_nan(v: V) -> {{BOOLV}} { return (bitcast<{{UV}}>(v) & {{UV}}(0x7fffffffu)) > {{UV}}(0x7f800000u); }
#endif
fn at(v: array<vec4<u32>, 2>, i: u32) -> u32 { return v[i / 4u][i % 4u]; }

#if ROWS
override RP: u32 = 16u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  // thread = (block of RP rows, vec4 column): lanes walk adjacent columns, each loops down rows
  let t = gid.x + gid.y * nw.x * 64u;
  let per_row = u.cols / 4u;
  let blk = t / per_row;
  let c4 = t - blk * per_row;
  let r0 = blk * RP;
  if (r0 >= u.rows) { return; }
#if RANK2
  // [rows, cols]: offsets step by the row strides; an operand whose row stride is 0 is loaded once
  let sa0 = u.sa[0].x;
  let sb0 = u.sb[0].x;
#if A_SCALAR
  let va0 = V(a[r0 * sa0]);
#else
  let va0 = a[(r0 * sa0) / 4u + c4];
#endif
#if B_SCALAR
  let vb0 = V(b[r0 * sb0]);
#else
  let vb0 = b[(r0 * sb0) / 4u + c4];
#endif
  for (var r = r0; r < min(r0 + RP, u.rows); r++) {
    let v = r * per_row + c4;
#if A_FULL
    let va = a[v];
#else
#if A_ROWCONST
    let va = va0;
#else
#if A_SCALAR
    let va = V(a[r * sa0]);
#else
    let va = a[(r * sa0) / 4u + c4];
#endif
#endif
#endif
#if B_FULL
    let vb = b[v];
#else
#if B_ROWCONST
    let vb = vb0;
#else
#if B_SCALAR
    let vb = V(b[r * sb0]);
#else
    let vb = b[(r * sb0) / 4u + c4];
#endif
#endif
#endif
    c[v] = apply(va, vb);
  }
#else
  for (var r = r0; r < min(r0 + RP, u.rows); r++) {
    var rem = r;
    var ia = 0u;
    var ib = 0u;
    for (var d = i32(u.rank) - 2; d > 0; d--) {
      let s = at(u.shape, u32(d));
      let q = rem / s;
      let k = rem - q * s;
      rem = q;
      ia += k * at(u.sa, u32(d));
      ib += k * at(u.sb, u32(d));
    }
    if (u.rank > 1u) {
      ia += rem * u.sa[0].x;
      ib += rem * u.sb[0].x;
    }
    let v = r * per_row + c4;
#if A_FULL
    let va = a[v];
#else
#if A_SCALAR
    let va = V(a[ia]);
#else
    let va = a[ia / 4u + c4];
#endif
#endif
#if B_FULL
    let vb = b[v];
#else
#if B_SCALAR
    let vb = V(b[ib]);
#else
    let vb = b[ib / 4u + c4];
#endif
#endif
    c[v] = apply(va, vb);
  }
#endif
}
#else
#if BCAST
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.n) { return; }
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let s = at(u.shape, u32(d));
    let q = rem / s;
    let k = rem - q * s;
    rem = q;
    ia += k * at(u.sa, u32(d));
    ib += k * at(u.sb, u32(d));
  }
  c[i] = apply(a[ia], b[ib]);
}
#else
// Same shapes: K items per thread, a grid-stride apart (as in unary.wgsl).
override K: u32 = 4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  let stride = nw.x * nw.y * 64u;
  for (var k = 0u; k < K; k++) {
    let i = t + k * stride;
    if (i >= u.n) { return; }
    c[i] = apply(a[i], b[i]);
  }
}
#endif
#endif

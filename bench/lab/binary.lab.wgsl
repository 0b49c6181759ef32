struct U { rows: u32, cols: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> u: U;
#if TWO_D
@compute @workgroup_size(64, {{WY}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c4 = gid.x;
  let row = gid.y;
  let per_row = u.cols / 4u;
  if (c4 >= per_row || row >= u.rows) { return; }
  c[row * per_row + c4] = a[row * per_row + c4] + b[c4];
}
#endif
#if FDIV
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let v = gid.x + gid.y * nw.x * 256u;
  let per_row = u.cols / 4u;
  if (v >= u.rows * per_row) { return; }
  var row = u32(f32(v) * bitcast<f32>(u.p0));
  // fix up the float estimate
  if (row * per_row > v) { row -= 1u; }
  if ((row + 1u) * per_row <= v) { row += 1u; }
  let c4 = v - row * per_row;
  c[v] = a[v] + b[c4];
}
#endif
#if LOOP
// each thread handles one vec4 column for ROWS_PER rows
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let per_row = u.cols / 4u;
  let c4 = gid.x % per_row;
  let r0 = (gid.x / per_row) * {{RP}}u;
  if (r0 >= u.rows) { return; }
  let bv = b[c4];
  for (var r = r0; r < min(r0 + {{RP}}u, u.rows); r++) {
    c[r * per_row + c4] = a[r * per_row + c4] + bv;
  }
}
#endif
#if SAME_LOOP
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let n4 = u.rows * u.cols / 4u;
  let stride = nw.x * 64u;
  for (var k = 0u; k < {{K}}u; k++) {
    let i = gid.x + k * stride;
    if (i < n4) { c[i] = a[i] + b[i]; }
  }
}
#endif
#if SAME_BLOCK
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n4 = u.rows * u.cols / 4u;
  let base = wid.x * 64u * {{K}}u + lid;
  for (var k = 0u; k < {{K}}u; k++) {
    let i = base + k * 64u;
    if (i < n4) { c[i] = a[i] + b[i]; }
  }
}
#endif

// Sum of table rows per bag: out[b, :] = sum_f table[ids[b, f], :] (torch's EmbeddingBag, mode
// 'sum', bags of a fixed size F). One thread per (bag, column group); an id outside [0, V) adds
// nothing. The parser's precomputed hidden layer (docs/parser.md): each row of the table is a
// (feature position, id) pair's contribution to the hidden units, so a state's hidden
// pre-activation is one bag of 48 rows.
// VEC4: rows as vec4 (D % 4 == 0). ADD: out starts from `add` ([B, D], or one [D] row when ADD_ROW).
struct U { bags: u32, f: u32, v: u32, dv: u32 }
#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif
@group(0) @binding(0) var<storage, read> table: array<V>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
#if ADD
@group(0) @binding(2) var<storage, read> addend: array<V>;
@group(0) @binding(3) var<storage, read_write> out: array<V>;
@group(0) @binding(4) var<uniform> u: U;
#else
@group(0) @binding(2) var<storage, read_write> out: array<V>;
@group(0) @binding(3) var<uniform> u: U;
#endif

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 64u;
  if (i >= u.bags * u.dv) { return; }
  let b = i / u.dv;
  let j = i % u.dv;
#if ADD
#if ADD_ROW
  var acc = addend[j];
#else
  var acc = addend[i];
#endif
#else
  var acc = V(0.0);
#endif
  for (var k = 0u; k < u.f; k++) {
    let r = ids[b * u.f + k];
    if (r >= 0 && u32(r) < u.v) { acc += table[u32(r) * u.dv + j]; }
  }
  out[i] = acc;
}

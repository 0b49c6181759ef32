// Deterministic segment sum of rows, without float atomics: out[r] = sum of upd[i] over the items
// i with ids[i] = r, added in increasing i, for upd [M, D] and out [V, D] (the scatter-adds of the
// skip-gram and embedding gradients). Items whose id is outside [0, V) are dropped. Modes:
//   COUNT      one thread per item: cnt[id] += 1 (integer atomics: the counts are exact)
//   BLOCKSUM   one thread per block of 256 rows: bsum[b] = sum of their counts
//   SCANBLOCKS one thread: exclusive scan of bsum in place (bsum[nb] = number of valid items)
//   OFFSETS    one thread per block: cnt becomes the exclusive scan of the counts, cnt[V] = total
//   FILL       one thread per item: its slot in its row's segment of tmp, in any order
//   RANK       one thread per item: its rank among its segment's items (how many have a smaller
//              index) puts it at a fixed place in items: each segment ends up in increasing order
//   SUM        one thread per sorted item; the first of each row's segment writes out[r] = the sum of
//              the segment, in order (rows with no item keep the zeros of a clear)
// VEC4: rows of upd and out as vec4 (D % 4 == 0).
struct U { m: u32, v: u32, dv: u32, nb: u32 }
#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif
const BLOCK: u32 = 256u;

#if COUNT
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read_write> cnt: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> u: U;
#endif
#if BLOCKSUM
@group(0) @binding(0) var<storage, read> cnt: array<u32>;
@group(0) @binding(1) var<storage, read_write> bsum: array<u32>;
@group(0) @binding(2) var<uniform> u: U;
#endif
#if SCANBLOCKS
@group(0) @binding(0) var<storage, read_write> bsum: array<u32>;
@group(0) @binding(1) var<uniform> u: U;
#endif
#if OFFSETS
@group(0) @binding(0) var<storage, read> bsum: array<u32>;
@group(0) @binding(1) var<storage, read_write> cnt: array<u32>;
@group(0) @binding(2) var<uniform> u: U;
#endif
#if FILL
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> off: array<u32>;
@group(0) @binding(2) var<storage, read_write> cursor: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> tmp: array<u32>;
@group(0) @binding(4) var<uniform> u: U;
#endif
#if RANK
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read> off: array<u32>;
@group(0) @binding(2) var<storage, read> tmp: array<u32>;
@group(0) @binding(3) var<storage, read_write> items: array<u32>;
@group(0) @binding(4) var<uniform> u: U;
#endif
#if SUM
@group(0) @binding(0) var<storage, read> upd: array<V>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> off: array<u32>;
@group(0) @binding(3) var<storage, read> items: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<V>;
@group(0) @binding(5) var<uniform> u: U;
#endif

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
#if COUNT
  if (t >= u.m) { return; }
  let r = ids[t];
  if (r >= 0 && u32(r) < u.v) { atomicAdd(&cnt[r], 1u); }
#endif
#if BLOCKSUM
  if (t >= u.nb) { return; }
  var s = 0u;
  for (var e = t * BLOCK; e < min(u.v, (t + 1u) * BLOCK); e++) { s += cnt[e]; }
  bsum[t] = s;
#endif
#if SCANBLOCKS
  if (t != 0u) { return; }
  var run = 0u;
  for (var b = 0u; b < u.nb; b++) { let s = bsum[b]; bsum[b] = run; run += s; }
  bsum[u.nb] = run;
#endif
#if OFFSETS
  if (t >= u.nb) { return; }
  var run = bsum[t];
  for (var e = t * BLOCK; e < min(u.v, (t + 1u) * BLOCK); e++) { let c = cnt[e]; cnt[e] = run; run += c; }
  if (t + 1u == u.nb) { cnt[u.v] = run; }
#endif
#if FILL
  if (t >= u.m) { return; }
  let r = ids[t];
  if (r < 0 || u32(r) >= u.v) { return; }
  tmp[off[r] + atomicAdd(&cursor[r], 1u)] = t;
#endif
#if RANK
  if (t >= u.m) { return; }
  let r = ids[t];
  if (r < 0 || u32(r) >= u.v) { return; }
  let s = off[r];
  var rank = 0u;
  for (var q = s; q < off[r + 1]; q++) { rank += select(0u, 1u, tmp[q] < t); }
  items[s + rank] = t;
#endif
#if SUM
  if (t >= u.m || t >= off[u.v]) { return; }
  let r = u32(ids[items[t]]);
  if (t != off[r]) { return; }  // only the first item of a row's segment sums it
  let e = off[r + 1u];
  for (var j = 0u; j < u.dv; j++) {
    var acc = V(0.0);
    for (var p = t; p < e; p++) { acc += upd[items[p] * u.dv + j]; }
    out[r * u.dv + j] = acc;
  }
#endif
}

// One fused recurrent step (the 'fused' path of kernels/rnn.ts): W_hh h_{t-1} for every gate of
// hidden unit j, the gate nonlinearities and the state update, for NB sequences per invocation.
// Unlike rnn.wgsl's PERSISTENT loop, h_{t-1} arrives in its own read-only buffer (the caller
// alternates two), so the inner loop is one vec4 load of h per 4 k and per sequence, with no
// branch; c_{t-1} is slot t of cs, whose slot 0 the caller filled with c0.
// Layouts and gate orders as in rnn.wgsl; lens as there.
struct U { T: u32, N: u32, H: u32, t: u32 }
@group(0) @binding(0) var<storage, read> xp: array<f32>;          // [T, N, G*H]
#if VEC
@group(0) @binding(1) var<storage, read> whh: array<vec4<f32>>;   // [G*H, H / 4]
@group(0) @binding(2) var<storage, read> hp: array<vec4<f32>>;    // [N, H / 4]: h_{t-1}
#else
@group(0) @binding(1) var<storage, read> whh: array<f32>;         // [G*H, H]
@group(0) @binding(2) var<storage, read> hp: array<f32>;          // [N, H]
#endif
#if GRU
@group(0) @binding(3) var<storage, read> bhh: array<f32>;         // [3H]
@group(0) @binding(4) var<storage, read> lens: array<i32>;
@group(0) @binding(5) var<storage, read_write> hs: array<f32>;    // [T, N, H]
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;    // [N, H]: h_t
#if SAVE
@group(0) @binding(7) var<storage, read_write> gates: array<vec4<f32>>;
@group(0) @binding(8) var<uniform> u: U;
#else
@group(0) @binding(7) var<uniform> u: U;
#endif
const G: u32 = 3u;
#else
@group(0) @binding(3) var<storage, read> lens: array<i32>;
@group(0) @binding(4) var<storage, read_write> hs: array<f32>;
@group(0) @binding(5) var<storage, read_write> cs: array<f32>;    // [T + 1, N, H]
@group(0) @binding(6) var<storage, read_write> hn: array<f32>;
#if SAVE
@group(0) @binding(7) var<storage, read_write> gates: array<vec4<f32>>;
@group(0) @binding(8) var<uniform> u: U;
#else
@group(0) @binding(7) var<uniform> u: U;
#endif
const G: u32 = 4u;
#endif

override WG: u32 = 64u;
const NB: u32 = {{NB}}u;

fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

/** h_{t-1}[n, j] as a scalar */
fn hAt(n: u32, j: u32) -> f32 {
#if VEC
  return hp[(n * u.H + j) / 4u][j % 4u];
#else
  return hp[n * u.H + j];
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let item = gid.x + gid.y * nw.x * WG;
  let H = u.H;
  if (item >= ((u.N + NB - 1u) / NB) * H) { return; }
  let t = u.t;
  let blk = item / H;
  let j = item - blk * H;
  let n0 = blk * NB;
#if NB1
  // one sequence per invocation: plain registers (an accumulator array indexed in a loop may be
  // moved to scratch memory by the shader compiler)
  var acc0 = vec4<f32>(0.0);
#if VEC
  let H4 = H / 4u;
  let r0 = j * H4;
  let hb = min(n0, u.N - 1u) * H4;
  for (var k4 = 0u; k4 < H4; k4++) {
    let hv = hp[hb + k4];
#if GRU
    acc0 += vec4<f32>(dot(whh[r0 + k4], hv), dot(whh[r0 + H * H4 + k4], hv), dot(whh[r0 + 2u * H * H4 + k4], hv), 0.0);
#else
    acc0 += vec4<f32>(dot(whh[r0 + k4], hv), dot(whh[r0 + H * H4 + k4], hv), dot(whh[r0 + 2u * H * H4 + k4], hv), dot(whh[r0 + 3u * H * H4 + k4], hv));
#endif
  }
#else
  let hb = min(n0, u.N - 1u) * H;
  for (var k = 0u; k < H; k++) {
#if GRU
    let w = vec4<f32>(whh[j * H + k], whh[(H + j) * H + k], whh[(2u * H + j) * H + k], 0.0);
#else
    let w = vec4<f32>(whh[j * H + k], whh[(H + j) * H + k], whh[(2u * H + j) * H + k], whh[(3u * H + j) * H + k]);
#endif
    acc0 += w * hp[hb + k];
  }
#endif
  var acc = array<vec4<f32>, NB>(acc0);
#else
  var acc: array<vec4<f32>, NB>;
  var base: array<u32, NB>;
#if VEC
  let H4 = H / 4u;
  for (var b = 0u; b < NB; b++) { acc[b] = vec4<f32>(0.0); base[b] = min(n0 + b, u.N - 1u) * H4; }
  let r0 = j * H4;
  for (var k4 = 0u; k4 < H4; k4++) {
    let wi = whh[r0 + k4];
    let wf = whh[r0 + H * H4 + k4];
    let wg = whh[r0 + 2u * H * H4 + k4];
#if GRU
    let wo = vec4<f32>(0.0);
#else
    let wo = whh[r0 + 3u * H * H4 + k4];
#endif
    for (var b = 0u; b < NB; b++) {
      let hv = hp[base[b] + k4];
      acc[b] += vec4<f32>(dot(wi, hv), dot(wf, hv), dot(wg, hv), dot(wo, hv));
    }
  }
#else
  for (var b = 0u; b < NB; b++) { acc[b] = vec4<f32>(0.0); base[b] = min(n0 + b, u.N - 1u) * H; }
  for (var k = 0u; k < H; k++) {
#if GRU
    let w = vec4<f32>(whh[j * H + k], whh[(H + j) * H + k], whh[(2u * H + j) * H + k], 0.0);
#else
    let w = vec4<f32>(whh[j * H + k], whh[(H + j) * H + k], whh[(2u * H + j) * H + k], whh[(3u * H + j) * H + k]);
#endif
    for (var b = 0u; b < NB; b++) { acc[b] += w * hp[base[b] + k]; }
  }
#endif
#endif
  for (var b = 0u; b < NB; b++) {
    let n = n0 + b;
    if (n >= u.N) { break; }
    let idx = n * H + j;
    let here = t * u.N * H + idx;
    let xb = (t * u.N + n) * G * H + j;
    let hprev = hAt(n, j);
    var h: f32;
    if (i32(t) >= lens[n]) {
      h = hprev;
#if !GRU
      cs[here + u.N * H] = cs[here];
#endif
#if SAVE
      gates[here] = vec4<f32>(0.0);
#endif
    } else {
#if GRU
      let r = sigm(xp[xb] + acc[b].x + bhh[j]);
      let z = sigm(xp[xb + H] + acc[b].y + bhh[H + j]);
      let hn_ = acc[b].z + bhh[2u * H + j];
      let nv = tanh(xp[xb + 2u * H] + r * hn_);
      h = (1.0 - z) * nv + z * hprev;
#if SAVE
      gates[here] = vec4<f32>(r, z, nv, hn_);
#endif
#else
      let i = sigm(xp[xb] + acc[b].x);
      let f = sigm(xp[xb + H] + acc[b].y);
      let g = tanh(xp[xb + 2u * H] + acc[b].z);
      let o = sigm(xp[xb + 3u * H] + acc[b].w);
      let c = f * cs[here] + i * g;
      cs[here + u.N * H] = c;
      h = o * tanh(c);
#if SAVE
      gates[here] = vec4<f32>(i, f, g, o);
#endif
#endif
    }
    hs[here] = h;
    hn[idx] = h;
  }
}

// The elementwise half of a recurrent step when the recurrent product W_hh h_{t-1} was computed
// by kiln's tuned matmul (hw = h_{t-1} W_hh^T, [N, G*H]): gate nonlinearities and the state
// update for every (n, j), one invocation each. This path wins for larger batches, where the
// product is a real matrix multiplication; rnn.wgsl fuses both for small ones.
// `hst` [N, H] holds h_{t-1} on entry and h_t on exit (each invocation updates only its own
// element), ready for the next step's matmul. Layouts and gate orders as in rnn.wgsl.
struct U { T: u32, N: u32, H: u32, t: u32 }
@group(0) @binding(0) var<storage, read> xp: array<f32>;         // [T, N, G*H]
@group(0) @binding(1) var<storage, read> hw: array<f32>;         // [N, G*H]
#if GRU
@group(0) @binding(2) var<storage, read> bhh: array<f32>;        // [3H]
#else
@group(0) @binding(2) var<storage, read> c0: array<f32>;         // [N, H]
#endif
@group(0) @binding(3) var<storage, read> lens: array<i32>;       // [N]
@group(0) @binding(4) var<storage, read_write> hs: array<f32>;   // [T, N, H]
@group(0) @binding(5) var<storage, read_write> hst: array<f32>;  // [N, H]
#if GRU
#if SAVE
@group(0) @binding(6) var<storage, read_write> gates: array<vec4<f32>>;
@group(0) @binding(7) var<uniform> u: U;
#else
@group(0) @binding(6) var<uniform> u: U;
#endif
const G: u32 = 3u;
#else
@group(0) @binding(6) var<storage, read_write> cs: array<f32>;   // [T + 1, N, H]
#if SAVE
@group(0) @binding(7) var<storage, read_write> gates: array<vec4<f32>>;
@group(0) @binding(8) var<uniform> u: U;
#else
@group(0) @binding(7) var<uniform> u: U;
#endif
const G: u32 = 4u;
#endif

override WG: u32 = 64u;

fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let item = gid.x + gid.y * nw.x * WG;
  let H = u.H;
  if (item >= u.N * H) { return; }
  let t = u.t;
  let n = item / H;
  let j = item - n * H;
  let here = t * u.N * H + item;
  let xb = (t * u.N + n) * G * H + j;
  let hb = n * G * H + j;
  let hp = hst[item];
#if GRU
  if (i32(t) >= lens[n]) {
    hs[here] = hp;
#if SAVE
    gates[here] = vec4<f32>(0.0);
#endif
    return;
  }
  let r = sigm(xp[xb] + hw[hb] + bhh[j]);
  let z = sigm(xp[xb + H] + hw[hb + H] + bhh[H + j]);
  let hn = hw[hb + 2u * H] + bhh[2u * H + j];
  let nv = tanh(xp[xb + 2u * H] + r * hn);
  let h = (1.0 - z) * nv + z * hp;
#if SAVE
  gates[here] = vec4<f32>(r, z, nv, hn);
#endif
#else
  var cp: f32;
  if (t == 0u) { cp = c0[item]; cs[here] = cp; } else { cp = cs[here]; }
  let cnext = here + u.N * H;
  if (i32(t) >= lens[n]) {
    hs[here] = hp;
    cs[cnext] = cp;
#if SAVE
    gates[here] = vec4<f32>(0.0);
#endif
    return;
  }
  let i = sigm(xp[xb] + hw[hb]);
  let f = sigm(xp[xb + H] + hw[hb + H]);
  let g = tanh(xp[xb + 2u * H] + hw[hb + 2u * H]);
  let o = sigm(xp[xb + 3u * H] + hw[hb + 3u * H]);
  let c = f * cp + i * g;
  cs[cnext] = c;
  let h = o * tanh(c);
#if SAVE
  gates[here] = vec4<f32>(i, f, g, o);
#endif
#endif
  hs[here] = h;
  hst[item] = h;
}

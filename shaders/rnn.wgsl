// Fused recurrent steps for LSTM (PyTorch gates i,f,g,o) and GRU (r,z,n; reset applied to the
// hidden projection after the matmul, as PyTorch/cuDNN). The input projection of every time step
// was done before as one large matmul (xp = x W_ih^T + biases, PyTorch's gate-block order), so
// a step multiplies the previous hidden state by W_hh (PyTorch layout [G*H, H], read as is),
// applies the gate nonlinearities and updates the state, all in one invocation per hidden unit.
//
// An invocation owns hidden unit j of NB sequences: every W_hh row it loads (4 contiguous floats
// at a time with VEC) serves all NB sequences, so the weights are read N/NB times per step
// instead of N times.
//
// This is the 'persistent' path: one workgroup loops over all T steps itself (a storage barrier
// between steps), so a whole sequence is one dispatch. The per-step 'fused' path is rnn_step.wgsl.
// Variable lengths: for t >= lens[n] the state is carried unchanged (hs[t] = hs[t-1]); the caller
// zeroes those outputs, so hs[T-1] is the state after each sequence's last valid step.
struct U { T: u32, N: u32, H: u32, t: u32 }
@group(0) @binding(0) var<storage, read> xp: array<f32>;         // [T, N, G*H]
#if VEC
@group(0) @binding(1) var<storage, read> whh: array<vec4<f32>>;  // [G*H, H / 4]
#else
@group(0) @binding(1) var<storage, read> whh: array<f32>;        // [G*H, H]
#endif
@group(0) @binding(2) var<storage, read> h0: array<f32>;         // [N, H]
#if GRU
@group(0) @binding(3) var<storage, read> bhh: array<f32>;        // [3*H]: b_hr, b_hz, b_hn
#else
@group(0) @binding(3) var<storage, read> c0: array<f32>;         // [N, H]
#endif
@group(0) @binding(4) var<storage, read> lens: array<i32>;       // [N]
@group(0) @binding(5) var<storage, read_write> hs: array<f32>;   // [T, N, H]
#if !GRU
@group(0) @binding(6) var<storage, read_write> cs: array<f32>;   // [T + 1, N, H]: slot 0 = c0
#endif
#if SAVE
// post-activation gates for the backward pass: LSTM (i, f, g, o), GRU (r, z, n, W_hn h + b_hn)
@group(0) @binding({{B_GATES}}) var<storage, read_write> gates: array<vec4<f32>>;
#endif
@group(0) @binding({{B_U}}) var<uniform> u: U;

override WG: u32 = 64u;
const NB: u32 = {{NB}}u;
#if GRU
const G: u32 = 3u;
#else
const G: u32 = 4u;
#endif

fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

/** h_{t-1}[n, k] */
fn hprev(t: u32, n: u32, k: u32) -> f32 {
  if (t == 0u) { return h0[n * u.H + k]; }
  return hs[((t - 1u) * u.N + n) * u.H + k];
}

fn step(t: u32, item: u32) {
  let H = u.H;
  let blk = item / H;
  let j = item - blk * H;
  let n0 = blk * NB;
  // W_hh h_{t-1} for unit j's gates, for NB sequences (rows past N read sequence N-1, unused)
  var acc: array<vec4<f32>, NB>;
  var nn_: array<u32, NB>;
  for (var b = 0u; b < NB; b++) { acc[b] = vec4<f32>(0.0); nn_[b] = min(n0 + b, u.N - 1u); }
#if VEC
  let H4 = H / 4u;
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
    let k = 4u * k4;
    for (var b = 0u; b < NB; b++) {
      let n = nn_[b];
      let hv = vec4<f32>(hprev(t, n, k), hprev(t, n, k + 1u), hprev(t, n, k + 2u), hprev(t, n, k + 3u));
      acc[b] += vec4<f32>(dot(wi, hv), dot(wf, hv), dot(wg, hv), dot(wo, hv));
    }
  }
#else
  for (var k = 0u; k < H; k++) {
#if GRU
    let w = vec4<f32>(whh[j * H + k], whh[(H + j) * H + k], whh[(2u * H + j) * H + k], 0.0);
#else
    let w = vec4<f32>(whh[j * H + k], whh[(H + j) * H + k], whh[(2u * H + j) * H + k], whh[(3u * H + j) * H + k]);
#endif
    for (var b = 0u; b < NB; b++) { acc[b] += w * hprev(t, nn_[b], k); }
  }
#endif
  for (var b = 0u; b < NB; b++) {
    let n = n0 + b;
    if (n >= u.N) { break; }
    let here = (t * u.N + n) * H + j;
    let xb = (t * u.N + n) * G * H + j;
    let hp = hprev(t, n, j);
#if GRU
    if (i32(t) >= lens[n]) {
      hs[here] = hp;
#if SAVE
      gates[here] = vec4<f32>(0.0);
#endif
      continue;
    }
    let r = sigm(xp[xb] + acc[b].x + bhh[j]);
    let z = sigm(xp[xb + H] + acc[b].y + bhh[H + j]);
    let hn = acc[b].z + bhh[2u * H + j];
    let nv = tanh(xp[xb + 2u * H] + r * hn);
    hs[here] = (1.0 - z) * nv + z * hp;
#if SAVE
    gates[here] = vec4<f32>(r, z, nv, hn);
#endif
#else
    var cp: f32;
    if (t == 0u) { cp = c0[n * H + j]; cs[here] = cp; } else { cp = cs[here]; }
    let cnext = here + u.N * H;
    if (i32(t) >= lens[n]) {
      hs[here] = hp;
      cs[cnext] = cp;
#if SAVE
      gates[here] = vec4<f32>(0.0);
#endif
      continue;
    }
    let i = sigm(xp[xb] + acc[b].x);
    let f = sigm(xp[xb + H] + acc[b].y);
    let g = tanh(xp[xb + 2u * H] + acc[b].z);
    let o = sigm(xp[xb + 3u * H] + acc[b].w);
    let c = f * cp + i * g;
    cs[cnext] = c;
    hs[here] = o * tanh(c);
#if SAVE
    gates[here] = vec4<f32>(i, f, g, o);
#endif
#endif
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let items = ((u.N + NB - 1u) / NB) * u.H;
  for (var t = 0u; t < u.T; t++) {
    for (var item = lid.x; item < items; item += WG) { step(t, item); }
    storageBarrier();
  }
}

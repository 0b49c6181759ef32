// Backpropagation through time for the fused LSTM/GRU steps of rnn.wgsl, one step per dispatch
// (t = T-1 down to 0, then t = -1 which only writes the gradient of the initial state), or all
// of them in one workgroup (PERSISTENT). Invocation (block of NB sequences, unit k):
//   dh[n, k] = upstream[t, n, k] + carried[n, k] + sum_r dgh[t+1, n, r] * W_hh[r, k]
// (neighbouring invocations read neighbouring W_hh columns; each load serves NB sequences),
// then the cell's local derivatives give the pre-activation gradients of step t in PyTorch's
// gate-block order, which the caller turns into weight gradients with matmuls over all steps.
// State carried between steps lives in `st`: LSTM [dh carry, dc carry, dh0, dc0] x [N, H];
// GRU [dh carry, dh0] x [N, H]. Padded steps (t >= lens[n]) pass dh and dc through unchanged.
struct U { T: u32, N: u32, H: u32, t: i32 }
@group(0) @binding(0) var<storage, read> up: array<f32>;           // [T, N, H] d loss / d hs
@group(0) @binding(1) var<storage, read> gates: array<vec4<f32>>;  // [T, N, H] saved by rnn.wgsl
#if GRU
@group(0) @binding(2) var<storage, read> hsx: array<f32>;          // [T + 1, N, H]: h0, hs
#else
@group(0) @binding(2) var<storage, read> cs: array<f32>;           // [T + 1, N, H]: c0, cs
#endif
@group(0) @binding(3) var<storage, read> whh: array<f32>;          // [G*H, H]
@group(0) @binding(4) var<storage, read> lens: array<i32>;         // [N]
#if GRU
@group(0) @binding(5) var<storage, read_write> dgx: array<f32>;    // [T, N, 3H] input side
@group(0) @binding(6) var<storage, read_write> dgh: array<f32>;    // [T, N, 3H] hidden side (n: times r)
@group(0) @binding(7) var<storage, read_write> st: array<f32>;
@group(0) @binding(8) var<uniform> u: U;
const G: u32 = 3u;
#else
@group(0) @binding(5) var<storage, read_write> dgh: array<f32>;    // [T, N, 4H]
@group(0) @binding(6) var<storage, read_write> st: array<f32>;
@group(0) @binding(7) var<uniform> u: U;
const G: u32 = 4u;
#endif

override WG: u32 = 64u;
const NB: u32 = {{NB}}u;

fn step(t: i32, item: u32) {
  let H = u.H;
  let NH = u.N * H;
  let GH = G * H;
  let blk = item / H;
  let k = item - blk * H;
  let n0 = blk * NB;
  var acc: array<f32, NB>;
  var nn_: array<u32, NB>;
  for (var b = 0u; b < NB; b++) { acc[b] = 0.0; nn_[b] = min(n0 + b, u.N - 1u); }
  if (t + 1 < i32(u.T)) {
    let gb = u32(t + 1) * u.N * GH;
    for (var r = 0u; r < GH; r++) {
      let w = whh[r * H + k];
      for (var b = 0u; b < NB; b++) { acc[b] += dgh[gb + nn_[b] * GH + r] * w; }
    }
  }
  for (var b = 0u; b < NB; b++) {
    let n = n0 + b;
    if (n >= u.N) { break; }
    let idx = n * H + k;
    var dh = st[idx] + acc[b];
    if (t < 0) {
#if GRU
      st[NH + idx] = dh;
#else
      st[2u * NH + idx] = dh;
      st[3u * NH + idx] = st[NH + idx];
#endif
      continue;
    }
    dh += up[u32(t) * NH + idx];
    let here = u32(t) * NH + idx;
    let gx = (u32(t) * u.N + n) * GH + k;
    if (t >= lens[n]) {
      st[idx] = dh;
      for (var g = 0u; g < G; g++) {
        dgh[gx + g * H] = 0.0;
#if GRU
        dgx[gx + g * H] = 0.0;
#endif
      }
      continue;
    }
    let gv = gates[here];
#if GRU
    let r = gv.x; let z = gv.y; let nv = gv.z; let hn = gv.w;
    let dnp = dh * (1.0 - z) * (1.0 - nv * nv);
    let dr = dnp * hn * r * (1.0 - r);
    let dz = dh * (hsx[here] - nv) * z * (1.0 - z);
    dgx[gx] = dr; dgx[gx + H] = dz; dgx[gx + 2u * H] = dnp;
    dgh[gx] = dr; dgh[gx + H] = dz; dgh[gx + 2u * H] = dnp * r;
    st[idx] = dh * z;
#else
    let i = gv.x; let f = gv.y; let g = gv.z; let o = gv.w;
    let tc = tanh(cs[here + NH]);
    let dc = st[NH + idx] + dh * o * (1.0 - tc * tc);
    dgh[gx] = dc * g * i * (1.0 - i);
    dgh[gx + H] = dc * cs[here] * f * (1.0 - f);
    dgh[gx + 2u * H] = dc * i * (1.0 - g * g);
    dgh[gx + 3u * H] = dh * tc * o * (1.0 - o);
    st[NH + idx] = dc * f;
    st[idx] = 0.0;
#endif
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(num_workgroups) nw: vec3<u32>) {
  let items = ((u.N + NB - 1u) / NB) * u.H;
#if PERSISTENT
  for (var t = i32(u.T) - 1; t >= -1; t--) {
    for (var item = lid.x; item < items; item += WG) { step(t, item); }
    storageBarrier();
  }
#else
  let item = gid.x + gid.y * nw.x * WG;
  if (item < items) { step(u.t, item); }
#endif
}

// The elementwise half of a BPTT step when the recurrent product was computed by kiln's matmul:
// dhr = dg_{t+1} W_hh ([N, H]) arrives as an input; this kernel adds the upstream gradient and
// the carried one, applies the cell's local derivatives, and writes step t's pre-activation
// gradients twice: into the [T, N, G*H] sequence (for the weight gradients) and into `dgn`
// [N, G*H], the hidden-side gradient the next matmul needs (GRU: its n block times r).
// st: LSTM [dh carry, dc carry] x [N, H]; GRU [dh carry] x [N, H]. Layouts as in rnn_grad.wgsl.
struct U { T: u32, N: u32, H: u32, t: u32 }
@group(0) @binding(0) var<storage, read> up: array<f32>;           // [T, N, H]
@group(0) @binding(1) var<storage, read> gates: array<vec4<f32>>;  // [T, N, H]
#if GRU
@group(0) @binding(2) var<storage, read> hsx: array<f32>;          // [T + 1, N, H]: h0, hs
const G: u32 = 3u;
#else
@group(0) @binding(2) var<storage, read> cs: array<f32>;           // [T + 1, N, H]: c0, cs
const G: u32 = 4u;
#endif
@group(0) @binding(3) var<storage, read> dhr: array<f32>;          // [N, H]
@group(0) @binding(4) var<storage, read> lens: array<i32>;         // [N]
@group(0) @binding(5) var<storage, read_write> dg: array<f32>;     // [T, N, G*H] (GRU: input side)
@group(0) @binding(6) var<storage, read_write> dgn: array<f32>;    // [N, G*H]
@group(0) @binding(7) var<storage, read_write> st: array<f32>;
@group(0) @binding(8) var<uniform> u: U;

override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let item = gid.x + gid.y * nw.x * WG;
  let H = u.H;
  let NH = u.N * H;
  if (item >= NH) { return; }
  let t = u.t;
  let n = item / H;
  let j = item - n * H;
  let here = t * NH + item;
  let gx = (t * u.N + n) * G * H + j;
  let gn = n * G * H + j;
  let dh = st[item] + dhr[item] + up[here];
  if (i32(t) >= lens[n]) {
    st[item] = dh;
    for (var g = 0u; g < G; g++) { dg[gx + g * H] = 0.0; dgn[gn + g * H] = 0.0; }
    return;
  }
  let gv = gates[here];
#if GRU
  let r = gv.x; let z = gv.y; let nv = gv.z; let hn = gv.w;
  let dnp = dh * (1.0 - z) * (1.0 - nv * nv);
  let dr = dnp * hn * r * (1.0 - r);
  let dz = dh * (hsx[here] - nv) * z * (1.0 - z);
  dg[gx] = dr; dg[gx + H] = dz; dg[gx + 2u * H] = dnp;
  dgn[gn] = dr; dgn[gn + H] = dz; dgn[gn + 2u * H] = dnp * r;
  st[item] = dh * z;
#else
  let i = gv.x; let f = gv.y; let g = gv.z; let o = gv.w;
  let tc = tanh(cs[here + NH]);
  let dc = st[NH + item] + dh * o * (1.0 - tc * tc);
  let di = dc * g * i * (1.0 - i);
  let df = dc * cs[here] * f * (1.0 - f);
  let dgg = dc * i * (1.0 - g * g);
  let do_ = dh * tc * o * (1.0 - o);
  dg[gx] = di; dg[gx + H] = df; dg[gx + 2u * H] = dgg; dg[gx + 3u * H] = do_;
  dgn[gn] = di; dgn[gn + H] = df; dgn[gn + 2u * H] = dgg; dgn[gn + 3u * H] = do_;
  st[NH + item] = dc * f;
  st[item] = 0.0;
#endif
}

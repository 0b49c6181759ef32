// Optimizer kernels (kernels/optim.ts). Parameter updates are one fused pass per variable: read
// the gradient and the optimizer state, write the variable and the state in place. Every
// hyper-parameter is a uniform, so a new learning rate (or step, for Adam's bias correction)
// never compiles a pipeline. Variants (OP_<name>):
//   sgd       p -= lr*g
//   momentum  buf = first ? g : mom*buf + (1-damp)*g;  p -= lr*(nesterov ? g + mom*buf : buf)
//   adam      m, v (and vmax with AMSGRAD);  p -= step_size * m / (sqrt(v)/bc2_sqrt + eps)
//   rmsprop   sq (grad_avg with CENTERED, buf with MOMENTUM)
//   adagrad   sum of squares
//   sumsq     partial sums of squares (global norm, first pass): grid-stride, one per thread
//   norm      sqrt of the sum of all partials (one workgroup)
//   scale     y = x * min(1, max_norm / (norm + 1e-6))  (clipByGlobalNorm)
//   axpy      p = (FROM ? x0[off0 + i] : p) + alpha * d[off + i]  (L-BFGS steps on flat vectors)
// In the update variants g is first scaled by the clip coefficient (CLIP: the global norm is
// read from a buffer, so nothing waits on the CPU), then g += wd*p (L2), then p *= decay
// (decoupled decay, AdamW). The binding number of each buffer is a define (B_<name>), since
// the set of state buffers depends on the variant; the kernel module assigns them in order.
// flags: bit 0 the variable's first step (momentum), bit 1 Nesterov.
struct U {
  n: u32, off: u32, threads: u32, flags: u32,
  lr: f32, wd: f32, decay: f32, max_norm: f32,
  mom: f32, damp: f32, beta1: f32, beta2: f32,
  eps: f32, step_size: f32, bc2_sqrt: f32, alpha: f32,
}

#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif

#if UPDATE
@group(0) @binding(0) var<storage, read> g: array<V>;
#if CLIP
@group(0) @binding(1) var<storage, read> gnorm: array<f32>;
#endif
@group(0) @binding({{B_p}}) var<storage, read_write> p: array<V>;
#endif
#if OP_momentum
@group(0) @binding({{B_buf}}) var<storage, read_write> buf: array<V>;
#endif
#if OP_adam
@group(0) @binding({{B_m}}) var<storage, read_write> m: array<V>;
@group(0) @binding({{B_v}}) var<storage, read_write> v: array<V>;
#if AMSGRAD
@group(0) @binding({{B_vmax}}) var<storage, read_write> vmax: array<V>;
#endif
#endif
#if OP_rmsprop
@group(0) @binding({{B_sq}}) var<storage, read_write> sq: array<V>;
#if CENTERED
@group(0) @binding({{B_ga}}) var<storage, read_write> ga: array<V>;
#endif
#if MOMENTUM
@group(0) @binding({{B_buf}}) var<storage, read_write> buf: array<V>;
#endif
#endif
#if OP_adagrad
@group(0) @binding({{B_sum}}) var<storage, read_write> acc: array<V>;
#endif
#if UPDATE
@group(0) @binding({{B_u}}) var<uniform> u: U;

// The clipped, L2-regularised gradient.
fn grad_at(i: u32, p0: V) -> V {
#if CLIP
  let coef = min(1.0, u.max_norm / (gnorm[0] + 1e-6));
  return g[i] * coef + u.wd * p0;
#else
  return g[i] + u.wd * p0;
#endif
}

fn update(i: u32) {
  let p0 = p[i];
  let gi = grad_at(i, p0);
  let pd = p0 * u.decay;
#if OP_sgd
  p[i] = pd - u.lr * gi;
#endif
#if OP_momentum
  // PyTorch: the buffer starts as the first gradient (no dampening on that step).
  var b = gi;
  if ((u.flags & 1u) == 0u) { b = u.mom * buf[i] + (1.0 - u.damp) * gi; }
  buf[i] = b;
  var step = b;
  if ((u.flags & 2u) != 0u) { step = gi + u.mom * b; }
  p[i] = pd - u.lr * step;
#endif
#if OP_adam
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * gi;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
#if AMSGRAD
  let vm = max(vmax[i], vi);
  vmax[i] = vm;
  let denom = sqrt(vm) / u.bc2_sqrt + u.eps;
#else
  let denom = sqrt(vi) / u.bc2_sqrt + u.eps;
#endif
  p[i] = pd - u.step_size * mi / denom;
#endif
#if OP_rmsprop
  let s = u.alpha * sq[i] + (1.0 - u.alpha) * gi * gi;
  sq[i] = s;
#if CENTERED
  let a = u.alpha * ga[i] + (1.0 - u.alpha) * gi;
  ga[i] = a;
  // E[g^2] - E[g]^2 >= 0 in exact arithmetic; rounding may dip below zero
  let avg = sqrt(max(s - a * a, V(0.0))) + u.eps;
#else
  let avg = sqrt(s) + u.eps;
#endif
#if MOMENTUM
  let b = u.mom * buf[i] + gi / avg;
  buf[i] = b;
  p[i] = pd - u.lr * b;
#else
  p[i] = pd - u.lr * gi / avg;
#endif
#endif
#if OP_adagrad
  let s = acc[i] + gi * gi;
  acc[i] = s;
  p[i] = pd - u.lr * gi / (sqrt(s) + u.eps);
#endif
}

// K items per thread a grid-stride apart, as the elementwise kernels.
override K: u32 = 4u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  let stride = nw.x * nw.y * 64u;
  for (var k = 0u; k < K; k++) {
    let i = t + k * stride;
    if (i >= u.n) { return; }
    update(i);
  }
}
#endif

#if OP_sumsq
// n items (vec4s with VEC4); `threads` partial sums written at partials[off + t]. Thread t
// sums items t, t + threads, ...: lanes read adjacent items in every step.
@group(0) @binding(0) var<storage, read> x: array<V>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let t = gid.x + gid.y * nw.x * 64u;
  let threads = u.threads;
  if (t >= threads) { return; }
  var s = V(0.0);
  for (var i = t; i < u.n; i += threads) { s += x[i] * x[i]; }
#if VEC4
  partials[u.off + t] = (s.x + s.y) + (s.z + s.w);
#else
  partials[u.off + t] = s;
#endif
}
#endif

#if OP_norm
// norm[0] = sqrt(sum of n partials), one workgroup.
@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> norm: array<f32>;
@group(0) @binding(2) var<uniform> u: U;

var<workgroup> sh: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < u.n; i += 64u) { s += partials[i]; }
  sh[lid] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w = w / 2u) {
    if (lid < w) { sh[lid] = sh[lid] + sh[lid + w]; }
    workgroupBarrier();
  }
  if (lid == 0u) { norm[0] = sqrt(sh[0]); }
}
#endif

#if OP_scale
@group(0) @binding(0) var<storage, read> x: array<V>;
@group(0) @binding(1) var<storage, read> gnorm: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<V>;
@group(0) @binding(3) var<uniform> u: U;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 64u;
  if (i >= u.n) { return; }
  y[i] = x[i] * min(1.0, u.max_norm / (gnorm[0] + 1e-6));
}
#endif

#if OP_axpy
// Flat vectors are read at element offsets, so this variant is scalar.
@group(0) @binding(0) var<storage, read> d: array<f32>;
#if FROM
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read_write> p: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
#else
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
#endif

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 64u;
  if (i >= u.n) { return; }
#if FROM
  p[i] = x0[u.off + i] + u.alpha * d[u.off + i];
#else
  p[i] = p[i] + u.alpha * d[u.off + i];
#endif
}
#endif

// Debug mode (kiln.setDebug({ checkNumerics: true })): flags the first op whose float32 output
// holds NaN or Inf. flag keeps max(0xffffffff - opId) so the earliest op wins; 0 means clean.
struct U { n: u32, id: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> flag: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.n) { return; }
  // exponent bits all ones: Inf or NaN (a bit test survives fast-math compilation)
  if ((x[i] & 0x7f800000u) == 0x7f800000u) {
    atomicMax(&flag[0], 0xffffffffu - u.id);
  }
}

// Fills a buffer with one value (bit pattern given as u32, so every dtype shares one pipeline).
struct U { n: u32, bits: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@group(0) @binding(1) var<uniform> u: U;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.n) { return; }
  y[i] = u.bits;
}

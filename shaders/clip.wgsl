// clip (tf.clipByValue) and its gradient, one thread per LANES elements.
//
// clip:      y = lo where x < lo, hi where x > hi, else x. Written as two selects rather than
//            clamp(), which WGSL leaves implementation-defined for NaN: here NaN passes through,
//            as in TensorFlow.js.
// clip_grad: dx = dy where lo ≤ x ≤ hi, else 0 (TensorFlow.js's rule: the bounds themselves pass;
//            NaN inputs get 0).
//
// Compiled once per lane width with src/gpu/lanes.ts's prelude (V, LANES); the host picks 4 or 2
// elements per thread when they divide the size, and counts `size` in those vectors. The bounds
// may be ±∞ (a clip on one side only). A 2-D grid of workgroups covers tensors beyond 65,535 × 256
// vectors.

struct Params {
  size: u32,
  lo: f32,
  hi: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> y: array<V>;
@group(0) @binding(3) var<storage, read> dy: array<V>;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@compute @workgroup_size(256)
fn clip(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let v = x[i];
  let lo = V(params.lo);
  let hi = V(params.hi);
  y[i] = select(select(v, lo, v < lo), hi, v > hi);
}

// Writes dx into y.
@compute @workgroup_size(256)
fn clip_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let v = x[i];
  y[i] = select(V(0.0), dy[i], (v >= V(params.lo)) & (v <= V(params.hi)));
}

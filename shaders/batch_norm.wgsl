// Batch normalisation with given statistics (inference, or training once the batch moments are
// computed), over the last axis of x, in one fused pass with one thread per LANES elements:
//   y = (x − mean[c]) · scale[c] / sqrt(variance[c] + epsilon) + offset[c],   c = i mod channels,
// the formula of TensorFlow.js's `tf.batchNorm`. A missing offset or scale is an override constant
// set to false (the host binds another read-only buffer in its place), so it costs nothing.
// Compiled once per lane width with src/gpu/lanes.ts's prelude (V, LANES): a thread does LANES
// neighbouring channels (4 or 2 where they divide the channels), and params counts in vectors.
// A 2-D grid of workgroups covers tensors beyond 65,535 × 256 vectors.

struct Params {
  size: u32,
  channels: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> y: array<V>;
@group(0) @binding(3) var<storage, read> mean: array<V>;
@group(0) @binding(4) var<storage, read> variance: array<V>;
@group(0) @binding(5) var<storage, read> offset: array<V>;
@group(0) @binding(6) var<storage, read> scale: array<V>;

override HAS_OFFSET: bool = true;
override HAS_SCALE: bool = true;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@compute @workgroup_size(256)
fn batch_norm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let c = i % params.channels;
  var s = 1.0 / sqrt(variance[c] + V(params.epsilon));
  if (HAS_SCALE) { s *= scale[c]; }
  var v = (x[i] - mean[c]) * s;
  if (HAS_OFFSET) { v += offset[c]; }
  y[i] = v;
}

// Batch normalisation with given statistics (inference, or training once the batch moments are
// computed), over the last axis of x, in one fused pass with one thread per element:
//   y = (x − mean[c]) · scale[c] / sqrt(variance[c] + epsilon) + offset[c],   c = i mod channels,
// the formula of TensorFlow.js's `tf.batchNorm`. A missing offset or scale is an override constant
// set to false (the host binds another read-only buffer in its place), so it costs nothing.
// batch_norm_vec4 does 4 neighbouring channels per thread through vec4 views when the channels
// come in fours; it is a separate entry point so that y and its view y4 are never bound together.
// A 2-D grid of workgroups covers tensors beyond 65,535 × 256 elements (or vec4s).

struct Params {
  size: u32,
  channels: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read> offset: array<f32>;
@group(0) @binding(6) var<storage, read> scale: array<f32>;
@group(0) @binding(7) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> y4: array<vec4<f32>>;
@group(0) @binding(9) var<storage, read> mean4: array<vec4<f32>>;
@group(0) @binding(10) var<storage, read> variance4: array<vec4<f32>>;
@group(0) @binding(11) var<storage, read> offset4: array<vec4<f32>>;
@group(0) @binding(12) var<storage, read> scale4: array<vec4<f32>>;

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
  var s = 1.0 / sqrt(variance[c] + params.epsilon);
  if (HAS_SCALE) { s *= scale[c]; }
  var v = (x[i] - mean[c]) * s;
  if (HAS_OFFSET) { v += offset[c]; }
  y[i] = v;
}

@compute @workgroup_size(256)
fn batch_norm_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let c = i % params.channels;
  var s = 1.0 / sqrt(variance4[c] + vec4<f32>(params.epsilon));
  if (HAS_SCALE) { s *= scale4[c]; }
  var v = (x4[i] - mean4[c]) * s;
  if (HAS_OFFSET) { v += offset4[c]; }
  y4[i] = v;
}

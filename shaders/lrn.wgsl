// Local response normalisation across the last (channel) axis, and its gradient. For channel c of
// a pixel, with the window W(c) = [c − before, c + after] clipped to [0, channels):
//   d_c = bias + alpha · Σ_{j ∈ W(c)} x_j²,     y_c = x_c · d_c^(−beta).
// TensorFlow's depth_radius r is before = after = r; ONNX's LRN (size, alpha) is before =
// floor((size − 1) / 2), after = ceil((size − 1) / 2) and alpha / size (src/ops/lrn.ts).
//
// The gradient: x_k enters its own output and, squared, the denominators of every channel i whose
// window holds it (i ∈ [k − after, k + before]), so
//   dx_k = dy_k · d_k^(−beta) − 2 · alpha · beta · x_k · Σ_{i ∈ [k − after, k + before]} t_i,
//   t_i = dy_i · x_i · d_i^(−beta − 1).
// lrn_grad_terms writes every t_i, lrn_grad gathers them: two passes of O(window) per element
// instead of one of O(window²), with no atomics.
//
// One thread per element; a pixel's channels are contiguous, so neighbouring threads read
// neighbouring values. A 2-D grid of workgroups covers tensors beyond 65,535 × 256 elements.

struct Params {
  size: u32,
  channels: u32,
  before: u32,
  after: u32,
  bias: f32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
// The gradient's t_i, written by lrn_grad_terms and read by lrn_grad.
@group(0) @binding(4) var<storage, read_write> terms: array<f32>;

// pow is specified only for finite inputs (SwiftShader's pow(NaN, −0.75) is 4.7e−30): pow_ieee
// keeps a NaN denominator NaN and takes ∞^−β as 0, so x = ∞ gives ∞ · 0 = NaN, as in TF.js.
// #include "include/ieee.wgsl"

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

// d_c for element i: the first and last channel of its window, clipped, then the sum of squares.
fn denominator(i: u32) -> f32 {
  let c = i % params.channels;
  let row = i - c;
  let lo = row + select(c - params.before, 0u, c < params.before);
  let hi = row + min(c + params.after, params.channels - 1u);
  var s = 0.0;
  for (var j = lo; j <= hi; j++) {
    let v = x[j];
    s += v * v;
  }
  return params.bias + params.alpha * s;
}

@compute @workgroup_size(256)
fn lrn(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  y[i] = x[i] * pow_ieee(denominator(i), -params.beta);
}

@compute @workgroup_size(256)
fn lrn_grad_terms(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  terms[i] = dy[i] * x[i] * pow_ieee(denominator(i), -params.beta - 1.0);
}

// Writes dx into y.
@compute @workgroup_size(256)
fn lrn_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let k = linear_index(gid, groups);
  if (k >= params.size) { return; }
  let c = k % params.channels;
  let row = k - c;
  // The channels whose windows hold c: [c − after, c + before], clipped.
  let lo = row + select(c - params.after, 0u, c < params.after);
  let hi = row + min(c + params.before, params.channels - 1u);
  var s = 0.0;
  for (var i = lo; i <= hi; i++) {
    s += terms[i];
  }
  y[k] = dy[k] * pow_ieee(denominator(k), -params.beta) - 2.0 * params.alpha * params.beta * x[k] * s;
}

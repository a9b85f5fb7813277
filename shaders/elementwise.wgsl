// Unary activations and their gradients, one thread per element, and the scalar forms of the
// binary ops (x + α, x · α, α − x, x / α, α / x) with the scalar carried in the uniforms, so a
// constant operand costs no upload and no second buffer.
//
// The op is an override constant, so each activation compiles to its own pipeline with the switch
// folded away; there is one source for all of them and no per-element branch at run time.
// A 2-D grid of workgroups covers tensors beyond 65,535 × 256 elements: the linear index is
// x + y × (number of workgroups in x) × 256.
//
// NaN passes through every op and every activation gradient as in TensorFlow.js (relu(NaN) is NaN,
// and so is its gradient there), told by its bits: see include/ieee.wgsl for why max, clamp, exp
// and log cannot be trusted with it.

// #include "include/ieee.wgsl"

struct Params {
  size: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// For gradients: dy, and x holds the forward input (relu, leaky relu) or output (sigmoid, tanh).
@group(0) @binding(3) var<storage, read> dy: array<f32>;

// 0 relu, 1 leaky relu, 2 sigmoid, 3 tanh, 4 neg, 5 exp, 6 log, 7 square, 8 sqrt, 9 abs, 10 relu6,
// 11 rsqrt, 12 x + α, 13 x · α, 14 α − x, 15 x / α, 16 α / x
override OP: u32 = 0u;

fn forward(v: f32) -> f32 {
  switch OP {
    case 0u: { return select(max(v, 0.0), v, is_nan(v)); }
    case 1u: { return select(params.alpha * v, v, v >= 0.0); }
    case 2u: {
      // Written per sign so exp never overflows.
      if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
      let e = exp(v);
      return e / (1.0 + e);
    }
    case 3u: {
      // tanh(v) = sign(v)(1 - e)/(1 + e) with e = exp(-2|v|), which stays finite for any v.
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
    case 4u: { return -v; }
    case 5u: { return exp_ieee(v); }
    case 6u: { return log_ieee(v); }
    case 7u: { return v * v; }
    case 8u: { return sqrt(v); }
    case 9u: { return abs(v); }
    case 10u: { return select(clamp(v, 0.0, 6.0), v, is_nan(v)); }
    // 1 / sqrt rather than inverseSqrt, whose result WGSL leaves undefined at 0 (TF.js gives +Inf).
    case 11u: { return 1.0 / sqrt(v); }
    case 12u: { return v + params.alpha; }
    case 13u: { return v * params.alpha; }
    case 14u: { return params.alpha - v; }
    case 15u: { return v / params.alpha; }
    case 16u: { return params.alpha / v; }
    default: { return v; }
  }
}

fn backward(g: f32, v: f32) -> f32 {
  switch OP {
    // TF.js multiplies dy by step(x), which is NaN at NaN; v is NaN exactly then.
    case 0u: { return select(select(0.0, g, v > 0.0), v, is_nan(v)); }
    case 1u: { return select(params.alpha * g, g, v > 0.0); }
    case 2u: { return g * v * (1.0 - v); }
    case 3u: { return g * (1.0 - v * v); }
    case 10u: { return select(select(0.0, g, v > 0.0 && v < 6.0), v, is_nan(v)); }
    default: { return g; }
  }
}

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@compute @workgroup_size(256)
fn unary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  y[i] = forward(x[i]);
}

@compute @workgroup_size(256)
fn unary_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  y[i] = backward(dy[i], x[i]);
}

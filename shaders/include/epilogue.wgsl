// A fused epilogue, shared by conv2d.wgsl, depthwise_conv2d.wgsl and matmul.wgsl (expanded into
// each by tools/wgsl-module.mjs): a bias along the output's last axis, then an activation, applied
// as the kernel stores each value. HAS_BIAS and ACT are override constants, so a pipeline made
// without them folds to the plain store. The including file declares `bias` (a read-only storage
// array: the bias, or any buffer when HAS_BIAS is 0) and passes its alpha uniform.

// #include "ieee.wgsl"

override HAS_BIAS: u32 = 0u;
// A single bias value for every channel (a bias of shape [1]).
override BIAS_SCALAR: u32 = 0u;
// 0 linear, 1 relu, 2 relu6, 3 leaky relu (slope alpha), 4 sigmoid, 5 tanh: src/ops/epilogue.ts.
override ACT: u32 = 0u;

// The same formulas as elementwise.wgsl, so a fused layer equals its unfused ops value for value,
// NaN included (max and clamp may drop a NaN: ieee.wgsl).
fn activate(v: f32, alpha: f32) -> f32 {
  switch ACT {
    case 1u: { return select(max(v, 0.0), v, is_nan(v)); }
    case 2u: { return select(clamp(v, 0.0, 6.0), v, is_nan(v)); }
    case 3u: { return select(alpha * v, v, v >= 0.0); }
    case 4u: {
      if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
      let e = exp(v);
      return e / (1.0 + e);
    }
    case 5u: {
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
    default: { return v; }
  }
}

fn epilogue(v: f32, channel: u32, alpha: f32) -> f32 {
  var r = v;
  if (HAS_BIAS == 1u) { r += bias[select(channel, 0u, BIAS_SCALAR == 1u)]; }
  return activate(r, alpha);
}

// Four consecutive channels from `channel0`.
fn epilogue4(v: vec4<f32>, channel0: u32, alpha: f32) -> vec4<f32> {
  return vec4<f32>(
    epilogue(v.x, channel0, alpha), epilogue(v.y, channel0 + 1u, alpha),
    epilogue(v.z, channel0 + 2u, alpha), epilogue(v.w, channel0 + 3u, alpha));
}

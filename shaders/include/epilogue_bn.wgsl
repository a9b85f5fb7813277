// A fused epilogue with an inference batch normalisation between the bias and the activation, for
// conv2d.wgsl (expanded into it by tools/wgsl-module.mjs): a Conv2D followed by a
// BatchNormalization (and an activation) stores
//   activate((v + bias[c] − mean[c]) · scale[c] / sqrt(variance[c] + epsilon) + offset[c])
// in the conv's own dispatch. The statistics are read as the kernel runs, not folded into a copy
// of the filter beforehand, so nothing can go stale when training, an optimiser or setWeights
// writes the conv's or the normalisation's weights in place. The normalisation is written as
// batch_norm.wgsl writes it, so the fused value equals the unfused one (up to the compiler's
// contraction into fma). HAS_BN, BN_SCALE and BN_OFFSET are override constants: without HAS_BN
// this is `epilogue`. The including file declares the read-only storage arrays `bn_mean`,
// `bn_variance`, `bn_scale` and `bn_offset` (any buffer where absent) and passes epsilon.
// Four more storage buffers: the includer's entry points must stay within the 8 a shader stage is
// guaranteed (the conv2d entries bind 4 besides these; the depthwise kernels bind 6, so they cannot).

// #include "epilogue.wgsl"

override HAS_BN: u32 = 0u;
override BN_SCALE: u32 = 1u;
override BN_OFFSET: u32 = 1u;

fn epilogue_bn(v: f32, channel: u32, alpha: f32, epsilon: f32) -> f32 {
  if (HAS_BN == 0u) { return epilogue(v, channel, alpha); }
  var r = v;
  if (HAS_BIAS == 1u) { r += bias[select(channel, 0u, BIAS_SCALAR == 1u)]; }
  var s = 1.0 / sqrt(bn_variance[channel] + epsilon);
  if (BN_SCALE == 1u) { s *= bn_scale[channel]; }
  r = (r - bn_mean[channel]) * s;
  if (BN_OFFSET == 1u) { r += bn_offset[channel]; }
  return activate(r, alpha);
}

// Four consecutive channels from `channel0`.
fn epilogue_bn4(v: vec4<f32>, channel0: u32, alpha: f32, epsilon: f32) -> vec4<f32> {
  return vec4<f32>(
    epilogue_bn(v.x, channel0, alpha, epsilon), epilogue_bn(v.y, channel0 + 1u, alpha, epsilon),
    epilogue_bn(v.z, channel0 + 2u, alpha, epsilon), epilogue_bn(v.w, channel0 + 3u, alpha, epsilon));
}

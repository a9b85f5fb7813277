// NaN and ±∞ kept as IEEE 754 and TensorFlow.js keep them, for kernels that would otherwise lose
// them (expanded into each by tools/wgsl-module.mjs). WGSL lets an implementation assume floats
// are finite: max, min and clamp may return either operand for a NaN (SwiftShader returns the
// other one, so max(NaN, 0) is 0), `v != v` may fold to false, and exp, log and pow are specified
// only for finite inputs (SwiftShader's exp(NaN) is +∞, its log(−1) is 0 and its log(0) −88).
// So NaN is told by its bits, and the special values come from bit patterns held in variables,
// since WGSL rejects non-finite constant expressions.

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_pos_inf(v: f32) -> bool {
  return bitcast<u32>(v) == 0x7f800000u;
}

fn nan_f32() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

fn inf_f32() -> f32 {
  var bits = 0x7f800000u;
  return bitcast<f32>(bits);
}

fn exp_ieee(v: f32) -> f32 {
  return select(exp(v), v, is_nan(v));
}

// NaN below 0 (and for NaN), −∞ at ±0, +∞ at +∞.
fn log_ieee(v: f32) -> f32 {
  if (is_nan(v) || v < 0.0) { return nan_f32(); }
  if (v == 0.0) { return -inf_f32(); }
  if (is_pos_inf(v)) { return v; }
  return log(v);
}

// d^e for d ≥ 0 or NaN (a sum of squares plus a bias): NaN stays NaN, and +∞ gives 0, 1 or +∞ by
// the sign of e.
fn pow_ieee(d: f32, e: f32) -> f32 {
  if (is_nan(d)) { return d; }
  if (is_pos_inf(d)) { return select(select(d, 1.0, e == 0.0), 0.0, e < 0.0); }
  return pow(d, e);
}

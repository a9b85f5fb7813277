// Records the first training step whose loss is NaN or ±Inf, on the GPU, so that a training loop
// can read its loss only every N steps and still name the exact step where it went wrong.
// flag[0] = 0 while every loss so far was finite, else the failing step + 1.

struct Params {
  step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> loss: array<u32>;
@group(0) @binding(2) var<storage, read_write> flag: array<u32>;

@compute @workgroup_size(1)
fn record_non_finite() {
  // All exponent bits set is NaN or Inf in IEEE 754 binary32; the bits are read as u32 because
  // WGSL implementations may assume floats are finite and fold isNan-style comparisons away.
  let non_finite = (loss[0] & 0x7f800000u) == 0x7f800000u;
  if (non_finite && flag[0] == 0u) {
    flag[0] = params.step + 1u;
  }
}

// Optimizer steps, one thread per parameter element, updating the parameter in place.
//
//   sgd       param ← param − lr·grad                                   (tf.train.sgd)
//   momentum  accum ← momentum·accum + grad;  param ← param − lr·accum  (tf.train.momentum)
//   adam      m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
//             param ← param − lr·(m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε)  (tf.train.adam)
//
// Each thread reads and writes only its own element of param and of the state buffers, so one
// read_write binding per buffer is race-free. Adam's step t (1 for the first update) arrives as
// the two bias corrections 1 − β1ᵗ and 1 − β2ᵗ in the uniforms, computed in float64 on the CPU
// (exact for any t, and no pow() of a zero β, which WGSL leaves undefined); a step uploads nothing.
// Each entry reads its own uniform struct at its own binding. A 2-D grid covers parameters beyond
// 65,535 × 256 elements.

struct SgdParams {
  size: u32,
  lr: f32,
}

struct MomentumParams {
  size: u32,
  lr: f32,
  momentum: f32,
}

struct AdamParams {
  size: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  // 1 − β1ᵗ and 1 − β2ᵗ.
  correction1: f32,
  correction2: f32,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
// momentum: the accumulation; adam: the first moment.
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
// adam: the second moment.
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> sgd_params: SgdParams;
@group(0) @binding(5) var<uniform> momentum_params: MomentumParams;
@group(0) @binding(6) var<uniform> adam_params: AdamParams;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

@compute @workgroup_size(256)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= sgd_params.size) { return; }
  param[i] = param[i] - sgd_params.lr * grad[i];
}

@compute @workgroup_size(256)
fn momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= momentum_params.size) { return; }
  let acc = momentum_params.momentum * m[i] + grad[i];
  m[i] = acc;
  param[i] = param[i] - momentum_params.lr * acc;
}

@compute @workgroup_size(256)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  let p = adam_params;
  if (i >= p.size) { return; }
  let g = grad[i];
  let m1 = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let v1 = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = m1;
  v[i] = v1;
  let m_hat = m1 / p.correction1;
  let v_hat = v1 / p.correction2;
  param[i] = param[i] - p.lr * m_hat / (sqrt(v_hat) + p.epsilon);
}

// Elementwise add, sub and mul with NumPy broadcasting, one thread per output element.
//
// Three entry points, from cheapest to most general; the host picks the first that fits:
//   same_shape    - a and b have the output's shape: y[i] = a[i] op b[i].
//   broadcast_run - one side has the output's shape and the other covers one contiguous run of the
//                   output's dims (a bias [c] onto NHWC, or [c, 1, 1] onto NCHW): that side's
//                   index is (i / inner) % n, so no per-dimension arithmetic is needed.
//   strided       - anything else: the output index is split into coordinates, innermost dim
//                   first, and each side's index is their dot product with its strides (0 where
//                   it broadcasts). The host merges dims first, so the rank here is usually 2 or 3
//                   even for rank-6 inputs.
// Each entry reads its own uniform struct at its own binding; the pipeline's 'auto' layout holds
// only what the entry uses. The op is an override constant, so each op compiles to its own
// pipeline with the switch folded away. A 2-D grid covers outputs beyond 65,535 × 256 elements.
// ACT applies relu or relu6 to each result as it is written (a residual block's add and its
// activation in one dispatch, for inference); NaN stays NaN through it.

// #include "include/ieee.wgsl"

struct SameParams {
  size: u32,
}

struct RunParams {
  size: u32,
  // The broadcast side has n elements, each repeated over `inner` consecutive outputs.
  n: u32,
  inner: u32,
}

// Dims are stored innermost first: component k of lo/hi is dim (rank - 1 - k) of the output.
struct StridedParams {
  size: u32,
  rank: u32,
  shape_lo: vec4<u32>,
  shape_hi: vec4<u32>,
  a_strides_lo: vec4<u32>,
  a_strides_hi: vec4<u32>,
  b_strides_lo: vec4<u32>,
  b_strides_hi: vec4<u32>,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> same_params: SameParams;
@group(0) @binding(4) var<uniform> run_params: RunParams;
@group(0) @binding(5) var<uniform> strided_params: StridedParams;

// 0 add, 1 sub, 2 mul, 3 div
override OP: u32 = 0u;
// For broadcast_run: true when b is the broadcast side, false when a is.
override B_BROADCAST: bool = true;
// 0 none, 1 relu, 2 relu6
override ACT: u32 = 0u;

fn combine(u: f32, v: f32) -> f32 {
  switch OP {
    case 1u: { return u - v; }
    case 2u: { return u * v; }
    case 3u: { return u / v; }
    default: { return u + v; }
  }
}

fn apply(u: f32, v: f32) -> f32 {
  let r = combine(u, v);
  switch ACT {
    case 1u: { return select(max(r, 0.0), r, is_nan(r)); }
    case 2u: { return select(clamp(r, 0.0, 6.0), r, is_nan(r)); }
    default: { return r; }
  }
}

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

fn pick(lo: vec4<u32>, hi: vec4<u32>, k: u32) -> u32 {
  if (k < 4u) { return lo[k]; }
  return hi[k - 4u];
}

@compute @workgroup_size(256)
fn same_shape(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= same_params.size) { return; }
  y[i] = apply(a[i], b[i]);
}

@compute @workgroup_size(256)
fn broadcast_run(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= run_params.size) { return; }
  let j = (i / run_params.inner) % run_params.n;
  if (B_BROADCAST) {
    y[i] = apply(a[i], b[j]);
  } else {
    y[i] = apply(a[j], b[i]);
  }
}

@compute @workgroup_size(256)
fn strided(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  let p = strided_params;
  if (i >= p.size) { return; }
  var rest = i;
  var ai = 0u;
  var bi = 0u;
  for (var k = 0u; k < p.rank; k++) {
    let dim = pick(p.shape_lo, p.shape_hi, k);
    let coord = rest % dim;
    rest = rest / dim;
    ai += coord * pick(p.a_strides_lo, p.a_strides_hi, k);
    bi += coord * pick(p.b_strides_lo, p.b_strides_hi, k);
  }
  y[i] = apply(a[ai], b[bi]);
}

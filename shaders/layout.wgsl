// Index remapping: copies that move values to new positions without arithmetic on them
// (pad, slice, concat, transpose). One thread per output vector of LANES values.
//
// window_copy - pad and slice are one operation: every output coordinate maps to the input
//   coordinate out + off along each dim (off = −before for pad, off = begin for slice); outputs
//   whose coordinate falls outside the input take `value`. The host folds dims first: dims of size 1
//   become a constant base offset, and a dim merges into its outer neighbour when it is copied
//   whole, so padding H and W of NHWC runs with rank 3 (n, h, w·c) and a slice of rows with rank 1.
//   Dims are stored innermost first: component k of lo/hi is the k-th innermost folded dim.
//   Each dim carries its own stride in x, so a transpose is the same copy with x's strides
//   permuted (off = 0); output dims that stay neighbours in x fold the same way.
// concat_part - one input of a concat: viewed as [outer, in_inner], it lands in the output viewed as
//   [outer, out_inner] at column `offset`. One dispatch per input, so any number of inputs works
//   within the limit on storage bindings.
// Compiled once per lane width with src/gpu/lanes.ts's prelude (V, LANES): the host picks 4 or 2
// values per thread when every extent, offset and stride of the innermost dim divides by it
// (channels in fours, as in most layers), and counts every size and index in those units. Each
// entry reads its own uniform struct at its own binding; an entry's bind group layout holds only
// the bindings it uses.
// A 2-D grid of workgroups covers outputs beyond 65,535 × 256 elements.

struct WindowParams {
  size: u32,
  rank: u32,
  // Index in x of the first copied element (the folded size-1 dims' offsets).
  base: u32,
  value: f32,
  out_lo: vec4<u32>,
  out_hi: vec4<u32>,
  in_lo: vec4<u32>,
  in_hi: vec4<u32>,
  off_lo: vec4<i32>,
  off_hi: vec4<i32>,
  stride_lo: vec4<u32>,
  stride_hi: vec4<u32>,
}

struct ConcatParams {
  size: u32,
  in_inner: u32,
  out_inner: u32,
  offset: u32,
}

@group(0) @binding(0) var<storage, read> x: array<V>;
@group(0) @binding(1) var<storage, read_write> y: array<V>;
@group(0) @binding(4) var<uniform> window_params: WindowParams;
@group(0) @binding(5) var<uniform> concat_params: ConcatParams;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

fn pick_u(lo: vec4<u32>, hi: vec4<u32>, k: u32) -> u32 {
  if (k < 4u) { return lo[k]; }
  return hi[k - 4u];
}

fn pick_i(lo: vec4<i32>, hi: vec4<i32>, k: u32) -> i32 {
  if (k < 4u) { return lo[k]; }
  return hi[k - 4u];
}

// The index in x that output i copies, or −1 when it lies outside x (padding).
fn window_source(i: u32) -> i32 {
  let p = window_params;
  var rest = i;
  var src = p.base;
  var inside = true;
  for (var k = 0u; k < p.rank; k++) {
    let dim = pick_u(p.out_lo, p.out_hi, k);
    let c = i32(rest % dim) + pick_i(p.off_lo, p.off_hi, k);
    rest = rest / dim;
    inside = inside && c >= 0 && c < i32(pick_u(p.in_lo, p.in_hi, k));
    src += u32(c) * pick_u(p.stride_lo, p.stride_hi, k);
  }
  return select(-1, i32(src), inside);
}

@compute @workgroup_size(256)
fn window_copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= window_params.size) { return; }
  let src = window_source(i);
  y[i] = select(V(window_params.value), x[max(src, 0)], src >= 0);
}

@compute @workgroup_size(256)
fn concat_part(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  let p = concat_params;
  if (i >= p.size) { return; }
  y[(i / p.in_inner) * p.out_inner + p.offset + i % p.in_inner] = x[i];
}

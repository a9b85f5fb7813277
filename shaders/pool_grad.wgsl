// Gradients of 2-D max and average pooling (shaders/pool.wgsl) with respect to the NHWC input,
// one thread per input element, channel fastest, so loads of dy and x are coalesced. No atomics:
// each thread gathers from the outputs whose windows contain its pixel instead of the outputs
// scattering into the input. A 2-D grid of workgroups covers more than 65,535 × 256 elements.
//
// Pixel row ih lies in the window of output row oh when oh·s − p ≤ ih < oh·s − p + k, that is
// for oh in [ceil((ih + p − k + 1) / s), floor((ih + p) / s)], clamped to the output; columns
// likewise. Windows are clipped to the input exactly as in the forward pass.
//
// max: dy of a window goes to its first maximum in row-major order (the forward keeps a value only
// when strictly greater), as TensorFlow.js's CPU MaxPoolGrad does. Where windows do not overlap,
// max_pool_grad re-scans the one window containing its pixel: the pixel is that window's first
// maximum iff it beats −∞, no earlier element is ≥ it and no later one is > it. NaN compares
// false both ways, so NaNs never win and never block, as in the forward. Where they overlap,
// pool.wgsl's max_pool_argmax first records each window's first maximum and
// max_pool_grad_argmax compares indices, one per covering window, instead of rescanning them.
// avg: each in-bounds element of a window receives dy / (the window's in-bounds count), the true
// gradient of the forward's mean (TensorFlow.js divides by k_h·k_w even where a window overlaps
// padding, which is not the gradient of its own forward).
//
// The _vec4 entry points serve channels % 4 == 0: one thread computes 4 neighbouring channels of
// one input pixel through vec4 views of the same buffers (x4, dy4, dx4), so the covering-window
// arithmetic runs once per 4 outputs; params.size then counts vec4s. Every comparison is
// componentwise and keeps the scalar rule of each lane exactly.

struct Params {
  size: u32,
  channels: i32,
  batch: i32, // unread: the batch is implied by size; windowParams fills it for every window shader
  in_h: i32,
  in_w: i32,
  out_h: i32,
  out_w: i32,
  k_h: i32,
  k_w: i32,
  stride_h: i32,
  stride_w: i32,
  pad_top: i32,
  pad_left: i32,
}

@group(0) @binding(0) var<uniform> params: Params;
// The forward input (max only).
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
// Each window's first maximum as a flat index into x, or -1 (pool.wgsl's max_pool_argmax).
@group(0) @binding(4) var<storage, read> argmax: array<i32>;
// vec4 views of x, dy and dx, bound only by the _vec4 entry points (channels % 4 == 0).
@group(0) @binding(5) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> dx4: array<vec4<f32>>;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

struct Pixel {
  b: i32,
  h: i32,
  w: i32,
  c: i32,
}

fn pixel_of(i: i32) -> Pixel {
  let c = i % params.channels;
  var r = i / params.channels;
  let w = r % params.in_w;
  r = r / params.in_w;
  return Pixel(r / params.in_h, r % params.in_h, w, c);
}

// First and last output index along one axis whose window contains input index `at`.
fn covering(at: i32, k: i32, stride: i32, pad: i32, out_len: i32) -> vec2<i32> {
  let lo_num = at + pad - k + 1;
  let lo = select(0, (lo_num + stride - 1) / stride, lo_num > 0);
  let hi = min((at + pad) / stride, out_len - 1);
  return vec2<i32>(lo, hi);
}

fn dy_index(p: Pixel, oh: i32, ow: i32) -> i32 {
  return ((p.b * params.out_h + oh) * params.out_w + ow) * params.channels + p.c;
}

// Whether pixel p, holding `mine`, is the first maximum of the window of output (oh, ow).
fn is_first_max(p: Pixel, mine: f32, oh: i32, ow: i32) -> bool {
  let top = oh * params.stride_h - params.pad_top;
  let left = ow * params.stride_w - params.pad_left;
  let base = p.b * params.in_h * params.in_w * params.channels + p.c;
  for (var h = max(top, 0); h < min(top + params.k_h, params.in_h); h++) {
    let row = base + h * params.in_w * params.channels;
    for (var w = max(left, 0); w < min(left + params.k_w, params.in_w); w++) {
      let v = x[row + w * params.channels];
      let earlier = h < p.h || (h == p.h && w < p.w);
      if ((earlier && v >= mine) || (!earlier && v > mine)) { return false; }
    }
  }
  return true;
}

@compute @workgroup_size(256)
fn max_pool_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let mine = x[i];
  var neg_inf_bits = 0xff800000u;
  var acc = 0.0;
  // −∞ and NaN are never taken by the forward's strict comparison, so they get no gradient.
  if (mine > bitcast<f32>(neg_inf_bits)) {
    let p = pixel_of(i32(i));
    let rows = covering(p.h, params.k_h, params.stride_h, params.pad_top, params.out_h);
    let cols = covering(p.w, params.k_w, params.stride_w, params.pad_left, params.out_w);
    for (var oh = rows.x; oh <= rows.y; oh++) {
      for (var ow = cols.x; ow <= cols.y; ow++) {
        if (is_first_max(p, mine, oh, ow)) { acc += dy[dy_index(p, oh, ow)]; }
      }
    }
  }
  dx[i] = acc;
}

// For overlapping windows: one index compare per covering window instead of a rescan of it.
@compute @workgroup_size(256)
fn max_pool_grad_argmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let p = pixel_of(i32(i));
  let rows = covering(p.h, params.k_h, params.stride_h, params.pad_top, params.out_h);
  let cols = covering(p.w, params.k_w, params.stride_w, params.pad_left, params.out_w);
  var acc = 0.0;
  for (var oh = rows.x; oh <= rows.y; oh++) {
    for (var ow = cols.x; ow <= cols.y; ow++) {
      let o = dy_index(p, oh, ow);
      if (argmax[o] == i32(i)) { acc += dy[o]; }
    }
  }
  dx[i] = acc;
}

fn clipped_len(start: i32, k: i32, len: i32) -> i32 {
  return min(start + k, len) - max(start, 0);
}

@compute @workgroup_size(256)
fn avg_pool_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let p = pixel_of(i32(i));
  let rows = covering(p.h, params.k_h, params.stride_h, params.pad_top, params.out_h);
  let cols = covering(p.w, params.k_w, params.stride_w, params.pad_left, params.out_w);
  var acc = 0.0;
  for (var oh = rows.x; oh <= rows.y; oh++) {
    // The window contains p, so both clipped lengths are at least 1.
    let n_h = clipped_len(oh * params.stride_h - params.pad_top, params.k_h, params.in_h);
    for (var ow = cols.x; ow <= cols.y; ow++) {
      let n_w = clipped_len(ow * params.stride_w - params.pad_left, params.k_w, params.in_w);
      acc += dy[dy_index(p, oh, ow)] / f32(n_h * n_w);
    }
  }
  dx[i] = acc;
}

// pixel_of for the vec4 entry points: i counts vec4s, and c is the pixel's vec4 of channels.
fn pixel_of_vec4(i: i32) -> Pixel {
  let c4 = params.channels / 4;
  let c = i % c4;
  var r = i / c4;
  let w = r % params.in_w;
  r = r / params.in_w;
  return Pixel(r / params.in_h, r % params.in_h, w, c);
}

fn dy_index_vec4(p: Pixel, oh: i32, ow: i32) -> i32 {
  return ((p.b * params.out_h + oh) * params.out_w + ow) * (params.channels / 4) + p.c;
}

// is_first_max for 4 channels at once: which lanes of pixel p, holding `mine`, are the first
// maximum of the window of output (oh, ow).
fn is_first_max_vec4(p: Pixel, mine: vec4<f32>, oh: i32, ow: i32) -> vec4<bool> {
  let c4 = params.channels / 4;
  let top = oh * params.stride_h - params.pad_top;
  let left = ow * params.stride_w - params.pad_left;
  let base = p.b * params.in_h * params.in_w * c4 + p.c;
  var first = vec4<bool>(true);
  for (var h = max(top, 0); h < min(top + params.k_h, params.in_h); h++) {
    let row = base + h * params.in_w * c4;
    for (var w = max(left, 0); w < min(left + params.k_w, params.in_w); w++) {
      let v = x4[row + w * c4];
      let earlier = h < p.h || (h == p.h && w < p.w);
      first = first & !select(v > mine, v >= mine, earlier);
    }
  }
  return first;
}

@compute @workgroup_size(256)
fn max_pool_grad_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let mine = x4[i];
  var neg_inf_bits = 0xff800000u;
  var acc = vec4<f32>(0.0);
  // −∞ and NaN are never taken by the forward's strict comparison, so they get no gradient.
  let live = mine > vec4<f32>(bitcast<f32>(neg_inf_bits));
  if (any(live)) {
    let p = pixel_of_vec4(i32(i));
    let rows = covering(p.h, params.k_h, params.stride_h, params.pad_top, params.out_h);
    let cols = covering(p.w, params.k_w, params.stride_w, params.pad_left, params.out_w);
    for (var oh = rows.x; oh <= rows.y; oh++) {
      for (var ow = cols.x; ow <= cols.y; ow++) {
        let won = live & is_first_max_vec4(p, mine, oh, ow);
        if (any(won)) { acc += select(vec4<f32>(0.0), dy4[dy_index_vec4(p, oh, ow)], won); }
      }
    }
  }
  dx4[i] = acc;
}

@compute @workgroup_size(256)
fn avg_pool_grad_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let p = pixel_of_vec4(i32(i));
  let rows = covering(p.h, params.k_h, params.stride_h, params.pad_top, params.out_h);
  let cols = covering(p.w, params.k_w, params.stride_w, params.pad_left, params.out_w);
  var acc = vec4<f32>(0.0);
  for (var oh = rows.x; oh <= rows.y; oh++) {
    // The window contains p, so both clipped lengths are at least 1.
    let n_h = clipped_len(oh * params.stride_h - params.pad_top, params.k_h, params.in_h);
    for (var ow = cols.x; ow <= cols.y; ow++) {
      let n_w = clipped_len(ow * params.stride_w - params.pad_left, params.k_w, params.in_w);
      acc += dy4[dy_index_vec4(p, oh, ow)] / f32(n_h * n_w);
    }
  }
  dx4[i] = acc;
}

// Gradients of 2-D max and average pooling (shaders/pool.wgsl) with respect to the NHWC input.
// No atomics, in two shapes:
//  - _scatter, where windows do not overlap (stride ≥ window on both axes): one thread per window
//    (per output vector of dy) scans its window once and writes every dx element of it. No pixel
//    lies in two windows, so writes never collide; src/ops/pool.ts clears dx first where some
//    pixels lie in no window (stride > window, or rows and columns past the last window).
//  - gathers, where windows overlap: one thread per input vector adds the dy of every window
//    containing its pixel. Pixel row ih lies in the window of output row oh when
//    oh·s − p ≤ ih < oh·s − p + k, that is for oh in [ceil((ih + p − k + 1) / s), floor((ih + p) / s)],
//    clamped to the output; columns likewise. With dilations k is the window's span (k − 1)·dil + 1,
//    and avg skips the windows where the pixel falls between two taps (max's argmax never names one).
//
// Compiled once per lane width with src/gpu/lanes.ts's prelude (V, VI, LANES, LANE_OFFSETS), as
// pool.wgsl is: one thread handles LANES neighbouring channels and every comparison is
// componentwise, so each lane keeps the scalar rules exactly. Windows are clipped to the input
// exactly as in the forward pass; params.size counts vectors (of dy for _scatter, of dx otherwise).
//
// max: the dy of a window goes to its first maximum in row-major order (the forward keeps a value
// only when strictly greater), as TensorFlow.js's CPU MaxPoolGrad does for ties. NaN and −∞ never
// win, so they receive nothing. Overlapping windows read pool.wgsl's max_pool_argmax indices
// (flat scalar indices into x) instead of rescanning every covering window.
// avg: each in-bounds element of a window receives dy / (the forward's divisor: the window's
// in-bounds count, or with count_include_pad its count inside the padded input), the true
// gradient of the forward's mean (TensorFlow.js divides by k_h·k_w even where a window overlaps
// padding, which is not the gradient of its own forward).

// The uniforms (params, binding 0), linear_index, window_of and first_max.
// #include "include/pool_window.wgsl"

// The forward input (max only).
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read> dy: array<V>;
@group(0) @binding(3) var<storage, read_write> dx: array<V>;
// Each window's first maximum per channel as a flat scalar index into x, or -1.
@group(0) @binding(4) var<storage, read> argmax: array<VI>;

// --- scatter: one thread per window ---

@compute @workgroup_size(256)
fn max_pool_grad_scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let win = window_of(i32(i));
  let at = first_max(win);
  let g = dy[i];
  for (var h = win.h0; h < win.h1; h += params.dil_h) {
    let row = win.base + h * params.in_w * params.chunks;
    for (var w = win.w0; w < win.w1; w += params.dil_w) {
      let at_here = row + w * params.chunks;
      dx[at_here] = select(V(0.0), g, at == VI(at_here));
    }
  }
}

@compute @workgroup_size(256)
fn avg_pool_grad_scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let win = window_of(i32(i));
  // A window wholly in padding has no elements to write (and may count 0).
  let count = avg_divisor(win.top, win.left);
  let share = dy[i] / f32(max(count, 1));
  for (var h = win.h0; h < win.h1; h += params.dil_h) {
    let row = win.base + h * params.in_w * params.chunks;
    for (var w = win.w0; w < win.w1; w += params.dil_w) {
      dx[row + w * params.chunks] = share;
    }
  }
}

// --- gathers: one thread per input vector ---

struct Pixel {
  b: i32,
  h: i32,
  w: i32,
  c: i32,
}

fn pixel_of(i: i32) -> Pixel {
  let c = i % params.chunks;
  var r = i / params.chunks;
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
  return ((p.b * params.out_h + oh) * params.out_w + ow) * params.chunks + p.c;
}

// For overlapping windows: one index compare per covering window instead of a rescan of it.
@compute @workgroup_size(256)
fn max_pool_grad_argmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let p = pixel_of(i32(i));
  let rows = covering(p.h, span(params.k_h, params.dil_h), params.stride_h, params.pad_top, params.out_h);
  let cols = covering(p.w, span(params.k_w, params.dil_w), params.stride_w, params.pad_left, params.out_w);
  let mine = VI(i32(i) * LANES) + LANE_OFFSETS;
  var acc = V(0.0);
  for (var oh = rows.x; oh <= rows.y; oh++) {
    for (var ow = cols.x; ow <= cols.y; ow++) {
      let o = dy_index(p, oh, ow);
      acc += select(V(0.0), dy[o], argmax[o] == mine);
    }
  }
  dx[i] = acc;
}

// The extent a window of k taps dil apart covers.
fn span(k: i32, dil: i32) -> i32 {
  return (k - 1) * dil + 1;
}

@compute @workgroup_size(256)
fn avg_pool_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let p = pixel_of(i32(i));
  let rows = covering(p.h, span(params.k_h, params.dil_h), params.stride_h, params.pad_top, params.out_h);
  let cols = covering(p.w, span(params.k_w, params.dil_w), params.stride_w, params.pad_left, params.out_w);
  var acc = V(0.0);
  for (var oh = rows.x; oh <= rows.y; oh++) {
    let top = oh * params.stride_h - params.pad_top;
    if ((p.h - top) % params.dil_h != 0) { continue; }
    for (var ow = cols.x; ow <= cols.y; ow++) {
      let left = ow * params.stride_w - params.pad_left;
      if ((p.w - left) % params.dil_w != 0) { continue; }
      // The window holds p as a tap, so its divisor is at least 1.
      acc += dy[dy_index(p, oh, ow)] / f32(avg_divisor(top, left));
    }
  }
  dx[i] = acc;
}

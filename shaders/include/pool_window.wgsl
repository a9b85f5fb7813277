// Shared by pool.wgsl and pool_grad.wgsl (expanded into each by tools/wgsl-module.mjs): the
// window uniforms, the 2-D grid's linear index, the window of an output vector and the scan for
// its first maximum. Counts are in vectors of LANES channels (src/gpu/lanes.ts). first_max reads
// the including file's x (binding 1).
//
// A window's taps along an axis are start + j·dil for j < k (dilations: ONNX's MaxPool; 1 for
// TF.js's pools); window_of keeps the in-bounds ones as a range [h0, h1) walked in steps of dil.
// avg_divisor counts a window's in-bounds taps, or with count_include_pad (ONNX's
// count_include_pad) its taps inside the explicitly padded input [−pad_top, in_h + pad_bottom):
// a window that a ceil-mode output runs past that still counts only what lies inside it, as in
// PyTorch and ONNX Runtime.

struct Params {
  // Threads to run: vectors of outputs (of dy for the gradients' scatter, of dx for their gathers).
  size: u32,
  // Vectors per pixel: channels / LANES.
  chunks: i32,
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
  dil_h: i32,
  dil_w: i32,
  pad_bottom: i32,
  pad_right: i32,
  // 1: avg divides by the window's taps inside the padded input; 0: by its in-bounds taps.
  count_include_pad: i32,
}

@group(0) @binding(0) var<uniform> params: Params;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

struct Window {
  // Index in x (in vectors) of pixel (0, 0) of the window's image, in its channel vector.
  base: i32,
  // The in-bounds taps: rows h0, h0 + dil_h, … below h1; columns likewise.
  h0: i32,
  h1: i32,
  w0: i32,
  w1: i32,
  // The first tap, in or out of bounds.
  top: i32,
  left: i32,
}

// The taps j < k of an axis (at start + j·dil) that land in [lo, hi), as the range [first, last) of j.
fn taps_in(start: i32, k: i32, dil: i32, lo: i32, hi: i32) -> vec2<i32> {
  let first = select(0, (lo - start + dil - 1) / dil, lo > start);
  // A negative numerator rounds toward 0 here, but then last ≤ 0 ≤ first: no taps either way.
  let last = min(k, (hi - start + dil - 1) / dil);
  return vec2<i32>(first, last);
}

fn window_of(i: i32) -> Window {
  let c = i % params.chunks;
  var r = i / params.chunks;
  let ow = r % params.out_w;
  r = r / params.out_w;
  let oh = r % params.out_h;
  let b = r / params.out_h;
  let top = oh * params.stride_h - params.pad_top;
  let left = ow * params.stride_w - params.pad_left;
  let rows = taps_in(top, params.k_h, params.dil_h, 0, params.in_h);
  let cols = taps_in(left, params.k_w, params.dil_w, 0, params.in_w);
  return Window(
    b * params.in_h * params.in_w * params.chunks + c,
    top + rows.x * params.dil_h, top + max(rows.y, rows.x) * params.dil_h,
    left + cols.x * params.dil_w, left + max(cols.y, cols.x) * params.dil_w,
    top, left,
  );
}

// What avg pooling divides the window at (top, left) by (see above); 0 for a window wholly in
// padding when padding does not count.
fn avg_divisor(top: i32, left: i32) -> i32 {
  let pad = params.count_include_pad == 1;
  let rows = taps_in(top, params.k_h, params.dil_h, select(0, -params.pad_top, pad), params.in_h + select(0, params.pad_bottom, pad));
  let cols = taps_in(left, params.k_w, params.dil_w, select(0, -params.pad_left, pad), params.in_w + select(0, params.pad_right, pad));
  return max(rows.y - rows.x, 0) * max(cols.y - cols.x, 0);
}

// Per lane, whether v replaces the running maximum best: when greater, or when v is NaN and best
// is not yet (so a window's first NaN wins and stays). NaN is told by its bits: WGSL may assume
// floats are finite.
fn takes_max(v: V, best: V) -> VB {
  let nan_v = (bitcast<VI>(v) & VI(0x7fffffff)) > VI(0x7f800000);
  let nan_best = (bitcast<VI>(best) & VI(0x7fffffff)) > VI(0x7f800000);
  return (v > best) | (nan_v & !nan_best);
}

// Per lane, the index in x (in vectors) of the window's first maximum in row-major order (its first
// NaN, if any, as in max_pool), or -1. The comparison is strict, so −∞ never wins.
fn first_max(win: Window) -> VI {
  var neg_inf_bits = 0xff800000u;
  var best = V(bitcast<f32>(neg_inf_bits));
  var at = VI(-1);
  for (var h = win.h0; h < win.h1; h += params.dil_h) {
    let row = win.base + h * params.in_w * params.chunks;
    for (var w = win.w0; w < win.w1; w += params.dil_w) {
      let here = row + w * params.chunks;
      let v = x[here];
      let better = takes_max(v, best);
      best = select(best, v, better);
      at = select(at, VI(here), better);
    }
  }
  return at;
}

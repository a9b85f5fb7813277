// 2-D max and average pooling over NHWC tensors. One thread computes LANES neighbouring channels of
// one output pixel.
//
// Compiled once per lane width: src/ops/pool.ts prepends src/gpu/lanes.ts's prelude,
//   alias V = f32 | vec2<f32> | vec4<f32>;   alias VI = i32 | vec2<i32> | vec4<i32>;   alias VB likewise of bool;
//   const LANES = 1 | 2 | 4;   const LANE_OFFSETS: VI = 0 | (0, 1) | (0, 1, 2, 3);
// with the widest width dividing the channels, so x, y and argmax are read and written as vectors
// of neighbouring channels and the index arithmetic and loop overhead run once per LANES outputs
// (a software adapter gathers every load lane by lane; a quarter of the loads is most of the
// gain). Every comparison is componentwise, so each lane keeps the scalar rules below exactly.
//
// The linear index (in vectors) is decoded with the channel vector fastest, so neighbouring
// threads read neighbouring channels of the same pixels. A 2-D grid of workgroups covers more than
// 65,535 × 256 threads: index = x + y × groups.x × 256.
//
// The window of output (oh, ow) starts at (oh·stride_h − pad_top, ow·stride_w − pad_left), takes
// every dil-th pixel (dilations), and is clipped to the input, so padding never takes part, as in
// TensorFlow.js's CPU `pool`:
//  - max starts from −∞ and takes a value when strictly greater, or when it is the window's first
//    NaN: a window holding NaN yields NaN, as ONNX's MaxPool and PyTorch do (TF.js's CPU pool
//    skips NaN, which would hide it from a trainer's non-finite check), and a window lying wholly
//    in padding (explicit pads ≥ the window) yields −∞;
//  - avg divides by the number of in-bounds elements, so such a window yields 0/0 = NaN; or, with
//    count_include_pad, by its taps inside the padded input (include/pool_window.wgsl).
// A ceil-mode output (ONNX ceil_mode) only adds windows that run past the padded input's end; the
// host sizes the output, and the clipping above is all they need.
// Those two values come from bit patterns held in variables, since WGSL rejects non-finite
// constant expressions.

// The uniforms (params, binding 0), linear_index, window_of and first_max.
// #include "include/pool_window.wgsl"

@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> y: array<V>;
// max_pool_argmax: per channel, the flat (scalar) index in x of each window's first maximum, or -1
// (read by pool_grad.wgsl's max_pool_grad_argmax).
@group(0) @binding(3) var<storage, read_write> argmax: array<VI>;

@compute @workgroup_size(256)
fn max_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let win = window_of(i32(i));
  var neg_inf_bits = 0xff800000u;
  var best = V(bitcast<f32>(neg_inf_bits));
  for (var h = win.h0; h < win.h1; h += params.dil_h) {
    let row = win.base + h * params.in_w * params.chunks;
    for (var w = win.w0; w < win.w1; w += params.dil_w) {
      let v = x[row + w * params.chunks];
      best = select(best, v, takes_max(v, best));
    }
  }
  y[i] = best;
}

@compute @workgroup_size(256)
fn avg_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let win = window_of(i32(i));
  var sum = V(0.0);
  for (var h = win.h0; h < win.h1; h += params.dil_h) {
    let row = win.base + h * params.in_w * params.chunks;
    for (var w = win.w0; w < win.w1; w += params.dil_w) {
      sum += x[row + w * params.chunks];
    }
  }
  let count = avg_divisor(win.top, win.left);
  var nan_bits = 0x7fc00000u;
  y[i] = select(V(bitcast<f32>(nan_bits)), sum / f32(count), count > 0);
}

// The same scan as max_pool (first_max), keeping where each lane's first maximum was instead of its value.
// Overlapping windows' gradients then gather through these indices instead of rescanning windows.
@compute @workgroup_size(256)
fn max_pool_argmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let at = first_max(window_of(i32(i)));
  // Vector indices to flat scalar ones, lane by lane.
  argmax[i] = select(VI(-1), at * LANES + LANE_OFFSETS, at >= VI(0));
}

// 2-D max and average pooling over NHWC tensors, one thread per output element.
//
// The linear output index is decoded with the channel fastest, so neighbouring threads read
// neighbouring channels of the same pixels and every load of a window row is coalesced. A 2-D grid
// of workgroups covers outputs beyond 65,535 × 256 elements: index = x + y × groups.x × 256.
//
// The window of output (oh, ow) starts at (oh·stride_h − pad_top, ow·stride_w − pad_left) and is
// clipped to the input, so padding never takes part, as in TensorFlow.js's CPU `pool`:
//  - max starts from −∞ and takes a value only when strictly greater, so NaN inputs are skipped
//    and a window lying wholly in padding (explicit pads ≥ the window) yields −∞;
//  - avg divides by the number of in-bounds elements, so such a window yields 0/0 = NaN.
// Those two values come from bit patterns held in variables, since WGSL rejects non-finite
// constant expressions.
//
// The _vec4 entry points serve channels % 4 == 0: one thread computes 4 neighbouring channels of
// one output pixel, reading x and writing y through vec4 views of the same buffers (x4, y4), so
// the index arithmetic and the loop run once per 4 outputs. There params.size counts vec4s. The
// comparisons are componentwise with the same strict >, so each lane keeps exactly the scalar
// semantics (first maximum, NaN never wins, −∞ / NaN for windows wholly in padding).

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
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// max_pool_argmax: the flat index in x of each window's first maximum, or -1 (for pool_grad.wgsl).
@group(0) @binding(3) var<storage, read_write> argmax: array<i32>;
// vec4 views of x and y, bound only by the _vec4 entry points (channels % 4 == 0).
@group(0) @binding(4) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> y4: array<vec4<f32>>;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

struct Window {
  // Index in x of pixel (0, 0) of the window's image, in its channel.
  base: i32,
  h0: i32,
  h1: i32,
  w0: i32,
  w1: i32,
}

fn window_of(i: i32) -> Window {
  let c = i % params.channels;
  var r = i / params.channels;
  let ow = r % params.out_w;
  r = r / params.out_w;
  let oh = r % params.out_h;
  let b = r / params.out_h;
  let top = oh * params.stride_h - params.pad_top;
  let left = ow * params.stride_w - params.pad_left;
  return Window(
    b * params.in_h * params.in_w * params.channels + c,
    max(top, 0), min(top + params.k_h, params.in_h),
    max(left, 0), min(left + params.k_w, params.in_w),
  );
}

@compute @workgroup_size(256)
fn max_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let win = window_of(i32(i));
  var neg_inf_bits = 0xff800000u;
  var best = bitcast<f32>(neg_inf_bits);
  for (var h = win.h0; h < win.h1; h++) {
    let row = win.base + h * params.in_w * params.channels;
    for (var w = win.w0; w < win.w1; w++) {
      let v = x[row + w * params.channels];
      if (v > best) { best = v; }
    }
  }
  y[i] = best;
}

@compute @workgroup_size(256)
fn avg_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let win = window_of(i32(i));
  var sum = 0.0;
  for (var h = win.h0; h < win.h1; h++) {
    let row = win.base + h * params.in_w * params.channels;
    for (var w = win.w0; w < win.w1; w++) {
      sum += x[row + w * params.channels];
    }
  }
  let count = max(win.h1 - win.h0, 0) * max(win.w1 - win.w0, 0);
  var nan_bits = 0x7fc00000u;
  y[i] = select(bitcast<f32>(nan_bits), sum / f32(count), count > 0);
}

// The same scan as max_pool, keeping where the first maximum was instead of its value. Overlapping
// windows' gradients then gather through these indices instead of rescanning every window.
@compute @workgroup_size(256)
fn max_pool_argmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let win = window_of(i32(i));
  var neg_inf_bits = 0xff800000u;
  var best = bitcast<f32>(neg_inf_bits);
  var at = -1;
  for (var h = win.h0; h < win.h1; h++) {
    let row = win.base + h * params.in_w * params.channels;
    for (var w = win.w0; w < win.w1; w++) {
      let v = x[row + w * params.channels];
      if (v > best) {
        best = v;
        at = row + w * params.channels;
      }
    }
  }
  argmax[i] = at;
}

// window_of for the vec4 entry points: i counts vec4s, and base indexes x4 (channels / 4 per pixel).
fn window_of_vec4(i: i32) -> Window {
  let c4 = params.channels / 4;
  let c = i % c4;
  var r = i / c4;
  let ow = r % params.out_w;
  r = r / params.out_w;
  let oh = r % params.out_h;
  let b = r / params.out_h;
  let top = oh * params.stride_h - params.pad_top;
  let left = ow * params.stride_w - params.pad_left;
  return Window(
    b * params.in_h * params.in_w * c4 + c,
    max(top, 0), min(top + params.k_h, params.in_h),
    max(left, 0), min(left + params.k_w, params.in_w),
  );
}

@compute @workgroup_size(256)
fn max_pool_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let win = window_of_vec4(i32(i));
  let c4 = params.channels / 4;
  var neg_inf_bits = 0xff800000u;
  var best = vec4<f32>(bitcast<f32>(neg_inf_bits));
  for (var h = win.h0; h < win.h1; h++) {
    let row = win.base + h * params.in_w * c4;
    for (var w = win.w0; w < win.w1; w++) {
      let v = x4[row + w * c4];
      best = select(best, v, v > best);
    }
  }
  y4[i] = best;
}

@compute @workgroup_size(256)
fn avg_pool_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let win = window_of_vec4(i32(i));
  let c4 = params.channels / 4;
  var sum = vec4<f32>(0.0);
  for (var h = win.h0; h < win.h1; h++) {
    let row = win.base + h * params.in_w * c4;
    for (var w = win.w0; w < win.w1; w++) {
      sum += x4[row + w * c4];
    }
  }
  let count = max(win.h1 - win.h0, 0) * max(win.w1 - win.w0, 0);
  var nan_bits = 0x7fc00000u;
  y4[i] = select(vec4<f32>(bitcast<f32>(nan_bits)), sum / f32(count), count > 0);
}

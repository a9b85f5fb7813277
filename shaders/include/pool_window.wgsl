// Shared by pool.wgsl and pool_grad.wgsl (expanded into each by tools/wgsl-module.mjs): the
// window uniforms, the 2-D grid's linear index and the window of an output vector. Counts are in
// vectors of LANES channels (src/gpu/lanes.ts).

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
}

@group(0) @binding(0) var<uniform> params: Params;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

struct Window {
  // Index in x (in vectors) of pixel (0, 0) of the window's image, in its channel vector.
  base: i32,
  h0: i32,
  h1: i32,
  w0: i32,
  w1: i32,
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
  return Window(
    b * params.in_h * params.in_w * params.chunks + c,
    max(top, 0), min(top + params.k_h, params.in_h),
    max(left, 0), min(left + params.k_w, params.in_w),
  );
}

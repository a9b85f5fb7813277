// Shared by pool.wgsl and pool_grad.wgsl (expanded into each by tools/wgsl-module.mjs): the
// window uniforms, the 2-D grid's linear index, the window of an output vector and the scan for
// its first maximum. Counts are in vectors of LANES channels (src/gpu/lanes.ts). first_max reads
// the including file's x (binding 1).

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

// Per lane, the index in x (in vectors) of the window's first maximum in row-major order, or -1.
// The comparison is strict, as in max_pool, so NaN and −∞ never win.
fn first_max(win: Window) -> VI {
  var neg_inf_bits = 0xff800000u;
  var best = V(bitcast<f32>(neg_inf_bits));
  var at = VI(-1);
  for (var h = win.h0; h < win.h1; h++) {
    let row = win.base + h * params.in_w * params.chunks;
    for (var w = win.w0; w < win.w1; w++) {
      let here = row + w * params.chunks;
      let v = x[here];
      let better = v > best;
      best = select(best, v, better);
      at = select(at, VI(here), better);
    }
  }
  return at;
}

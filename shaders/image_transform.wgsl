// Batched photometric transformations (src/ops/image_transform.ts): `batch` NHWC output images made
// from one input image (in_batch = 1: every output reads image 0) or from one input each (in_batch
// = batch), each output image b with its own parameters, row b of `p`. One thread per output
// element; a 2-D grid of workgroups covers more than 65,535 × 256 elements. (Geometric warps are
// affine_warp.wgsl's.)
//
// adjust:    y = clamp(gain·x + offset + noise·n, lo, hi) with row b = [gain, offset, noise]: the
//            pixel values a photo can hold stay within [lo, hi] (brightness and contrast saturate as
//            a camera's do). n is a standard normal from a hash of (seed, element within the
//            image): the same noise pattern in every output image, scaled by its own amplitude, and
//            the same on every run and adapter.
// blur_rows, blur_cols: a Gaussian of standard deviation sigma_b = p[b] pixels along the rows, then
//            (a second dispatch on its result) along the columns; taps out to ceil(3·sigma), weights
//            normalised to sum to 1, the edge pixel repeated past the border (so a blur keeps the
//            brightness of the edges). sigma ≤ 0 copies.

// #include "include/ieee.wgsl"

struct Params {
  size: u32,
  height: u32,
  width: u32,
  channels: u32,
  in_batch: u32,
  seed: u32,
  lo: f32,
  hi: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> p: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

/** Blur taps stop here (sigma above MAX_RADIUS / 3 is cut at this radius). */
const MAX_RADIUS: i32 = 48;

struct Pixel {
  b: u32,
  row: i32,
  col: i32,
  c: u32,
  // The first element of this output's input image.
  base: u32,
}

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

fn decode(i: u32) -> Pixel {
  let c = i % params.channels;
  let col = (i / params.channels) % params.width;
  let row = (i / (params.channels * params.width)) % params.height;
  let b = i / (params.channels * params.width * params.height);
  let image = params.height * params.width * params.channels;
  return Pixel(b, i32(row), i32(col), c, select(b, 0u, params.in_batch == 1u) * image);
}

/** The input value of this output's image at (row, col), which callers keep inside the image. */
fn at(px: Pixel, row: i32, col: i32) -> f32 {
  return x[px.base + (u32(row) * params.width + u32(col)) * params.channels + px.c];
}

/** PCG's output permutation (O'Neill), a good 32-bit integer hash. */
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

/** A uniform in (0, 1) from the top 24 bits of a hash. */
fn unit(h: u32) -> f32 {
  return (f32(h >> 8u) + 0.5) / 16777216.0;
}

@compute @workgroup_size(256)
fn adjust(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let px = decode(i);
  let t = px.b * 3u;
  let v = at(px, px.row, px.col);
  var n = 0.0;
  let amplitude = p[t + 2u];
  if (amplitude != 0.0) {
    // Box–Muller on two hashed uniforms of this element's place in the image.
    let within = i % (params.height * params.width * params.channels);
    let h1 = pcg(within ^ pcg(params.seed));
    let h2 = pcg(h1 ^ 0x9e3779b9u);
    n = sqrt(-2.0 * log(unit(h1))) * cos(6.283185307179586 * unit(h2));
  }
  let out = p[t] * v + p[t + 1u] + amplitude * n;
  // NaN passes, as tf.clipByValue lets it: min and max may drop it (include/ieee.wgsl).
  y[i] = select(min(max(out, params.lo), params.hi), out, is_nan(out));
}

/** The weighted sum along one axis (rows: dx = 1; columns: dy = 1), the edge pixel repeated. */
fn gaussian(px: Pixel, sigma: f32, along_rows: bool) -> f32 {
  if (sigma <= 0.0) {
    return at(px, px.row, px.col);
  }
  let radius = min(i32(ceil(3.0 * sigma)), MAX_RADIUS);
  let last_row = i32(params.height) - 1;
  let last_col = i32(params.width) - 1;
  var total = 0.0;
  var weights = 0.0;
  for (var d = -radius; d <= radius; d++) {
    let w = exp(-f32(d * d) / (2.0 * sigma * sigma));
    var row = px.row;
    var col = px.col;
    if (along_rows) {
      col = clamp(col + d, 0, last_col);
    } else {
      row = clamp(row + d, 0, last_row);
    }
    total += w * at(px, row, col);
    weights += w;
  }
  return total / weights;
}

@compute @workgroup_size(256)
fn blur_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let px = decode(i);
  y[i] = gaussian(px, p[px.b], true);
}

@compute @workgroup_size(256)
fn blur_cols(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let px = decode(i);
  y[i] = gaussian(px, p[px.b], false);
}

// Depthwise 2-D convolution, NHWC input x[n, h, w, c], filter w[kh, kw, c, mult], output
// y[n, oh, ow, c·mult] with output channel oc = c·mult + m reading input channel c = oc / mult:
//   y[n, oy, ox, oc] = Σ over (ky, kx) of x[n, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw, oc / mult] · w[ky, kx, oc].
// Flattened, w is [kh·kw, c·mult]: a tap's weights for 4 neighbouring output channels are one vec4.
//
// depthwise_conv2d_block: no workgroup memory (each x value feeds only kh·kw·mult outputs, so
// staging tiles buys little). Each thread keeps a register block of 4 neighbouring output pixels of
// one row × 4 output channels (16 accumulators). Per tap it loads one vec4 of w and the 4 pixels'
// vec4s of x, gathered per channel (oc / mult) or, with VEC4 (mult = 1 and c a multiple of 4),
// read through a vec4 view of x.
// When stride_w = dil_w (every stride-1 undilated layer), pixel p at tap kx+1 reads what pixel p+1
// read at tap kx, so the 4 x values slide along the row: one new x load per tap instead of 4
// (2 loads feed 16 FMAs). Otherwise each tap loads all 4.
// Out-of-range pixels (padding) contribute zeros through a select instead of a branch per value.
// Every store goes through the fused epilogue (include/epilogue.wgsl): + bias[oc], activation.

struct Params {
  batch: u32, in_h: u32, in_w: u32, in_c: u32,
  out_h: u32, out_w: u32, out_c: u32, k_h: u32,
  k_w: u32, stride_h: u32, stride_w: u32, dil_h: u32,
  dil_w: u32, pad_top: u32, pad_left: u32, mult: u32,
  ow_blocks: u32,
  // The leaky relu slope of the epilogue.
  alpha: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
// vec4 views of x and w (bound to the same buffers), read when VEC4.
@group(0) @binding(4) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> w4: array<vec4<f32>>;
// The epilogue's bias, per output channel.
@group(0) @binding(7) var<storage, read> bias: array<f32>;

// #include "include/epilogue.wgsl"

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
// mult = 1 and in_c % 4 = 0: x, w are read as vec4s and the channel gather is the identity.
override VEC4: bool = false;

// The 4 input channels of a thread's output channels, and its own channel group.
struct Lanes {
  ch: vec4<u32>,   // input channel per lane (gather mode)
  oc: vec4<u32>,   // output channel per lane, clamped to the last one for a partial group
  group: u32,      // output channel group (= vec4 index within a pixel when VEC4)
}

// x at pixel (row, ix) for the 4 lanes; zeros outside the input's width.
fn load_x(row: u32, ix: i32, lanes: Lanes) -> vec4<f32> {
  let ok = ix >= 0 && ix < i32(params.in_w);
  let pixel = select(0u, row + u32(ix), ok);
  var v: vec4<f32>;
  if (VEC4) {
    v = x4[pixel * (params.in_c / 4u) + lanes.group];
  } else {
    let b = pixel * params.in_c;
    v = vec4<f32>(x[b + lanes.ch.x], x[b + lanes.ch.y], x[b + lanes.ch.z], x[b + lanes.ch.w]);
  }
  return select(vec4<f32>(0.0), v, ok);
}

// w for tap t and the 4 lanes.
fn load_w(tap: u32, lanes: Lanes) -> vec4<f32> {
  if (VEC4) {
    return w4[tap * (params.out_c / 4u) + lanes.group];
  }
  let b = tap * params.out_c;
  return vec4<f32>(w[b + lanes.oc.x], w[b + lanes.oc.y], w[b + lanes.oc.z], w[b + lanes.oc.w]);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn depthwise_conv2d_block(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let oc0 = gid.x * 4u;
  let pblock = gid.y + gid.z * groups.y * WG_Y;
  if (oc0 >= params.out_c || pblock >= params.batch * params.out_h * params.ow_blocks) { return; }
  let ox0 = (pblock % params.ow_blocks) * 4u;
  let oy = (pblock / params.ow_blocks) % params.out_h;
  let n = pblock / (params.ow_blocks * params.out_h);

  // A last group of an out_c that is not a multiple of 4 repeats its last channel.
  let last = params.out_c - 1u - oc0;
  let oc = vec4<u32>(oc0) + vec4<u32>(0u, min(1u, last), min(2u, last), min(3u, last));
  let lanes = Lanes(oc / params.mult, oc, gid.x);

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let sw = i32(params.stride_w);
  let dw = i32(params.dil_w);
  let ix0 = i32(ox0 * params.stride_w) - i32(params.pad_left);
  let slide = params.stride_w == params.dil_w;
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - i32(params.pad_top);
    if (iy < 0 || iy >= i32(params.in_h)) { continue; }
    let row = (n * params.in_h + u32(iy)) * params.in_w;
    let tap0 = ky * params.k_w;
    if (slide) {
      var a0 = load_x(row, ix0, lanes);
      var a1 = load_x(row, ix0 + sw, lanes);
      var a2 = load_x(row, ix0 + 2 * sw, lanes);
      var a3 = load_x(row, ix0 + 3 * sw, lanes);
      for (var kx = 0u; kx < params.k_w; kx++) {
        let wv = load_w(tap0 + kx, lanes);
        acc0 += a0 * wv;
        acc1 += a1 * wv;
        acc2 += a2 * wv;
        acc3 += a3 * wv;
        // Pixel 3 at tap kx + 1 sits at ix0 + 3·sw + (kx + 1)·dw = ix0 + (kx + 4)·sw.
        a0 = a1;
        a1 = a2;
        a2 = a3;
        a3 = load_x(row, ix0 + i32(kx + 4u) * sw, lanes);
      }
    } else {
      for (var kx = 0u; kx < params.k_w; kx++) {
        let wv = load_w(tap0 + kx, lanes);
        let ix = ix0 + i32(kx) * dw;
        acc0 += load_x(row, ix, lanes) * wv;
        acc1 += load_x(row, ix + sw, lanes) * wv;
        acc2 += load_x(row, ix + 2 * sw, lanes) * wv;
        acc3 += load_x(row, ix + 3 * sw, lanes) * wv;
      }
    }
  }
  let base = ((n * params.out_h + oy) * params.out_w + ox0) * params.out_c + oc0;
  let nc = min(4u, params.out_c - oc0);
  let np = min(4u, params.out_w - ox0);
  let y0 = epilogue4(acc0, oc0, params.alpha);
  let y1 = epilogue4(acc1, oc0, params.alpha);
  let y2 = epilogue4(acc2, oc0, params.alpha);
  let y3 = epilogue4(acc3, oc0, params.alpha);
  for (var k = 0u; k < nc; k++) {
    y[base + k] = y0[k];
    if (np > 1u) { y[base + params.out_c + k] = y1[k]; }
    if (np > 2u) { y[base + 2u * params.out_c + k] = y2[k]; }
    if (np > 3u) { y[base + 3u * params.out_c + k] = y3[k]; }
  }
}

// depthwise_conv2d_wide (mult = 1, channels % 16 = 0; chosen on CPU-emulated adapters): one thread
// per output pixel × 16 channels, 4 vec4s of x, w and y. The lanes of an emulated SIMD group then
// read 256 contiguous bytes per tap where the block kernel's read 64 (its lanes are neighbouring
// 4-channel groups); on SwiftShader that locality beats the block's reuse of x along the row
// (MobileNet's 56×56×128 layer: 14.2 → 11.2 ms). It writes through y4, so it binds no y.
@group(0) @binding(6) var<storage, read_write> y4: array<vec4<f32>>;

// The taps k in [x, y) with start + k·dil inside [0, len).
fn taps_inside(start: i32, dil: u32, k: u32, len: u32) -> vec2<i32> {
  let d = i32(dil);
  let first = select(0, (-start + d - 1) / d, start < 0);
  let end = min(i32(k), (i32(len) - start + d - 1) / d);
  return vec2<i32>(first, end);
}

@compute @workgroup_size(64)
fn depthwise_conv2d_wide(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  let c4 = params.in_c / 4u;
  let sets = c4 / 4u;
  if (i >= params.batch * params.out_h * params.out_w * sets) { return; }
  let c = (i % sets) * 4u;
  let pixel = i / sets;
  let ox = pixel % params.out_w;
  let oy = (pixel / params.out_w) % params.out_h;
  let n = pixel / (params.out_w * params.out_h);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  // The taps inside the input, as loop bounds rather than a branch per tap.
  let top = i32(oy * params.stride_h) - i32(params.pad_top);
  let left = i32(ox * params.stride_w) - i32(params.pad_left);
  let ky_range = taps_inside(top, params.dil_h, params.k_h, params.in_h);
  let kx_range = taps_inside(left, params.dil_w, params.k_w, params.in_w);
  for (var ky = ky_range.x; ky < ky_range.y; ky++) {
    let row = (n * params.in_h + u32(top + ky * i32(params.dil_h))) * params.in_w;
    for (var kx = kx_range.x; kx < kx_range.y; kx++) {
      let xi = (row + u32(left + kx * i32(params.dil_w))) * c4 + c;
      let wi = (u32(ky) * params.k_w + u32(kx)) * c4 + c;
      acc0 += x4[xi] * w4[wi];
      acc1 += x4[xi + 1u] * w4[wi + 1u];
      acc2 += x4[xi + 2u] * w4[wi + 2u];
      acc3 += x4[xi + 3u] * w4[wi + 3u];
    }
  }
  let o = pixel * c4 + c;
  let oc = c * 4u;
  y4[o] = epilogue4(acc0, oc, params.alpha);
  y4[o + 1u] = epilogue4(acc1, oc + 4u, params.alpha);
  y4[o + 2u] = epilogue4(acc2, oc + 8u, params.alpha);
  y4[o + 3u] = epilogue4(acc3, oc + 12u, params.alpha);
}

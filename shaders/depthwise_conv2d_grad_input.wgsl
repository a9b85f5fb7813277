// Gradient of depthwise_conv2d with respect to its input:
//   dx[n, iy, ix, c] = Σ over (m, ky, kx) of dy[n, oy, ox, c·mult + m] · w[ky, kx, c·mult + m]
// over the taps with iy = oy·sh − pt + ky·dh and ix = ox·sw − pl + kx·dw for whole oy, ox: the
// source row oy = (iy + pt − ky·dh) / sh exists only when the division is exact, so no dilated dy
// is ever materialised (as in conv2d_grad_input.wgsl).
//
// Each thread keeps a register block of 4 neighbouring input pixels of one row × 4 input channels
// (16 accumulators) and walks m, ky, kx. With VEC4 (mult = 1, c a multiple of 4) dy and w are read
// as vec4s; otherwise the 4 channels' dy and w values are gathered.
// At stride_w = dil_w = 1, input pixel p at tap kx+1 reads the dy that pixel p−1 read at tap kx, so
// the 4 dy values slide along the row: one dy load and one w load per tap. Otherwise each pixel's
// source column is checked for an exact division, and taps that feed none of the 4 are skipped
// whole (most taps at stride > 1).

struct Params {
  batch: u32, in_h: u32, in_w: u32, in_c: u32,
  out_h: u32, out_w: u32, out_c: u32, k_h: u32,
  k_w: u32, stride_h: u32, stride_w: u32, dil_h: u32,
  dil_w: u32, pad_top: u32, pad_left: u32, mult: u32,
  iw_blocks: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
// vec4 views of dy and w (bound to the same buffers), read when VEC4.
@group(0) @binding(4) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> w4: array<vec4<f32>>;

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
override VEC4: bool = false;

struct Lanes {
  // Channel of dy (and of w's flattened [taps, out_c]) per lane for the current m.
  oc: vec4<u32>,
  group: u32,
}

// dy at output pixel (row, ox) for the 4 lanes; zeros where ox is not a column of dy.
fn load_dy(row: u32, ox: i32, lanes: Lanes) -> vec4<f32> {
  let ok = ox >= 0 && ox < i32(params.out_w);
  let pixel = select(0u, row + u32(ox), ok);
  var v: vec4<f32>;
  if (VEC4) {
    v = dy4[pixel * (params.out_c / 4u) + lanes.group];
  } else {
    let b = pixel * params.out_c;
    v = vec4<f32>(dy[b + lanes.oc.x], dy[b + lanes.oc.y], dy[b + lanes.oc.z], dy[b + lanes.oc.w]);
  }
  return select(vec4<f32>(0.0), v, ok);
}

fn load_w(tap: u32, lanes: Lanes) -> vec4<f32> {
  if (VEC4) {
    return w4[tap * (params.out_c / 4u) + lanes.group];
  }
  let b = tap * params.out_c;
  return vec4<f32>(w[b + lanes.oc.x], w[b + lanes.oc.y], w[b + lanes.oc.z], w[b + lanes.oc.w]);
}

// The column of dy that input column num = ix + pl − kx·dw comes from, or −1 when there is none.
fn source_col(num: i32) -> i32 {
  let sw = i32(params.stride_w);
  return select(-1, num / sw, num >= 0 && num % sw == 0);
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn depthwise_conv2d_grad_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let c0 = gid.x * 4u;
  let pblock = gid.y + gid.z * groups.y * WG_Y;
  if (c0 >= params.in_c || pblock >= params.batch * params.in_h * params.iw_blocks) { return; }
  let ix0 = (pblock % params.iw_blocks) * 4u;
  let iy = (pblock / params.iw_blocks) % params.in_h;
  let n = pblock / (params.iw_blocks * params.in_h);

  // A last group of an in_c that is not a multiple of 4 repeats its last channel.
  let last = params.in_c - 1u - c0;
  let ch = vec4<u32>(c0) + vec4<u32>(0u, min(1u, last), min(2u, last), min(3u, last));

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let b0 = i32(ix0 + params.pad_left);
  let slide = params.stride_w == 1u && params.dil_w == 1u;
  for (var m = 0u; m < params.mult; m++) {
    let lanes = Lanes(ch * params.mult + vec4<u32>(m), gid.x);
    for (var ky = 0u; ky < params.k_h; ky++) {
      let num_y = i32(iy + params.pad_top) - i32(ky * params.dil_h);
      if (num_y < 0 || num_y % i32(params.stride_h) != 0) { continue; }
      let oy = u32(num_y) / params.stride_h;
      if (oy >= params.out_h) { continue; }
      let row = (n * params.out_h + oy) * params.out_w;
      let tap0 = ky * params.k_w;
      if (slide) {
        // Pixel p at tap kx reads dy column b0 + p − kx.
        var a0 = load_dy(row, b0, lanes);
        var a1 = load_dy(row, b0 + 1, lanes);
        var a2 = load_dy(row, b0 + 2, lanes);
        var a3 = load_dy(row, b0 + 3, lanes);
        for (var kx = 0u; kx < params.k_w; kx++) {
          let wv = load_w(tap0 + kx, lanes);
          acc0 += a0 * wv;
          acc1 += a1 * wv;
          acc2 += a2 * wv;
          acc3 += a3 * wv;
          a3 = a2;
          a2 = a1;
          a1 = a0;
          a0 = load_dy(row, b0 - i32(kx + 1u), lanes);
        }
      } else {
        for (var kx = 0u; kx < params.k_w; kx++) {
          let num = b0 - i32(kx * params.dil_w);
          let cols = vec4<i32>(source_col(num), source_col(num + 1), source_col(num + 2), source_col(num + 3));
          if (!any((cols >= vec4<i32>(0)) & (cols < vec4<i32>(i32(params.out_w))))) { continue; }
          let wv = load_w(tap0 + kx, lanes);
          acc0 += load_dy(row, cols.x, lanes) * wv;
          acc1 += load_dy(row, cols.y, lanes) * wv;
          acc2 += load_dy(row, cols.z, lanes) * wv;
          acc3 += load_dy(row, cols.w, lanes) * wv;
        }
      }
    }
  }
  let base = ((n * params.in_h + iy) * params.in_w + ix0) * params.in_c + c0;
  let nc = min(4u, params.in_c - c0);
  let np = min(4u, params.in_w - ix0);
  for (var k = 0u; k < nc; k++) {
    dx[base + k] = acc0[k];
    if (np > 1u) { dx[base + params.in_c + k] = acc1[k]; }
    if (np > 2u) { dx[base + 2u * params.in_c + k] = acc2[k]; }
    if (np > 3u) { dx[base + 3u * params.in_c + k] = acc3[k]; }
  }
}

// depthwise_conv2d_grad_input_wide (mult = 1, channels % 16 = 0; chosen on CPU-emulated
// adapters): one thread per input pixel × 16 channels, 4 vec4s of dy, w and dx, for the locality
// depthwise_conv2d.wgsl's _wide entry explains. A tap feeds the pixel when its source row and
// column divide exactly by the stride. It writes through dx4, so it binds no dx.
@group(0) @binding(6) var<storage, read_write> dx4: array<vec4<f32>>;
// False at stride 1 on both axes, so the divisibility checks (integer remainders, computed lane
// by lane on an emulated adapter) compile away.
override STRIDED: bool = true;

// The taps k in [x, y) with t = at − k·dil inside [0, (out_len − 1)·stride], t being a source
// position times the stride when it divides exactly.
fn taps_feeding(at: i32, dil: u32, k: u32, stride: i32, out_len: u32) -> vec2<i32> {
  let d = i32(dil);
  let last = (i32(out_len) - 1) * stride;
  let over = at - last;
  let first = select(0, (over + d - 1) / d, over > 0);
  let end = select(-1, at / d, at >= 0) + 1;
  return vec2<i32>(first, min(i32(k), end));
}

@compute @workgroup_size(64)
fn depthwise_conv2d_grad_input_wide(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  let c4 = params.in_c / 4u;
  let sets = c4 / 4u;
  if (i >= params.batch * params.in_h * params.in_w * sets) { return; }
  let c = (i % sets) * 4u;
  let pixel = i / sets;
  let ix = i32(pixel % params.in_w);
  let iy = i32((pixel / params.in_w) % params.in_h);
  let n = pixel / (params.in_w * params.in_h);
  let sh = i32(params.stride_h);
  let sw = i32(params.stride_w);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  // The taps whose source row/column lies in dy, as loop bounds; then only STRIDED needs a check
  // that the division is exact.
  let ky_range = taps_feeding(iy + i32(params.pad_top), params.dil_h, params.k_h, sh, params.out_h);
  let kx_range = taps_feeding(ix + i32(params.pad_left), params.dil_w, params.k_w, sw, params.out_w);
  for (var ky = ky_range.x; ky < ky_range.y; ky++) {
    let ty = iy + i32(params.pad_top) - ky * i32(params.dil_h);
    if (STRIDED && ty % sh != 0) { continue; }
    let row = (n * params.out_h + u32(ty / sh)) * params.out_w;
    for (var kx = kx_range.x; kx < kx_range.y; kx++) {
      let tx = ix + i32(params.pad_left) - kx * i32(params.dil_w);
      if (STRIDED && tx % sw != 0) { continue; }
      let di = (row + u32(tx / sw)) * c4 + c;
      let wi = (u32(ky) * params.k_w + u32(kx)) * c4 + c;
      acc0 += dy4[di] * w4[wi];
      acc1 += dy4[di + 1u] * w4[wi + 1u];
      acc2 += dy4[di + 2u] * w4[wi + 2u];
      acc3 += dy4[di + 3u] * w4[wi + 3u];
    }
  }
  let o = pixel * c4 + c;
  dx4[o] = acc0;
  dx4[o + 1u] = acc1;
  dx4[o + 2u] = acc2;
  dx4[o + 3u] = acc3;
}

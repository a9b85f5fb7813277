// Gradient of depthwise_conv2d with respect to its filter, flattened as dw[kh·kw, c·mult]:
//   dw[ky, kx, oc] = Σ over (n, oy, ox) of x[n, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw, oc / mult] · dy[n, oy, ox, oc].
//
// dw is small (kh·kw·c·mult) and the reduction over n·oh·ow pixels long, so the reduction is split
// deterministically (split-K, as in conv2d_grad_filter.wgsl): depthwise_conv2d_grad_filter_partial
// gives each of `splits` slices of the pixels to its own threads and writes one partial dw per
// slice; depthwise_conv2d_grad_filter_reduce adds the slices in a fixed order. No float atomics,
// so the result is bit-identical from run to run. With one slice the partial pass writes dw.
//
// A thread owns 4 output channels × 4 horizontal taps (ky, kx0..kx0+3): 16 accumulators. Per
// pixel it loads one vec4 of dy, shared by the 4 taps, and the 4 taps' x values (vec4 views when
// VEC4: mult = 1 and c a multiple of 4; else gathered per channel oc / mult). It walks its slice
// row segment by row segment; when stride_w = dil_w, tap j at the next pixel reads what tap j+1
// read at this one, so the 4 x values slide: one x load and one dy load feed 16 FMAs.

struct Params {
  batch: u32, in_h: u32, in_w: u32, in_c: u32,
  out_h: u32, out_w: u32, out_c: u32, k_h: u32,
  k_w: u32, stride_h: u32, stride_w: u32, dil_h: u32,
  dil_w: u32, pad_top: u32, pad_left: u32, mult: u32,
  splits: u32, chunk: u32, kw_blocks: u32, dw_size: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
// splits × dw_size partial sums (or dw itself when splits = 1).
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;
// vec4 views of x and dy (bound to the same buffers), read when VEC4.
@group(0) @binding(5) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> dy4: array<vec4<f32>>;

override VEC4: bool = false;

struct Lanes {
  ch: vec4<u32>,   // input channel per lane
  oc: vec4<u32>,   // output channel per lane, clamped to the last one for a partial group
  group: u32,
}

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

// dy at output pixel p (linear over n, oy, ox).
fn load_dy(p: u32, lanes: Lanes) -> vec4<f32> {
  if (VEC4) {
    return dy4[p * (params.out_c / 4u) + lanes.group];
  }
  let b = p * params.out_c;
  return vec4<f32>(dy[b + lanes.oc.x], dy[b + lanes.oc.y], dy[b + lanes.oc.z], dy[b + lanes.oc.w]);
}

@compute @workgroup_size(64)
fn depthwise_conv2d_grad_filter_partial(@builtin(global_invocation_id) gid: vec3<u32>) {
  let groups = (params.out_c + 3u) / 4u;
  let g = gid.x % groups;
  let tb = gid.x / groups;
  let s = gid.y;
  if (tb >= params.k_h * params.kw_blocks) { return; }
  let ky = tb / params.kw_blocks;
  let kx0 = (tb % params.kw_blocks) * 4u;
  let oc0 = g * 4u;
  let last = params.out_c - 1u - oc0;
  let oc = vec4<u32>(oc0) + vec4<u32>(0u, min(1u, last), min(2u, last), min(3u, last));
  let lanes = Lanes(oc / params.mult, oc, g);

  let sw = i32(params.stride_w);
  let dil = i32(params.dil_w);
  let slide = params.stride_w == params.dil_w;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let pixels = params.batch * params.out_h * params.out_w;
  var p = s * params.chunk;
  let p1 = min(p + params.chunk, pixels);
  while (p < p1) {
    // The rest of the slice within the output row of pixel p.
    let ox = p % params.out_w;
    let t = p / params.out_w;
    let oy = t % params.out_h;
    let n = t / params.out_h;
    let seg = min(params.out_w - ox, p1 - p);
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - i32(params.pad_top);
    if (iy >= 0 && iy < i32(params.in_h)) {
      let row = (n * params.in_h + u32(iy)) * params.in_w;
      // Input column of tap kx0 at pixel ox.
      let ixs = i32(ox * params.stride_w + kx0 * params.dil_w) - i32(params.pad_left);
      if (slide) {
        var a0 = load_x(row, ixs, lanes);
        var a1 = load_x(row, ixs + dil, lanes);
        var a2 = load_x(row, ixs + 2 * dil, lanes);
        var a3 = load_x(row, ixs + 3 * dil, lanes);
        for (var q = 0u; q < seg; q++) {
          let gv = load_dy(p + q, lanes);
          acc0 += a0 * gv;
          acc1 += a1 * gv;
          acc2 += a2 * gv;
          acc3 += a3 * gv;
          // Tap 3 at pixel q + 1 sits at ixs + (q + 1)·sw + 3·dw = ixs + (q + 4)·sw.
          a0 = a1;
          a1 = a2;
          a2 = a3;
          a3 = load_x(row, ixs + i32(q + 4u) * sw, lanes);
        }
      } else {
        for (var q = 0u; q < seg; q++) {
          let gv = load_dy(p + q, lanes);
          let ix = ixs + i32(q) * sw;
          acc0 += load_x(row, ix, lanes) * gv;
          acc1 += load_x(row, ix + dil, lanes) * gv;
          acc2 += load_x(row, ix + 2 * dil, lanes) * gv;
          acc3 += load_x(row, ix + 3 * dil, lanes) * gv;
        }
      }
    }
    p += seg;
  }
  let base = s * params.dw_size + (ky * params.k_w + kx0) * params.out_c + oc0;
  let nc = min(4u, params.out_c - oc0);
  let nt = min(4u, params.k_w - kx0);
  for (var k = 0u; k < nc; k++) {
    partial[base + k] = acc0[k];
    if (nt > 1u) { partial[base + params.out_c + k] = acc1[k]; }
    if (nt > 2u) { partial[base + 2u * params.out_c + k] = acc2[k]; }
    if (nt > 3u) { partial[base + 3u * params.out_c + k] = acc3[k]; }
  }
}

@compute @workgroup_size(256)
fn depthwise_conv2d_grad_filter_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= params.dw_size) { return; }
  var sum = 0.0;
  for (var s = 0u; s < params.splits; s++) {
    sum += partial[s * params.dw_size + i];
  }
  dw[i] = sum;
}

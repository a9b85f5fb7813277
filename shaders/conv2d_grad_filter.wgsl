// Gradient of conv2d with respect to its filter:
// dw[ky, kx, ci, co] = Σ over (n, oy, ox) of x[n, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw, ci] · dy[n, oy, ox, co].
//
// A GEMM with M = kh·kw·ci, N = co and a long K = n·oh·ow. The K reduction is split
// deterministically (split-K): conv2d_grad_filter_partial gives each of `splits` slices of K to its
// own threads, each keeping a 4 ci × 4 co register block (4 x loads and a vec4 of dy feed 16
// FMAs), and writes one partial dw per slice; conv2d_grad_filter_reduce then adds the slices in a
// fixed order. No float atomics, so the result is bit-identical from run to run. With one slice
// the partial pass writes dw directly. When ci and co are multiples of 4, the _vec4 entry reads the
// 4 x values and the 4 dy values of each pixel as one vec4 each (2 loads for 16 FMAs, not 8).
// Grouped (see conv2d.wgsl): dw is [kh, kw, in_c / groups, out_c], and output channel co's filter
// meets only its group's input channels; threads are laid out group by group, so a block's 4 output
// channels share one group, whose first input channel offsets the x reads.

struct Params {
  batch: u32, in_h: u32, in_w: u32, in_c: u32,
  out_h: u32, out_w: u32, out_c: u32, k_h: u32,
  k_w: u32, stride_h: u32, stride_w: u32, dil_h: u32,
  dil_w: u32, pad_top: u32, pad_left: u32, splits: u32,
  chunk: u32,
  // Blocks of 4 input channels per group (ceil(in_c / groups / 4)).
  ci_groups: u32,
  dw_size: u32,
  // Channel groups.
  groups: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
// splits × dw_size partial sums (or dw itself when splits = 1).
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;
// vec4 views of x and dy for conv2d_grad_filter_partial_vec4 (bound to the same buffers).
@group(0) @binding(5) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> dy4: array<vec4<f32>>;

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn conv2d_grad_filter_partial(@builtin(global_invocation_id) gid: vec3<u32>) {
  // gid.x: the 4-channel output blocks of each group in turn.
  let group_co = params.out_c / params.groups;
  let group_ci = params.in_c / params.groups;
  let group_blocks = (group_co + 3u) / 4u;
  let grp = gid.x / group_blocks;
  let co_in_group = (gid.x % group_blocks) * 4u;
  let co0 = grp * group_co + co_in_group;
  let t = gid.y;
  let s = gid.z;
  if (grp >= params.groups || t >= params.k_h * params.k_w * params.ci_groups) { return; }
  // ci0 counts within the group (dw's third dim); x reads add the group's first channel.
  let ci0 = (t % params.ci_groups) * 4u;
  let tap = t / params.ci_groups;
  let kx = tap % params.k_w;
  let ky = tap / params.k_w;

  let last_co = group_co - 1u - co_in_group;
  let dco = vec4<u32>(0u, min(1u, last_co), min(2u, last_co), min(3u, last_co));
  let last_ci = group_ci - 1u - ci0;
  let dci = vec4<u32>(0u, min(1u, last_ci), min(2u, last_ci), min(3u, last_ci));

  let pixels = params.batch * params.out_h * params.out_w;
  let p0 = s * params.chunk;
  let p1 = min(p0 + params.chunk, pixels);
  var ox = p0 % params.out_w;
  var oy = (p0 / params.out_w) % params.out_h;
  var n = p0 / (params.out_w * params.out_h);
  let off_y = i32(ky * params.dil_h) - i32(params.pad_top);
  let off_x = i32(kx * params.dil_w) - i32(params.pad_left);

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var p = p0; p < p1; p++) {
    let iy = i32(oy * params.stride_h) + off_y;
    let ix = i32(ox * params.stride_w) + off_x;
    if (iy >= 0 && iy < i32(params.in_h) && ix >= 0 && ix < i32(params.in_w)) {
      let xb = ((n * params.in_h + u32(iy)) * params.in_w + u32(ix)) * params.in_c + grp * group_ci + ci0;
      let db = p * params.out_c + co0;
      let g = vec4<f32>(dy[db + dco.x], dy[db + dco.y], dy[db + dco.z], dy[db + dco.w]);
      acc0 += x[xb + dci.x] * g;
      acc1 += x[xb + dci.y] * g;
      acc2 += x[xb + dci.z] * g;
      acc3 += x[xb + dci.w] * g;
    }
    ox++;
    if (ox == params.out_w) {
      ox = 0u;
      oy++;
      if (oy == params.out_h) { oy = 0u; n++; }
    }
  }
  let base = s * params.dw_size + (tap * group_ci + ci0) * params.out_c + co0;
  let nco = min(4u, group_co - co_in_group);
  let nci = min(4u, group_ci - ci0);
  for (var j = 0u; j < nco; j++) {
    partial[base + j] = acc0[j];
    if (nci > 1u) { partial[base + params.out_c + j] = acc1[j]; }
    if (nci > 2u) { partial[base + 2u * params.out_c + j] = acc2[j]; }
    if (nci > 3u) { partial[base + 3u * params.out_c + j] = acc3[j]; }
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn conv2d_grad_filter_partial_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let co0 = gid.x * 4u;
  let t = gid.y;
  let s = gid.z;
  if (co0 >= params.out_c || t >= params.k_h * params.k_w * params.ci_groups) { return; }
  let ci0 = (t % params.ci_groups) * 4u;
  let tap = t / params.ci_groups;
  let kx = tap % params.k_w;
  let ky = tap / params.k_w;
  // Each group's channels come in fours here (src/ops/conv2d.ts).
  let group_ci = params.in_c / params.groups;
  let x_c4 = params.in_c / 4u;
  let c4 = (co0 / (params.out_c / params.groups)) * (group_ci / 4u) + t % params.ci_groups;
  let co4 = params.out_c / 4u;

  let pixels = params.batch * params.out_h * params.out_w;
  let p0 = s * params.chunk;
  let p1 = min(p0 + params.chunk, pixels);
  var ox = p0 % params.out_w;
  var oy = (p0 / params.out_w) % params.out_h;
  var n = p0 / (params.out_w * params.out_h);
  let off_y = i32(ky * params.dil_h) - i32(params.pad_top);
  let off_x = i32(kx * params.dil_w) - i32(params.pad_left);

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var p = p0; p < p1; p++) {
    let iy = i32(oy * params.stride_h) + off_y;
    let ix = i32(ox * params.stride_w) + off_x;
    if (iy >= 0 && iy < i32(params.in_h) && ix >= 0 && ix < i32(params.in_w)) {
      let xv = x4[((n * params.in_h + u32(iy)) * params.in_w + u32(ix)) * x_c4 + c4];
      let g = dy4[p * co4 + gid.x];
      acc0 += xv.x * g;
      acc1 += xv.y * g;
      acc2 += xv.z * g;
      acc3 += xv.w * g;
    }
    ox++;
    if (ox == params.out_w) {
      ox = 0u;
      oy++;
      if (oy == params.out_h) { oy = 0u; n++; }
    }
  }
  let base = s * params.dw_size + (tap * group_ci + ci0) * params.out_c + co0;
  for (var j = 0u; j < 4u; j++) {
    partial[base + j] = acc0[j];
    partial[base + params.out_c + j] = acc1[j];
    partial[base + 2u * params.out_c + j] = acc2[j];
    partial[base + 3u * params.out_c + j] = acc3[j];
  }
}

@compute @workgroup_size(256)
fn conv2d_grad_filter_reduce(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= params.dw_size) { return; }
  var sum = 0.0;
  for (var s = 0u; s < params.splits; s++) {
    sum += partial[s * params.dw_size + i];
  }
  dw[i] = sum;
}

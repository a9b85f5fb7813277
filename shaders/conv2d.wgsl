// 2-D convolution, NHWC input x[n, h, w, ci], HWIO filter w[kh, kw, ci, co], output y[n, oh, ow, co].
//
// Both entry points are an implicit GEMM: M = n·oh·ow output pixels, N = co channels,
// K = kh·kw·ci, with the im2col matrix never written out; a row of it is gathered from x on the fly.
// HWIO flattened is already the K×N right-hand matrix, and NHWC y flattened is M×N.
//
// conv2d_block: no workgroup memory. Each thread keeps a register block of 4 neighbouring output
//   pixels of one row × 4 output channels (16 accumulators) and walks K, loading 4 x values and a
//   vec4 of w per step: 8 loads feed 16 FMAs. CPU-emulated adapters (SwiftShader) run this fastest:
//   workgroup memory is plain memory there and barriers are costly.
// conv2d_block_vec4: the same register block when ci and co are multiples of 4: x and w are read
//   through vec4 views of the same buffers, so 4 x loads and 4 w loads (all vec4) feed 64 FMAs.
// conv2d_tiled: for real GPUs. A 16×16 workgroup computes a 64×64 tile of y; per K step of 16 it
//   stages a 64×16 im2col tile and a 16×64 filter tile in workgroup memory (loads coalesced along
//   ci and co), then each thread accumulates a 4×4 block from them.
// Out-of-range pixels (padding) read x[0] and select 0 in its place instead of branching per element;
// a select, not a multiply by 0, so that an infinite x[0] cannot turn padding into NaN.
// Every store goes through the fused epilogue (include/epilogue_bn.wgsl): + bias[co], an inference
// batch normalisation where a BatchNormalization layer follows, activation.
//
// Grouped convolution (ONNX Conv's `group`): the channels split into `groups` equal groups, output
// channel co of group g = co / (co/groups) sees only input channels g·(ci/groups) … + ci/groups,
// and w is [kh, kw, ci/groups, co]. Each group is its own GEMM with K = kh·kw·ci/groups. Every
// entry point lays its threads out group by group (a thread's 4 output channels, or a tile's 64,
// never straddle two groups) and offsets its x reads by the group's first input channel; with
// groups = 1 that is the plain convolution, the contiguous-row fast path included.

struct Params {
  batch: u32, in_h: u32, in_w: u32, in_c: u32,
  out_h: u32, out_w: u32, out_c: u32, k_h: u32,
  k_w: u32, stride_h: u32, stride_w: u32, dil_h: u32,
  dil_w: u32, pad_top: u32, pad_left: u32, ow_blocks: u32,
  // The leaky relu slope of the epilogue.
  alpha: f32,
  // Channel groups: in_c and out_c are multiples of it; w holds in_c / groups input channels.
  groups: u32,
  // The epsilon of a fused batch normalisation (include/epilogue_bn.wgsl).
  bn_epsilon: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
// vec4 views of x and w for conv2d_block_vec4 (bound to the same buffers).
@group(0) @binding(4) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> w4: array<vec4<f32>>;
// The epilogue's bias, per output channel.
@group(0) @binding(6) var<storage, read> bias: array<f32>;
// A fused inference batch normalisation's statistics, per output channel (any buffer when absent).
@group(0) @binding(7) var<storage, read> bn_mean: array<f32>;
@group(0) @binding(8) var<storage, read> bn_variance: array<f32>;
@group(0) @binding(9) var<storage, read> bn_scale: array<f32>;
@group(0) @binding(10) var<storage, read> bn_offset: array<f32>;

// #include "include/epilogue_bn.wgsl"

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn conv2d_block(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // gid.x: the 4-channel blocks of each group in turn, ceil(group_co / 4) of them per group.
  let group_co = params.out_c / params.groups;
  let group_blocks = (group_co + 3u) / 4u;
  let grp = gid.x / group_blocks;
  let co_in_group = (gid.x % group_blocks) * 4u;
  let co0 = grp * group_co + co_in_group;
  let pblock = gid.y + gid.z * nwg.y * WG_Y;
  if (grp >= params.groups || pblock >= params.batch * params.out_h * params.ow_blocks) { return; }
  let ox0 = (pblock % params.ow_blocks) * 4u;
  let oy = (pblock / params.ow_blocks) % params.out_h;
  let n = pblock / (params.ow_blocks * params.out_h);

  // Offsets of the 4 channels in w; the last block of a group whose channels are not a multiple of
  // 4 repeats its last channel instead of reading past the group.
  let last = group_co - 1u - co_in_group;
  let d = vec4<u32>(0u, min(1u, last), min(2u, last), min(3u, last));

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  // The group's input channels: ci of them from channel c_first of each x pixel (in_c wide).
  let ci = params.in_c / params.groups;
  let c_first = grp * ci;
  let ix_first = i32(ox0) - i32(params.pad_left);
  let whole_rows = params.groups == 1u && params.stride_w == 1u && params.dil_w == 1u && ox0 + 3u < params.out_w &&
    ix_first >= 0 && ix_first + 3 + i32(params.k_w) <= i32(params.in_w);
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - i32(params.pad_top);
    if (iy < 0 || iy >= i32(params.in_h)) { continue; }
    let row = (n * params.in_h + u32(iy)) * params.in_w;
    if (whole_rows) {
      // Stride 1, no dilation, all 4 pixels and every tap inside the row: a kernel row's taps and
      // channels are one contiguous run of x per pixel and of w, walked without per-tap bounds.
      let xb = (row + u32(ix_first)) * ci;
      var wi = ky * params.k_w * ci * params.out_c + co0;
      for (var t = 0u; t < params.k_w * ci; t++) {
        let wv = vec4<f32>(w[wi + d.x], w[wi + d.y], w[wi + d.z], w[wi + d.w]);
        acc0 += x[xb + t] * wv;
        acc1 += x[xb + ci + t] * wv;
        acc2 += x[xb + 2u * ci + t] * wv;
        acc3 += x[xb + 3u * ci + t] * wv;
        wi += params.out_c;
      }
      continue;
    }
    for (var kx = 0u; kx < params.k_w; kx++) {
      let ix0 = i32(ox0 * params.stride_w + kx * params.dil_w) - i32(params.pad_left);
      let sx = i32(params.stride_w);
      let ixs = vec4<i32>(ix0, ix0 + sx, ix0 + 2 * sx, ix0 + 3 * sx);
      let oxs = vec4<u32>(ox0, ox0 + 1u, ox0 + 2u, ox0 + 3u);
      let valid = (ixs >= vec4<i32>(0)) & (ixs < vec4<i32>(i32(params.in_w))) & (oxs < vec4<u32>(params.out_w));
      let xb = select(vec4<u32>(0u), (vec4<u32>(row) + vec4<u32>(ixs)) * params.in_c + c_first, valid);
      var wi = (ky * params.k_w + kx) * ci * params.out_c + co0;
      for (var c = 0u; c < ci; c++) {
        let wv = vec4<f32>(w[wi + d.x], w[wi + d.y], w[wi + d.z], w[wi + d.w]);
        acc0 += select(0.0, x[xb.x + c], valid.x) * wv;
        acc1 += select(0.0, x[xb.y + c], valid.y) * wv;
        acc2 += select(0.0, x[xb.z + c], valid.z) * wv;
        acc3 += select(0.0, x[xb.w + c], valid.w) * wv;
        wi += params.out_c;
      }
    }
  }
  let base = ((n * params.out_h + oy) * params.out_w + ox0) * params.out_c + co0;
  let nc = min(4u, group_co - co_in_group);
  let np = min(4u, params.out_w - ox0);
  let y0 = epilogue_bn4(acc0, co0, params.alpha, params.bn_epsilon);
  let y1 = epilogue_bn4(acc1, co0, params.alpha, params.bn_epsilon);
  let y2 = epilogue_bn4(acc2, co0, params.alpha, params.bn_epsilon);
  let y3 = epilogue_bn4(acc3, co0, params.alpha, params.bn_epsilon);
  for (var k = 0u; k < nc; k++) {
    y[base + k] = y0[k];
    if (np > 1u) { y[base + params.out_c + k] = y1[k]; }
    if (np > 2u) { y[base + 2u * params.out_c + k] = y2[k]; }
    if (np > 3u) { y[base + 3u * params.out_c + k] = y3[k]; }
  }
}

@compute @workgroup_size(WG_X, WG_Y, 1)
fn conv2d_block_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let co0 = gid.x * 4u;
  let pblock = gid.y + gid.z * nwg.y * WG_Y;
  if (co0 >= params.out_c || pblock >= params.batch * params.out_h * params.ow_blocks) { return; }
  let ox0 = (pblock % params.ow_blocks) * 4u;
  let oy = (pblock / params.ow_blocks) % params.out_h;
  let n = pblock / (params.ow_blocks * params.out_h);
  // Each group's channels come in fours here (src/ops/conv2d.ts), so a block never straddles two.
  let ci = params.in_c / params.groups;
  let ci4 = ci / 4u;
  let x_c4 = params.in_c / 4u;
  let c4_first = (co0 / (params.out_c / params.groups)) * ci4;
  let co4 = params.out_c / 4u;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let ix_first = i32(ox0) - i32(params.pad_left);
  let whole_rows = params.groups == 1u && params.stride_w == 1u && params.dil_w == 1u && ox0 + 3u < params.out_w &&
    ix_first >= 0 && ix_first + 3 + i32(params.k_w) <= i32(params.in_w);
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - i32(params.pad_top);
    if (iy < 0 || iy >= i32(params.in_h)) { continue; }
    let row = (n * params.in_h + u32(iy)) * params.in_w;
    if (whole_rows) {
      // Stride 1, no dilation, all 4 pixels and every tap inside the row: a kernel row's taps and
      // channels are one contiguous run of x per pixel and of w, walked without per-tap bounds.
      let xb = (row + u32(ix_first)) * ci4;
      var wi = ky * params.k_w * ci * co4 + gid.x;
      for (var t = 0u; t < params.k_w * ci4; t++) {
        let w0 = w4[wi];
        let w1 = w4[wi + co4];
        let w2 = w4[wi + 2u * co4];
        let w3 = w4[wi + 3u * co4];
        let x0 = x4[xb + t];
        let x1 = x4[xb + ci4 + t];
        let x2 = x4[xb + 2u * ci4 + t];
        let x3 = x4[xb + 3u * ci4 + t];
        acc0 += x0.x * w0 + x0.y * w1 + x0.z * w2 + x0.w * w3;
        acc1 += x1.x * w0 + x1.y * w1 + x1.z * w2 + x1.w * w3;
        acc2 += x2.x * w0 + x2.y * w1 + x2.z * w2 + x2.w * w3;
        acc3 += x3.x * w0 + x3.y * w1 + x3.z * w2 + x3.w * w3;
        wi += 4u * co4;
      }
      continue;
    }
    for (var kx = 0u; kx < params.k_w; kx++) {
      let ix0 = i32(ox0 * params.stride_w + kx * params.dil_w) - i32(params.pad_left);
      let sx = i32(params.stride_w);
      let ixs = vec4<i32>(ix0, ix0 + sx, ix0 + 2 * sx, ix0 + 3 * sx);
      let oxs = vec4<u32>(ox0, ox0 + 1u, ox0 + 2u, ox0 + 3u);
      let valid = (ixs >= vec4<i32>(0)) & (ixs < vec4<i32>(i32(params.in_w))) & (oxs < vec4<u32>(params.out_w));
      let xb = select(vec4<u32>(0u), (vec4<u32>(row) + vec4<u32>(ixs)) * x_c4 + c4_first, valid);
      // w4 index of (ky, kx, c, co0): rows of co4 vec4s, one row per input channel of the group.
      var wi = (ky * params.k_w + kx) * ci * co4 + gid.x;
      for (var c = 0u; c < ci4; c++) {
        let w0 = w4[wi];
        let w1 = w4[wi + co4];
        let w2 = w4[wi + 2u * co4];
        let w3 = w4[wi + 3u * co4];
        let x0 = select(vec4<f32>(0.0), x4[xb.x + c], valid.x);
        let x1 = select(vec4<f32>(0.0), x4[xb.y + c], valid.y);
        let x2 = select(vec4<f32>(0.0), x4[xb.z + c], valid.z);
        let x3 = select(vec4<f32>(0.0), x4[xb.w + c], valid.w);
        acc0 += x0.x * w0 + x0.y * w1 + x0.z * w2 + x0.w * w3;
        acc1 += x1.x * w0 + x1.y * w1 + x1.z * w2 + x1.w * w3;
        acc2 += x2.x * w0 + x2.y * w1 + x2.z * w2 + x2.w * w3;
        acc3 += x3.x * w0 + x3.y * w1 + x3.z * w2 + x3.w * w3;
        wi += 4u * co4;
      }
    }
  }
  let base = ((n * params.out_h + oy) * params.out_w + ox0) * params.out_c + co0;
  let np = min(4u, params.out_w - ox0);
  let y0 = epilogue_bn4(acc0, co0, params.alpha, params.bn_epsilon);
  let y1 = epilogue_bn4(acc1, co0, params.alpha, params.bn_epsilon);
  let y2 = epilogue_bn4(acc2, co0, params.alpha, params.bn_epsilon);
  let y3 = epilogue_bn4(acc3, co0, params.alpha, params.bn_epsilon);
  for (var k = 0u; k < 4u; k++) {
    y[base + k] = y0[k];
    if (np > 1u) { y[base + params.out_c + k] = y1[k]; }
    if (np > 2u) { y[base + 2u * params.out_c + k] = y2[k]; }
    if (np > 3u) { y[base + 3u * params.out_c + k] = y3[k]; }
  }
}

const TILE_M: u32 = 64u;
const TILE_N: u32 = 64u;
const TILE_K: u32 = 16u;
var<workgroup> a_tile: array<array<f32, 64>, 16>;  // [k][m]
var<workgroup> b_tile: array<array<f32, 64>, 16>;  // [k][n]

@compute @workgroup_size(16, 16, 1)
fn conv2d_tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let tid = lid.y * 16u + lid.x;
  let m0 = (wid.y + wid.z * nwg.y) * TILE_M;
  // wid.x: the 64-channel tiles of each group in turn; a tile's columns end with its group's.
  let group_co = params.out_c / params.groups;
  let group_tiles = (group_co + TILE_N - 1u) / TILE_N;
  let grp = wid.x / group_tiles;
  let n0 = grp * group_co + (wid.x % group_tiles) * TILE_N;
  let n_end = (grp + 1u) * group_co;
  let big_m = params.batch * params.out_h * params.out_w;
  let ci = params.in_c / params.groups;
  let c_first = grp * ci;
  let big_k = params.k_h * params.k_w * ci;

  // This thread always stages the same 4 im2col rows and the same k column; decode the rows once.
  let kk = tid % TILE_K;
  var row_ok: array<bool, 4>;
  var row_n: array<u32, 4>;
  var row_iy: array<i32, 4>;
  var row_ix: array<i32, 4>;
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + tid / TILE_K + 16u * i;
    row_ok[i] = m < big_m;
    let ox = m % params.out_w;
    let t = m / params.out_w;
    row_iy[i] = i32((t % params.out_h) * params.stride_h) - i32(params.pad_top);
    row_ix[i] = i32(ox * params.stride_w) - i32(params.pad_left);
    row_n[i] = t / params.out_h;
  }

  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < big_k; k0 += TILE_K) {
    let k = k0 + kk;
    let c = k % ci;
    let kxy = k / ci;
    let dy = i32((kxy / params.k_w) * params.dil_h);
    let dx = i32((kxy % params.k_w) * params.dil_w);
    for (var i = 0u; i < 4u; i++) {
      let iy = row_iy[i] + dy;
      let ix = row_ix[i] + dx;
      let inside = row_ok[i] && k < big_k && iy >= 0 && iy < i32(params.in_h) && ix >= 0 && ix < i32(params.in_w);
      let idx = select(0u, ((row_n[i] * params.in_h + u32(iy)) * params.in_w + u32(ix)) * params.in_c + c_first + c, inside);
      a_tile[kk][tid / TILE_K + 16u * i] = select(0.0, x[idx], inside);
    }
    for (var i = 0u; i < 4u; i++) {
      let e = tid + 256u * i;
      let bn = n0 + e % TILE_N;
      let bk = k0 + e / TILE_N;
      let inside = bn < n_end && bk < big_k;
      b_tile[e / TILE_N][e % TILE_N] = select(0.0, w[select(0u, bk * params.out_c + bn, inside)], inside);
    }
    workgroupBarrier();
    for (var t = 0u; t < TILE_K; t++) {
      let b = vec4<f32>(b_tile[t][lid.x], b_tile[t][lid.x + 16u], b_tile[t][lid.x + 32u], b_tile[t][lid.x + 48u]);
      acc[0] += a_tile[t][lid.y] * b;
      acc[1] += a_tile[t][lid.y + 16u] * b;
      acc[2] += a_tile[t][lid.y + 32u] * b;
      acc[3] += a_tile[t][lid.y + 48u] * b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y + 16u * i;
    if (m >= big_m) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x + 16u * j;
      if (n < n_end) { y[m * params.out_c + n] = epilogue_bn(acc[i][j], n, params.alpha, params.bn_epsilon); }
    }
  }
}

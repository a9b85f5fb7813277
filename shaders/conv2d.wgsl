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
// conv2d_few: at most 16 output channels (groups = 1). Each thread computes 4–8 neighbouring output
//   pixels of one row (PX) × every output channel (CO; both override constants), so each x value
//   it loads feeds all the channels, not 4 of them: the block kernel splits 6 or 10 output channels
//   into 2–3 threads that each load the same x values again and leave lanes idle. The window is
//   walked as one flat loop (entering a loop costs SwiftShader several steps of it): unchecked
//   where every tap is inside x, with a sliding window near the padding at stride 1, with per-tap
//   checks otherwise; the kernel rows that fall in the padding are not walked at all.
// conv2d_block and conv2d_block_vec4 walk their window the same flat way.
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

// The kernel rows [x, y) of a window starting at input row iy_first that land inside x: the
// padding rows contribute nothing and are not walked.
fn window_rows(iy_first: i32) -> vec2<u32> {
  let dh = i32(params.dil_h);
  let lo = clamp((-iy_first + dh - 1) / dh, 0, i32(params.k_h));
  let hi = clamp((i32(params.in_h) - iy_first + dh - 1) / dh, lo, i32(params.k_h));
  return vec2<u32>(u32(lo), u32(hi));
}

// Where a flat walk over a window is: kernel row ky, tap kx, step c of the tap's `per_tap`.
struct Walk { ky: u32, kx: u32, c: u32 }

fn walk_next(p: Walk, per_tap: u32) -> Walk {
  let next_kx = p.c + 1u == per_tap;
  let next_ky = next_kx && p.kx + 1u == params.k_w;
  return Walk(select(p.ky, p.ky + 1u, next_ky), select(select(p.kx, p.kx + 1u, next_kx), 0u, next_ky), select(p.c + 1u, 0u, next_kx));
}

// Where a walk over whole kernel rows is in x: index `at`, r steps into a row's run of `run`
// values, then a jump to the next kernel row's start.
struct RowRun { at: u32, r: u32 }

fn row_run_next(p: RowRun, run: u32, jump: u32) -> RowRun {
  let wrap = p.r + 1u == run;
  return RowRun(select(p.at + 1u, p.at + 1u + jump, wrap), select(p.r + 1u, 0u, wrap));
}

// A block's 4 pixels from column ox0: their first input columns (tap 0) and which of them exist.
struct BlockColumns { ix: vec4<i32>, ok: vec4<bool> }

fn block_columns(ox0: u32) -> BlockColumns {
  let sx = i32(params.stride_w);
  let oxs = vec4<u32>(ox0) + vec4<u32>(0u, 1u, 2u, 3u);
  return BlockColumns(vec4<i32>(i32(ox0) * sx - i32(params.pad_left)) + vec4<i32>(0, sx, 2 * sx, 3 * sx), oxs < vec4<u32>(params.out_w));
}

// The block's 4 pixels at tap kx: which read inside x, and their x indices (0 where not) of
// channel c in an x of `width` values per pixel.
struct BlockTap { valid: vec4<bool>, at: vec4<u32> }

fn block_tap(cols: BlockColumns, row: u32, kx: u32, width: u32, c: u32) -> BlockTap {
  let ixs = cols.ix + vec4<i32>(i32(kx * params.dil_w));
  let valid = cols.ok & (ixs >= vec4<i32>(0)) & (ixs < vec4<i32>(i32(params.in_w)));
  return BlockTap(valid, select(vec4<u32>(0u), (vec4<u32>(row) + vec4<u32>(max(ixs, vec4<i32>(0)))) * width + c, valid));
}

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
  // One flat loop over the window's kernel rows inside x, as conv2d_few walks it (entering a loop
  // costs SwiftShader several steps of it; a loop per row and per tap entered dozens per thread).
  let iy_first = i32(oy * params.stride_h) - i32(params.pad_top);
  let rows = window_rows(iy_first);
  let ix_first = i32(ox0) - i32(params.pad_left);
  let whole_rows = params.groups == 1u && params.stride_w == 1u && params.dil_w == 1u && ox0 + 3u < params.out_w &&
    ix_first >= 0 && ix_first + 3 + i32(params.k_w) <= i32(params.in_w);
  if (whole_rows) {
    // Stride 1, no dilation, all 4 pixels and every tap inside the row: a kernel row's taps and
    // channels are one contiguous run of x per pixel and of w, walked without per-tap bounds.
    let run = params.k_w * ci;
    let jump = (params.in_w - params.k_w) * ci + (params.dil_h - 1u) * params.in_w * ci;
    var at = RowRun(((n * params.in_h + u32(iy_first + i32(rows.x * params.dil_h))) * params.in_w + u32(ix_first)) * ci, 0u);
    var wi = rows.x * run * params.out_c + co0;
    for (var t = 0u; t < (rows.y - rows.x) * run; t++) {
      let wv = vec4<f32>(w[wi + d.x], w[wi + d.y], w[wi + d.z], w[wi + d.w]);
      acc0 += x[at.at] * wv;
      acc1 += x[at.at + ci] * wv;
      acc2 += x[at.at + 2u * ci] * wv;
      acc3 += x[at.at + 3u * ci] * wv;
      wi += params.out_c;
      at = row_run_next(at, run, jump);
    }
  } else {
    let cols = block_columns(ox0);
    var p = Walk(rows.x, 0u, 0u);
    var wi = rows.x * params.k_w * ci * params.out_c + co0;
    for (var t = 0u; t < (rows.y - rows.x) * params.k_w * ci; t++) {
      let row = (n * params.in_h + u32(iy_first + i32(p.ky * params.dil_h))) * params.in_w;
      let tap = block_tap(cols, row, p.kx, params.in_c, c_first + p.c);
      let wv = vec4<f32>(w[wi + d.x], w[wi + d.y], w[wi + d.z], w[wi + d.w]);
      acc0 += select(0.0, x[tap.at.x], tap.valid.x) * wv;
      acc1 += select(0.0, x[tap.at.y], tap.valid.y) * wv;
      acc2 += select(0.0, x[tap.at.z], tap.valid.z) * wv;
      acc3 += select(0.0, x[tap.at.w], tap.valid.w) * wv;
      wi += params.out_c;
      p = walk_next(p, ci);
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
  // One flat loop over the window's kernel rows inside x, as in conv2d_block.
  let iy_first = i32(oy * params.stride_h) - i32(params.pad_top);
  let rows = window_rows(iy_first);
  let ix_first = i32(ox0) - i32(params.pad_left);
  let whole_rows = params.groups == 1u && params.stride_w == 1u && params.dil_w == 1u && ox0 + 3u < params.out_w &&
    ix_first >= 0 && ix_first + 3 + i32(params.k_w) <= i32(params.in_w);
  if (whole_rows) {
    // Stride 1, no dilation, all 4 pixels and every tap inside the row: a kernel row's taps and
    // channels are one contiguous run of x per pixel and of w, walked without per-tap bounds.
    let run = params.k_w * ci4;
    let jump = (params.in_w - params.k_w) * ci4 + (params.dil_h - 1u) * params.in_w * ci4;
    var at = RowRun(((n * params.in_h + u32(iy_first + i32(rows.x * params.dil_h))) * params.in_w + u32(ix_first)) * ci4, 0u);
    var wi = rows.x * params.k_w * ci * co4 + gid.x;
    for (var t = 0u; t < (rows.y - rows.x) * run; t++) {
      let w0 = w4[wi];
      let w1 = w4[wi + co4];
      let w2 = w4[wi + 2u * co4];
      let w3 = w4[wi + 3u * co4];
      let x0 = x4[at.at];
      let x1 = x4[at.at + ci4];
      let x2 = x4[at.at + 2u * ci4];
      let x3 = x4[at.at + 3u * ci4];
      acc0 += x0.x * w0 + x0.y * w1 + x0.z * w2 + x0.w * w3;
      acc1 += x1.x * w0 + x1.y * w1 + x1.z * w2 + x1.w * w3;
      acc2 += x2.x * w0 + x2.y * w1 + x2.z * w2 + x2.w * w3;
      acc3 += x3.x * w0 + x3.y * w1 + x3.z * w2 + x3.w * w3;
      wi += 4u * co4;
      at = row_run_next(at, run, jump);
    }
  } else {
    let cols = block_columns(ox0);
    var p = Walk(rows.x, 0u, 0u);
    // w4 index of (ky, kx, c, co0): rows of co4 vec4s, one row per input channel of the group.
    var wi = rows.x * params.k_w * ci * co4 + gid.x;
    for (var t = 0u; t < (rows.y - rows.x) * params.k_w * ci4; t++) {
      let row = (n * params.in_h + u32(iy_first + i32(p.ky * params.dil_h))) * params.in_w;
      let tap = block_tap(cols, row, p.kx, x_c4, c4_first + p.c);
      let w0 = w4[wi];
      let w1 = w4[wi + co4];
      let w2 = w4[wi + 2u * co4];
      let w3 = w4[wi + 3u * co4];
      let x0 = select(vec4<f32>(0.0), x4[tap.at.x], tap.valid.x);
      let x1 = select(vec4<f32>(0.0), x4[tap.at.y], tap.valid.y);
      let x2 = select(vec4<f32>(0.0), x4[tap.at.z], tap.valid.z);
      let x3 = select(vec4<f32>(0.0), x4[tap.at.w], tap.valid.w);
      acc0 += x0.x * w0 + x0.y * w1 + x0.z * w2 + x0.w * w3;
      acc1 += x1.x * w0 + x1.y * w1 + x1.z * w2 + x1.w * w3;
      acc2 += x2.x * w0 + x2.y * w1 + x2.z * w2 + x2.w * w3;
      acc3 += x3.x * w0 + x3.y * w1 + x3.z * w2 + x3.w * w3;
      wi += 4u * co4;
      p = walk_next(p, ci4);
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

// conv2d_few's accumulators, one array of PX pixels per channel group (4 channels), indexed by
// constants only so that they stay per-lane registers: a computed index into a private array is a
// gather on SwiftShader. PX (4–8 pixels of a row) and CO (out_c, at most 16) are override constants.
override PX: u32 = 4u;
override CO: u32 = 16u;
var<private> few_acc0: array<vec4<f32>, 8>;
var<private> few_acc1: array<vec4<f32>, 8>;
var<private> few_acc2: array<vec4<f32>, 8>;
var<private> few_acc3: array<vec4<f32>, 8>;

// x values of a thread's pixels 0–3 and 4–7 at one (tap, input channel).
struct FewPixels { a: vec4<f32>, b: vec4<f32> }

// Pixels 0…PX−1 at x[xo + p · step]; the ones past PX are not loaded (every load is a gather).
fn few_load(xo: u32, step: u32) -> FewPixels {
  var r = FewPixels(vec4<f32>(x[xo], x[xo + step], x[xo + 2u * step], x[xo + 3u * step]), vec4<f32>(0.0));
  if (PX > 4u) { r.b.x = x[xo + 4u * step]; }
  if (PX > 5u) { r.b.y = x[xo + 5u * step]; }
  if (PX > 6u) { r.b.z = x[xo + 6u * step]; }
  if (PX > 7u) { r.b.w = x[xo + 7u * step]; }
  return r;
}

// Column ix of the row starting at x[row] (channel c), or 0 where ix is outside x.
fn few_column(row: u32, ix: i32, c: u32) -> f32 {
  let inside = ix >= 0 && ix < i32(params.in_w);
  return select(0.0, x[select(0u, (row + u32(ix)) * params.in_c + c, inside)], inside);
}

// The PX pixels' x values at columns ix0 + p (stride 1); those past PX are not loaded.
fn few_load_row(row: u32, ix0: i32, c: u32) -> FewPixels {
  var r = FewPixels(vec4<f32>(few_column(row, ix0, c), few_column(row, ix0 + 1, c), few_column(row, ix0 + 2, c),
    few_column(row, ix0 + 3, c)), vec4<f32>(0.0));
  if (PX > 4u) { r.b.x = few_column(row, ix0 + 4, c); }
  if (PX > 5u) { r.b.y = few_column(row, ix0 + 5, c); }
  if (PX > 6u) { r.b.z = few_column(row, ix0 + 6, c); }
  if (PX > 7u) { r.b.w = few_column(row, ix0 + 7, c); }
  return r;
}

// The window one tap to the right: pixel p takes pixel p + 1's value, the last pixel the new one.
fn few_shift(px: FewPixels, v: f32) -> FewPixels {
  var r = FewPixels(vec4<f32>(px.a.yzw, px.b.x), vec4<f32>(px.b.yzw, 0.0));
  if (PX == 4u) { r.a.w = v; }
  if (PX == 5u) { r.b.x = v; }
  if (PX == 6u) { r.b.y = v; }
  if (PX == 7u) { r.b.z = v; }
  if (PX == 8u) { r.b.w = v; }
  return r;
}

// Pixel p's x at index xb[p] where valid[p], else 0 (out-of-range indices are 0 there already).
fn few_load_checked(xa: vec4<u32>, xb: vec4<u32>, va: vec4<bool>, vb: vec4<bool>) -> FewPixels {
  var r = FewPixels(select(vec4<f32>(0.0), vec4<f32>(x[xa.x], x[xa.y], x[xa.z], x[xa.w]), va), vec4<f32>(0.0));
  if (PX > 4u) { r.b.x = select(0.0, x[xb.x], vb.x); }
  if (PX > 5u) { r.b.y = select(0.0, x[xb.y], vb.y); }
  if (PX > 6u) { r.b.z = select(0.0, x[xb.z], vb.z); }
  if (PX > 7u) { r.b.w = select(0.0, x[xb.w], vb.w); }
  return r;
}

fn few_fma(acc: ptr<private, array<vec4<f32>, 8>>, px: FewPixels, wv: vec4<f32>) {
  (*acc)[0] += px.a.x * wv; (*acc)[1] += px.a.y * wv; (*acc)[2] += px.a.z * wv; (*acc)[3] += px.a.w * wv;
  if (PX > 4u) { (*acc)[4] += px.b.x * wv; }
  if (PX > 5u) { (*acc)[5] += px.b.y * wv; }
  if (PX > 6u) { (*acc)[6] += px.b.z * wv; }
  if (PX > 7u) { (*acc)[7] += px.b.w * wv; }
}

// The 4 channels of group j at filter row wi; those past CO are 0, not loaded.
fn few_w(j: u32, wi: u32) -> vec4<f32> {
  let c = wi + 4u * j;
  var r = vec4<f32>(w[c], 0.0, 0.0, 0.0);
  if (CO > 4u * j + 1u) { r.y = w[c + 1u]; }
  if (CO > 4u * j + 2u) { r.z = w[c + 2u]; }
  if (CO > 4u * j + 3u) { r.w = w[c + 3u]; }
  return r;
}

// One (tap, input channel) step: the pixels' x values times the filter row at wi.
fn few_step(px: FewPixels, wi: u32) {
  few_fma(&few_acc0, px, few_w(0u, wi));
  if (CO > 4u) { few_fma(&few_acc1, px, few_w(1u, wi)); }
  if (CO > 8u) { few_fma(&few_acc2, px, few_w(2u, wi)); }
  if (CO > 12u) { few_fma(&few_acc3, px, few_w(3u, wi)); }
}

// The np pixels' outputs of channel group j (its channels below out_c).
fn few_store(j: u32, v: array<vec4<f32>, 8>, base: u32, np: u32) {
  let co0 = 4u * j;
  if (co0 >= params.out_c) { return; }
  let nc = min(4u, params.out_c - co0);
  for (var p = 0u; p < np; p++) {
    let out = epilogue_bn4(v[p], co0, params.alpha, params.bn_epsilon);
    for (var k = 0u; k < nc; k++) { y[base + p * params.out_c + co0 + k] = out[k]; }
  }
}

@compute @workgroup_size(64, 1, 1)
fn conv2d_few(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let pblock = gid.x + gid.y * nwg.x * 64u;
  if (pblock >= params.batch * params.out_h * params.ow_blocks) { return; }
  // The row's last block ends at the row's end, overlapping its neighbour where PX does not
  // divide out_w (both threads store the same values there): no block is partial, so in a
  // 'valid' convolution every block takes the unchecked interior walk.
  let ox0 = min((pblock % params.ow_blocks) * PX, select(0u, params.out_w - PX, params.out_w >= PX));
  let oy = (pblock / params.ow_blocks) % params.out_h;
  let n = pblock / (params.ow_blocks * params.out_h);
  let ci = params.in_c;

  // Loops are costly to enter on SwiftShader (several times a step of this one), so the window is
  // walked as one flat loop, not one loop per kernel row and tap.
  let ix_first = i32(ox0 * params.stride_w) - i32(params.pad_left);
  let iy_first = i32(oy * params.stride_h) - i32(params.pad_top);
  let rows = window_rows(iy_first);
  let ky_lo = rows.x;
  let ky_hi = rows.y;
  let sliding = params.stride_w == 1u && params.dil_w == 1u;
  let interior = sliding && ix_first >= 0 && ix_first + i32(PX - 1u + params.k_w) <= i32(params.in_w);
  if (interior) {
    // Every column tap of every pixel inside x: each kernel row is one contiguous run of x per
    // pixel, walked (ky, kx, c) with no checks.
    let run = params.k_w * ci;
    let jump = (params.in_w - params.k_w) * ci + (params.dil_h - 1u) * params.in_w * ci;
    var at = RowRun(((n * params.in_h + u32(iy_first + i32(ky_lo * params.dil_h))) * params.in_w + u32(ix_first)) * ci, 0u);
    var wi = ky_lo * run * params.out_c;
    for (var t = 0u; t < (ky_hi - ky_lo) * run; t++) {
      few_step(few_load(at.at, ci), wi);
      wi += params.out_c;
      at = row_run_next(at, run, jump);
    }
  } else if (sliding) {
    // Near the padding at stride 1: the window walks (ky, c, kx), and one tap to the right each
    // pixel takes its right neighbour's x value, so a step loads one new column (PX of them at
    // kx = 0), checked against the padding.
    var kx = 0u;
    var c = 0u;
    var ky = ky_lo;
    var px = FewPixels(vec4<f32>(0.0), vec4<f32>(0.0));
    for (var t = 0u; t < (ky_hi - ky_lo) * ci * params.k_w; t++) {
      let row = (n * params.in_h + u32(iy_first + i32(ky * params.dil_h))) * params.in_w;
      if (kx == 0u) {
        px = few_load_row(row, ix_first, c);
      } else {
        px = few_shift(px, few_column(row, ix_first + i32(kx + PX - 1u), c));
      }
      few_step(px, ((ky * params.k_w + kx) * ci + c) * params.out_c);
      let next_c = kx + 1u == params.k_w;
      kx = select(kx + 1u, 0u, next_c);
      let next_ky = next_c && c + 1u == ci;
      c = select(select(c, c + 1u, next_c), 0u, next_ky);
      ky = select(ky, ky + 1u, next_ky);
    }
  } else {
    // Strided or dilated along the row: each tap's pixels checked (in two blocks of 4, as the
    // block kernels check theirs), out-of-range ones reading x[0].
    let cols_a = block_columns(ox0);
    let cols_b = block_columns(ox0 + 4u);
    var p = Walk(ky_lo, 0u, 0u);
    var wi = ky_lo * params.k_w * ci * params.out_c;
    for (var t = 0u; t < (ky_hi - ky_lo) * params.k_w * ci; t++) {
      let row = (n * params.in_h + u32(iy_first + i32(p.ky * params.dil_h))) * params.in_w;
      let a = block_tap(cols_a, row, p.kx, ci, p.c);
      let b = block_tap(cols_b, row, p.kx, ci, p.c);
      few_step(few_load_checked(a.at, b.at, a.valid, b.valid), wi);
      wi += params.out_c;
      p = walk_next(p, ci);
    }
  }
  let base = ((n * params.out_h + oy) * params.out_w + ox0) * params.out_c;
  let np = min(PX, params.out_w - ox0);
  few_store(0u, few_acc0, base, np);
  few_store(1u, few_acc1, base, np);
  few_store(2u, few_acc2, base, np);
  few_store(3u, few_acc3, base, np);
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

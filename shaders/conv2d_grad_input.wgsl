// Gradient of conv2d with respect to its input: dx[n, iy, ix, ci] = Σ dy[n, oy, ox, co] · w[ky, kx, ci, co]
// over the (ky, kx, co) with iy = oy·stride_h − pad_top + ky·dil_h (and likewise for x).
//
// A GEMM over dy with the flipped filter (M = n·ih·iw, N = ci, K = kh·kw·co), gathered without
// materialising a dilated dy: for each tap (ky, kx) the source row oy = (iy + pad_top − ky·dil_h) /
// stride_h exists only when the division is exact. Each thread keeps a register block of 4 input
// pixels × 4 input channels and walks co, loading 4 dy values and 4 filter values per step
// (16 FMAs). The 4 pixels of a block share their phase modulo stride_w (ix = phase + stride_w·j),
// so they take their gradient from the same taps and from 4 neighbouring dy columns: at stride 2
// no lane is masked, where neighbouring pixels would leave half of them idle. Taps whose division
// is not exact are skipped whole. A lane whose dy column is outside dy reads dy[0] and selects 0
// in its place (a select, not a multiply by 0, so an infinite value there cannot become NaN).
// Grouped (see conv2d.wgsl): input channel ci of group g takes its gradient from that group's
// output channels only, through w[ky, kx, ci − g·(ci/groups), co]; threads are laid out group by
// group so a block's 4 input channels never straddle two groups.

struct Params {
  batch: u32, in_h: u32, in_w: u32, in_c: u32,
  out_h: u32, out_w: u32, out_c: u32, k_h: u32,
  k_w: u32, stride_h: u32, stride_w: u32, dil_h: u32,
  dil_w: u32, pad_top: u32, pad_left: u32, iw_blocks: u32,
  // Channel groups: w is [kh, kw, in_c / groups, out_c].
  groups: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
// vec4 views of dy and w (the same buffers), read when VEC4 is set.
@group(0) @binding(4) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> w4: array<vec4<f32>>;

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
// Set when each group's ci and co are multiples of 4: the co loop then reads a vec4 of dy per pixel and a vec4 of
// w per input channel, 8 loads for 64 FMAs instead of 8 for 16.
override VEC4: bool = false;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn conv2d_grad_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // gid.x: the 4-channel blocks of each group in turn.
  let group_ci = params.in_c / params.groups;
  let group_co = params.out_c / params.groups;
  let group_blocks = (group_ci + 3u) / 4u;
  let grp = gid.x / group_blocks;
  let ci_in_group = (gid.x % group_blocks) * 4u;
  let ci0 = grp * group_ci + ci_in_group;
  let co_first = grp * group_co;
  let pblock = gid.y + gid.z * nwg.y * WG_Y;
  if (grp >= params.groups || pblock >= params.batch * params.in_h * params.iw_blocks) { return; }
  // iw_blocks = stride_w · (blocks per phase); block b holds ix = phase + stride_w·(4q + j).
  let b = pblock % params.iw_blocks;
  let sw = params.stride_w;
  let phase = b % sw;
  let q4 = (b / sw) * 4u;
  let ix0 = phase + sw * q4;
  let iy = (pblock / params.iw_blocks) % params.in_h;
  let n = pblock / (params.iw_blocks * params.in_h);
  let co_n = params.out_c;

  // Row offsets in w of the 4 input channels; a last partial block repeats its last channel.
  let last = group_ci - 1u - ci_in_group;
  let d = vec4<u32>(0u, min(1u, last), min(2u, last), min(3u, last)) * co_n;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let ixs = vec4<u32>(ix0, ix0 + sw, ix0 + 2u * sw, ix0 + 3u * sw);
  let in_row = ixs < vec4<u32>(params.in_w);
  for (var ky = 0u; ky < params.k_h; ky++) {
    let num_y = i32(iy + params.pad_top) - i32(ky * params.dil_h);
    if (num_y < 0 || num_y % i32(params.stride_h) != 0) { continue; }
    let oy = u32(num_y) / params.stride_h;
    if (oy >= params.out_h) { continue; }
    for (var kx = 0u; kx < params.k_w; kx++) {
      // ox_j = (ix_j + pad_left − kx·dil_w) / stride_w, exact for all four or for none.
      let num = i32(phase + params.pad_left) - i32(kx * params.dil_w);
      if (((num % i32(sw)) + i32(sw)) % i32(sw) != 0) { continue; }
      let ox0 = num / i32(sw) + i32(q4);
      let oxs = vec4<i32>(ox0, ox0 + 1, ox0 + 2, ox0 + 3);
      let valid = (oxs >= vec4<i32>(0)) & (oxs < vec4<i32>(i32(params.out_w))) & in_row;
      if (!any(valid)) { continue; }
      let row = (n * params.out_h + oy) * params.out_w;
      let db = select(vec4<u32>(0u), (vec4<u32>(row) + vec4<u32>(max(oxs, vec4<i32>(0)))) * co_n + co_first, valid);
      let wb = ((ky * params.k_w + kx) * group_ci + ci_in_group) * co_n + co_first;
      if (VEC4) {
        let row4 = co_n / 4u;
        let wb4 = wb / 4u;
        let db4 = db / 4u;
        for (var c4 = 0u; c4 < group_co / 4u; c4++) {
          let w0 = w4[wb4 + c4];
          let w1 = w4[wb4 + row4 + c4];
          let w2 = w4[wb4 + 2u * row4 + c4];
          let w3 = w4[wb4 + 3u * row4 + c4];
          let g0 = select(vec4<f32>(0.0), dy4[db4.x + c4], valid.x);
          let g1 = select(vec4<f32>(0.0), dy4[db4.y + c4], valid.y);
          let g2 = select(vec4<f32>(0.0), dy4[db4.z + c4], valid.z);
          let g3 = select(vec4<f32>(0.0), dy4[db4.w + c4], valid.w);
          acc0 += vec4<f32>(dot(g0, w0), dot(g0, w1), dot(g0, w2), dot(g0, w3));
          acc1 += vec4<f32>(dot(g1, w0), dot(g1, w1), dot(g1, w2), dot(g1, w3));
          acc2 += vec4<f32>(dot(g2, w0), dot(g2, w1), dot(g2, w2), dot(g2, w3));
          acc3 += vec4<f32>(dot(g3, w0), dot(g3, w1), dot(g3, w2), dot(g3, w3));
        }
      } else if (group_ci == 1u) {
        // One input channel (a grayscale first layer): one filter load per step, not four of the same.
        for (var co = 0u; co < group_co; co++) {
          let wv = vec4<f32>(w[wb + co]);
          acc0 += select(0.0, dy[db.x + co], valid.x) * wv;
          acc1 += select(0.0, dy[db.y + co], valid.y) * wv;
          acc2 += select(0.0, dy[db.z + co], valid.z) * wv;
          acc3 += select(0.0, dy[db.w + co], valid.w) * wv;
        }
      } else {
        for (var co = 0u; co < group_co; co++) {
          let wv = vec4<f32>(w[wb + d.x + co], w[wb + d.y + co], w[wb + d.z + co], w[wb + d.w + co]);
          acc0 += select(0.0, dy[db.x + co], valid.x) * wv;
          acc1 += select(0.0, dy[db.y + co], valid.y) * wv;
          acc2 += select(0.0, dy[db.z + co], valid.z) * wv;
          acc3 += select(0.0, dy[db.w + co], valid.w) * wv;
        }
      }
    }
  }
  let row_base = (n * params.in_h + iy) * params.in_w;
  let nc = min(4u, group_ci - ci_in_group);
  for (var k = 0u; k < nc; k++) {
    if (in_row.x) { dx[(row_base + ixs.x) * params.in_c + ci0 + k] = acc0[k]; }
    if (in_row.y) { dx[(row_base + ixs.y) * params.in_c + ci0 + k] = acc1[k]; }
    if (in_row.z) { dx[(row_base + ixs.z) * params.in_c + ci0 + k] = acc2[k]; }
    if (in_row.w) { dx[(row_base + ixs.w) * params.in_c + ci0 + k] = acc3[k]; }
  }
}

// The filter flipped and transposed, w_flipped[ky, kx, co, ci] = w[kh−1−ky, kw−1−kx, ci, co]: at
// stride 1 the input gradient is the convolution of dy with it (padded by dil·(k−1) − pad), which
// src/ops/conv2d.ts runs on conv2d's few-channel kernel when dx has few channels.
@group(0) @binding(6) var<storage, read_write> w_flipped: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn conv2d_flip_filter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= params.k_h * params.k_w * params.in_c * params.out_c) { return; }
  let c = i % params.in_c;
  let o = (i / params.in_c) % params.out_c;
  let tap = i / (params.in_c * params.out_c);
  let ky = params.k_h - 1u - tap / params.k_w;
  let kx = params.k_w - 1u - tap % params.k_w;
  w_flipped[i] = w[((ky * params.k_w + kx) * params.in_c + c) * params.out_c + o];
}

// C[M, N] = op(A)[M, K] · op(B)[K, N], op being an optional transpose.
//
// Tiling: a workgroup of 16×16 invocations owns a 64×64 tile of C; each invocation keeps a 4×4
// block of it in registers (rows 4·ty.., columns 4·tx..). K is walked in steps of 16: the workgroup
// stages a 64×16 slab of op(A) and a 16×64 slab of op(B) in workgroup memory, then every invocation
// does 16 rank-1 updates of its block, reading one vec4 of A and one of B per step (2 loads per 16
// multiply-adds).
//
// Transposes are only strides: the same kernel reads A or Aᵀ. So that loads stay coalesced either
// way, each slab is fetched with consecutive invocations walking whichever of its two axes is
// contiguous in memory (the one whose stride is 1).
//
// matmul_regs is the variant without workgroup memory, for CPU-emulated adapters (SwiftShader),
// where workgroup memory is ordinary memory and every barrier synchronises emulated lanes: each
// invocation walks all of K for its own 4×4 block, loading 4 values of A and 4 of B per step.
// It also serves tiny products (a batch of one through a dense layer) on any adapter, where a
// 64×64 tile would leave most of a workgroup idle.
//
// matmul_wide_b4 (below) replaces matmul_regs on CPU-emulated adapters where B allows it.
//
// Slabs are stored k-major as vec4s: a_tile[kk * 16 + i] holds op(A) rows 4i..4i+3 at column kk,
// b_tile[kk * 16 + j] holds op(B) columns 4j..4j+3 at row kk. Out-of-range elements load as zero,
// so any M, N, K works; K = 0 gives a C of zeros, as tf.matMul does.
//
// Every store goes through the fused epilogue (include/epilogue.wgsl): + bias[col], activation.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  // Output tiles along N; the tile index is folded into a 2-D grid, so this unfolds it.
  tiles_n: u32,
  // op(A)[row, kk] = a[row * a_stride_m + kk * a_stride_k]; op(B)[kk, col] = b[kk * b_stride_k + col * b_stride_n].
  a_stride_m: u32,
  a_stride_k: u32,
  b_stride_k: u32,
  b_stride_n: u32,
  // The leaky relu slope of the epilogue.
  alpha: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
// A vec4 view of b, bound by matmul_wide_b4 only.
@group(0) @binding(4) var<storage, read> b4: array<vec4<f32>>;
// The epilogue's bias (per column of C).
@group(0) @binding(5) var<storage, read> bias: array<f32>;

// #include "include/epilogue.wgsl"

const TILE: u32 = 64u;
const STEP: u32 = 16u;

var<workgroup> a_tile: array<vec4<f32>, 256>;
var<workgroup> b_tile: array<vec4<f32>, 256>;

fn load_a(t: u32, r: u32, row0: u32, k0: u32) {
  let k_fast = params.a_stride_k == 1u;
  let kk = select(t / TILE + 4u * r, t % STEP, k_fast);
  let mm = select(t % TILE, t / STEP + 16u * r, k_fast);
  let row = row0 + mm;
  let col = k0 + kk;
  var v = 0.0;
  if (row < params.m && col < params.k) { v = a[row * params.a_stride_m + col * params.a_stride_k]; }
  a_tile[kk * 16u + mm / 4u][mm % 4u] = v;
}

fn load_b(t: u32, r: u32, k0: u32, col0: u32) {
  let n_fast = params.b_stride_n == 1u;
  let nn = select(t / STEP + 16u * r, t % TILE, n_fast);
  let kk = select(t % STEP, t / TILE + 4u * r, n_fast);
  let row = k0 + kk;
  let col = col0 + nn;
  var v = 0.0;
  if (row < params.k && col < params.n) { v = b[row * params.b_stride_k + col * params.b_stride_n]; }
  b_tile[kk * 16u + nn / 4u][nn % 4u] = v;
}

@compute @workgroup_size(16, 16)
fn matmul(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let tile = wid.x + wid.y * groups.x;
  let tiles_m = (params.m + TILE - 1u) / TILE;
  if (tile >= tiles_m * params.tiles_n) { return; }
  let row0 = (tile / params.tiles_n) * TILE;
  let col0 = (tile % params.tiles_n) * TILE;
  let tx = t % 16u;
  let ty = t / 16u;

  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < params.k; k0 += STEP) {
    for (var r = 0u; r < 4u; r++) {
      load_a(t, r, row0, k0);
      load_b(t, r, k0, col0);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < STEP; kk++) {
      let av = a_tile[kk * 16u + ty];
      let bv = b_tile[kk * 16u + tx];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    // The next slab overwrites the tiles; everyone must be done reading them.
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let row = row0 + ty * 4u + i;
    if (row >= params.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + tx * 4u + j;
      if (col < params.n) { c[row * params.n + col] = epilogue(acc[i][j], col, params.alpha); }
    }
  }
}

override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@compute @workgroup_size(WG_X, WG_Y, 1)
fn matmul_regs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let col0 = gid.x * 4u;
  let row0 = (gid.y + gid.z * groups.y * WG_Y) * 4u;
  if (col0 >= params.n || row0 >= params.m) { return; }
  // A last partial block repeats its last row or column instead of reading out of range.
  let last_r = params.m - 1u - row0;
  let last_c = params.n - 1u - col0;
  let ra = (vec4<u32>(row0) + vec4<u32>(0u, min(1u, last_r), min(2u, last_r), min(3u, last_r))) * params.a_stride_m;
  let cb = (vec4<u32>(col0) + vec4<u32>(0u, min(1u, last_c), min(2u, last_c), min(3u, last_c))) * params.b_stride_n;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var ak = 0u;
  var bk = 0u;
  for (var kk = 0u; kk < params.k; kk++) {
    let bv = vec4<f32>(b[bk + cb.x], b[bk + cb.y], b[bk + cb.z], b[bk + cb.w]);
    acc0 += a[ra.x + ak] * bv;
    acc1 += a[ra.y + ak] * bv;
    acc2 += a[ra.z + ak] * bv;
    acc3 += a[ra.w + ak] * bv;
    ak += params.a_stride_k;
    bk += params.b_stride_k;
  }
  let nr = min(4u, params.m - row0);
  let nc = min(4u, params.n - col0);
  for (var j = 0u; j < nc; j++) {
    let col = col0 + j;
    c[row0 * params.n + col] = epilogue(acc0[j], col, params.alpha);
    if (nr > 1u) { c[(row0 + 1u) * params.n + col] = epilogue(acc1[j], col, params.alpha); }
    if (nr > 2u) { c[(row0 + 2u) * params.n + col] = epilogue(acc2[j], col, params.alpha); }
    if (nr > 3u) { c[(row0 + 3u) * params.n + col] = epilogue(acc3[j], col, params.alpha); }
  }
}

// One row of a block's results: 4 columns, written with constant lane indices.
fn store_row(row: u32, col0: u32, acc: vec4<f32>, nc: u32) {
  let at = row * params.n + col0;
  let v = epilogue4(acc, col0, params.alpha);
  c[at] = v.x;
  if (nc > 1u) { c[at + 1u] = v.y; }
  if (nc > 2u) { c[at + 2u] = v.z; }
  if (nc > 3u) { c[at + 3u] = v.w; }
}

// matmul_wide_b4 (B not transposed, n % 4 == 0; chosen on CPU-emulated adapters): a thread owns
// ROWS rows (1, 2 or 4) × 16 neighbouring columns, reading B as 4 vec4s per row. Neighbouring
// threads take neighbouring column sets, so the lanes of an emulated SIMD group read 256
// contiguous bytes of each B row per step, where matmul_regs' lanes read 64 and then jump a whole
// row (n·4 bytes): a cache line and often a page per step when B is large (AlexNet's fc layers).
// B is streamed ceil(m / ROWS) times; each B load feeds ROWS multiply-adds.
override ROWS: u32 = 1u;

@compute @workgroup_size(64)
fn matmul_wide_b4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let n4 = params.n / 4u;
  let sets = (n4 + 3u) / 4u;
  let t = gid.x + gid.y * groups.x * 64u;
  let row0 = (t / sets) * ROWS;
  if (row0 >= params.m) { return; }
  let g0 = (t % sets) * 4u;
  // A last partial set repeats its last vec4, a last partial row block its last row.
  let last = n4 - 1u - g0;
  let g = vec4<u32>(g0) + vec4<u32>(0u, min(1u, last), min(2u, last), min(3u, last));
  let last_r = params.m - 1u - row0;
  let ra = (vec4<u32>(row0) + vec4<u32>(0u, min(1u, last_r), min(2u, last_r), min(3u, last_r))) * params.a_stride_m;
  var c00 = vec4<f32>(0.0); var c01 = vec4<f32>(0.0); var c02 = vec4<f32>(0.0); var c03 = vec4<f32>(0.0);
  var c10 = vec4<f32>(0.0); var c11 = vec4<f32>(0.0); var c12 = vec4<f32>(0.0); var c13 = vec4<f32>(0.0);
  var c20 = vec4<f32>(0.0); var c21 = vec4<f32>(0.0); var c22 = vec4<f32>(0.0); var c23 = vec4<f32>(0.0);
  var c30 = vec4<f32>(0.0); var c31 = vec4<f32>(0.0); var c32 = vec4<f32>(0.0); var c33 = vec4<f32>(0.0);
  var ak = 0u;
  var bk = 0u;
  for (var kk = 0u; kk < params.k; kk++) {
    let b0 = b4[bk + g.x];
    let b1 = b4[bk + g.y];
    let b2 = b4[bk + g.z];
    let b3 = b4[bk + g.w];
    let a0 = a[ra.x + ak];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    if (ROWS > 1u) {
      let a1 = a[ra.y + ak];
      c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    }
    if (ROWS > 2u) {
      let a2 = a[ra.z + ak];
      let a3 = a[ra.w + ak];
      c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
      c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    }
    ak += params.a_stride_k;
    bk += n4;
  }
  let nr = min(ROWS, params.m - row0);
  store_set(row0, g, last, c00, c01, c02, c03);
  if (nr > 1u) { store_set(row0 + 1u, g, last, c10, c11, c12, c13); }
  if (nr > 2u) { store_set(row0 + 2u, g, last, c20, c21, c22, c23); }
  if (nr > 3u) { store_set(row0 + 3u, g, last, c30, c31, c32, c33); }
}

// One row's 16 columns (fewer in a last partial set).
fn store_set(row: u32, g: vec4<u32>, last: u32, v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>) {
  store_row(row, g.x * 4u, v0, 4u);
  if (last > 0u) { store_row(row, g.y * 4u, v1, 4u); }
  if (last > 1u) { store_row(row, g.z * 4u, v2, 4u); }
  if (last > 2u) { store_row(row, g.w * 4u, v3, 4u); }
}

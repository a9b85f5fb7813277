// Resize of NHWC images (ONNX Resize / Upsample, tf.image.resizeBilinear and
// resizeNearestNeighbor), and its gradient, both driven by per-axis tables the host computes
// (src/ops/resize.ts), so every coordinate transformation and rounding rule is one kernel:
//
//   for each output row oy: i0, i1 (source rows, clamped to the image) and f (the weight of i1);
//   likewise for each output column. Output (oy, ox) is, along each axis, v(i0) + (v(i1) − v(i0))·f,
//   rows last: top and bottom rows interpolated along x, then between them along y (the order
//   TensorFlow's bilinear kernel uses). Nearest has i1 = i0 and f = 0, and LINEAR = false reads the
//   one source pixel alone (so an infinite input stays infinite, never ∞ − ∞).
//
// The gradient gathers instead of scattering (no atomics): input row iy receives from output row
// oy the weight w(oy, iy) = (1 − f)·[i0 = iy] + f·[i1 = iy]; the host lists, per input row, the
// range of output rows with a nonzero weight (monotone maps make it one range). Input pixel
// (iy, ix) sums dy over its rows × columns with weight w(oy, iy)·w(ox, ix).
//
// Compiled once per lane width with src/gpu/lanes.ts's prelude (V, LANES): a thread does LANES
// neighbouring channels. The table (f32; indices are exact integers below 2^24), from offset 0:
//   rows: 3·out_h (i0, i1, f), columns: 3·out_w, then per input row [first, end) of output rows
//   (2·in_h), per input column (2·in_w).
// A 2-D grid of workgroups covers tensors beyond 65,535 × 256 vectors.

struct Params {
  // Threads: vectors of the output (resize) or of the input (resize_grad).
  size: u32,
  // Vectors per pixel: channels / LANES.
  chunks: u32,
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> y: array<V>;
@group(0) @binding(3) var<storage, read> table: array<f32>;

override LINEAR: bool = true;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

struct Tap {
  i0: u32,
  i1: u32,
  f: f32,
}

fn row_tap(oy: u32) -> Tap {
  return Tap(u32(table[3u * oy]), u32(table[3u * oy + 1u]), table[3u * oy + 2u]);
}

fn col_tap(ox: u32) -> Tap {
  let at = 3u * (params.out_h + ox);
  return Tap(u32(table[at]), u32(table[at + 1u]), table[at + 2u]);
}

@compute @workgroup_size(256)
fn resize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let c = i % params.chunks;
  var r = i / params.chunks;
  let ox = r % params.out_w;
  r = r / params.out_w;
  let oy = r % params.out_h;
  let n = r / params.out_h;
  let ty = row_tap(oy);
  let tx = col_tap(ox);
  let base = n * params.in_h * params.in_w * params.chunks + c;
  let row0 = base + ty.i0 * params.in_w * params.chunks;
  if (!LINEAR) {
    y[i] = x[row0 + tx.i0 * params.chunks];
    return;
  }
  let row1 = base + ty.i1 * params.in_w * params.chunks;
  let v00 = x[row0 + tx.i0 * params.chunks];
  let v01 = x[row0 + tx.i1 * params.chunks];
  let v10 = x[row1 + tx.i0 * params.chunks];
  let v11 = x[row1 + tx.i1 * params.chunks];
  let top = v00 + (v01 - v00) * tx.f;
  let bottom = v10 + (v11 - v10) * tx.f;
  y[i] = top + (bottom - top) * ty.f;
}

// The weight output tap t gives source index `at`.
fn weight(t: Tap, at: u32) -> f32 {
  return select(0.0, 1.0 - t.f, t.i0 == at) + select(0.0, t.f, t.i1 == at);
}

// x holds dy (the output's gradient) and y receives dx.
@compute @workgroup_size(256)
fn resize_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let c = i % params.chunks;
  var r = i / params.chunks;
  let ix = r % params.in_w;
  r = r / params.in_w;
  let iy = r % params.in_h;
  let n = r / params.in_h;
  let ranges = 3u * (params.out_h + params.out_w);
  let oy0 = u32(table[ranges + 2u * iy]);
  let oy1 = u32(table[ranges + 2u * iy + 1u]);
  let cols = ranges + 2u * params.in_h;
  let ox0 = u32(table[cols + 2u * ix]);
  let ox1 = u32(table[cols + 2u * ix + 1u]);
  let base = n * params.out_h * params.out_w * params.chunks + c;
  var acc = V(0.0);
  for (var oy = oy0; oy < oy1; oy++) {
    let wy = weight(row_tap(oy), iy);
    if (wy == 0.0) { continue; }
    let row = base + oy * params.out_w * params.chunks;
    for (var ox = ox0; ox < ox1; ox++) {
      let wx = weight(col_tap(ox), ix);
      acc += x[row + ox * params.chunks] * (wy * wx);
    }
  }
  y[i] = acc;
}

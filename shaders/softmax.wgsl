// Softmax, log-softmax and softmax cross-entropy over the last axis, one workgroup per row.
//
// A row (len values, contiguous) is strided across the WG invocations: invocation t visits
// t, t + WG, t + 2·WG… so neighbouring invocations read neighbouring values. Each invocation
// folds its share into one partial; a tree reduction in workgroup memory (log2 WG steps) combines
// the partials, and every invocation reads the result back. Softmax needs two such reductions
// (the row max, then the sum of exp(x − max), which is therefore at most len and never
// overflows), cross-entropy four (also the label sum and the row's loss).
//
// WG is a power of two picked from the row length, so 10-long rows do not idle 246 invocations.
// Rows are workgroups of a 2-D grid: row = x + y × (workgroups in x), which covers more than
// 65,535 rows.
//
// Cross-entropy follows tf.losses.softmaxCrossEntropy: per row, lse = max + log(Σ exp(x − max)),
// loss_row = Σ −label·(x − lse); the loss is the mean of the row losses. mean_loss reduces them
// in one workgroup in a fixed order, so the loss is the same bit for bit on every run.

struct Params {
  rows: u32,
  len: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// Cross-entropy only: the labels, one loss per row, and the mean of those.
@group(0) @binding(3) var<storage, read> labels: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;

override WG: u32 = 256u;

// NaN and ±∞ give tf's answers: the row max keeps a NaN (max() may drop it) and starts from −∞,
// so a row of −∞ has max −∞ and x − max NaN; exp and log keep NaN and ±∞. A NaN or +∞ anywhere in
// a row so makes the whole row NaN, as in tf (include/ieee.wgsl says why these need help).

// #include "include/ieee.wgsl"

fn max_nan(a: f32, b: f32) -> f32 {
  return select(select(max(a, b), b, is_nan(b)), a, is_nan(a));
}

var<workgroup> scratch: array<f32, WG>;

fn tree_max(t: u32, v: f32) -> f32 {
  scratch[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { scratch[t] = max_nan(scratch[t], scratch[t + s]); }
    workgroupBarrier();
  }
  let r = scratch[0];
  // The next reduction overwrites scratch; everyone must have read the result first.
  workgroupBarrier();
  return r;
}

fn tree_sum(t: u32, v: f32) -> f32 {
  scratch[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { scratch[t] += scratch[t + s]; }
    workgroupBarrier();
  }
  let r = scratch[0];
  workgroupBarrier();
  return r;
}

fn row_of(wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return wid.x + wid.y * groups.x;
}

fn row_max(base: u32, t: u32) -> f32 {
  var m = -inf_f32();
  for (var j = t; j < params.len; j += WG) { m = max_nan(m, x[base + j]); }
  return tree_max(t, m);
}

fn row_sum_exp(base: u32, t: u32, m: f32) -> f32 {
  var s = 0.0;
  for (var j = t; j < params.len; j += WG) { s += exp_ieee(x[base + j] - m); }
  return tree_sum(t, s);
}

@compute @workgroup_size(WG)
fn softmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = row_of(wid, groups);
  if (row >= params.rows) { return; }
  let base = row * params.len;
  let m = row_max(base, t);
  let s = row_sum_exp(base, t, m);
  for (var j = t; j < params.len; j += WG) { y[base + j] = exp_ieee(x[base + j] - m) / s; }
}

@compute @workgroup_size(WG)
fn log_softmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = row_of(wid, groups);
  if (row >= params.rows) { return; }
  let base = row * params.len;
  let m = row_max(base, t);
  let log_s = log_ieee(row_sum_exp(base, t, m));
  for (var j = t; j < params.len; j += WG) { y[base + j] = (x[base + j] - m) - log_s; }
}

// y receives dLogits = (softmax · Σ labels − labels) / rows: the exact gradient of the mean loss,
// which is tf's softmax − labels whenever a label row sums to 1.
@compute @workgroup_size(WG)
fn cross_entropy_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let row = row_of(wid, groups);
  if (row >= params.rows) { return; }
  let base = row * params.len;
  let m = row_max(base, t);
  let lse = m + log_ieee(row_sum_exp(base, t, m));
  var l_part = 0.0;
  var cost_part = 0.0;
  for (var j = t; j < params.len; j += WG) {
    let lab = labels[base + j];
    l_part += lab;
    cost_part -= lab * (x[base + j] - lse);
  }
  let label_sum = tree_sum(t, l_part);
  let cost = tree_sum(t, cost_part);
  let n = f32(params.rows);
  for (var j = t; j < params.len; j += WG) {
    y[base + j] = (exp_ieee(x[base + j] - lse) * label_sum - labels[base + j]) / n;
  }
  if (t == 0u) { row_loss[row] = cost; }
}

// Dispatched as a single workgroup; params.len is unused.
@compute @workgroup_size(WG)
fn mean_loss(@builtin(local_invocation_index) t: u32) {
  var s = 0.0;
  for (var r = t; r < params.rows; r += WG) { s += row_loss[r]; }
  let total = tree_sum(t, s);
  if (t == 0u) { loss[0] = total / f32(params.rows); }
}

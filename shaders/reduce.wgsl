// Sum (and mean) over one contiguous run of axes: x viewed as [outer, r, inner] becomes
// [outer, chunks, inner], each output summing `chunk_len` consecutive r-values (the last chunk
// may be shorter). With chunks == 1 that is the full reduction [outer, r, inner] → [outer, inner];
// with chunks > 1 it is a partial-sum pass, and the host runs the same kernels again on the
// partials, so a huge r is spread over many threads and no atomics are needed: every sum is taken
// in a fixed order and the result is the same on every run.
//
// reduce_rows (inner == 1, r large, few rows): one workgroup per (row, chunk). Its 256 threads
//   stride over the chunk so neighbouring threads read neighbouring floats, then fold their 256
//   partial sums in workgroup memory in a fixed order. Workgroups are numbered over a 2-D grid.
// reduce_columns (inner > 1, or r small): one thread per output. Neighbouring threads own
//   neighbouring inner positions, so each step of their loops reads consecutive floats.
//
// Mean divides each element by the total count as it is first read (the host passes divisor = 1
// for sum and for every later pass); that is how TensorFlow.js computes it, and it keeps the sum
// of large values from overflowing before the division.

struct Params {
  // Number of results this pass writes: outer × chunks × inner.
  outputs: u32,
  r: u32,
  inner: u32,
  chunks: u32,
  chunk_len: u32,
  divisor: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

const WORKGROUP: u32 = 256u;

var<workgroup> partial: array<f32, WORKGROUP>;

@compute @workgroup_size(WORKGROUP)
fn reduce_rows(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // The same for every thread of the workgroup, so the barriers below stay in uniform control flow.
  let g = wid.x + wid.y * groups.x;
  if (g >= params.outputs) { return; }
  let row = g / params.chunks;
  let start = (g % params.chunks) * params.chunk_len;
  let end = min(params.r, start + params.chunk_len);
  let base = row * params.r;
  var acc = 0.0;
  for (var k = start + lid; k < end; k += WORKGROUP) {
    acc += x[base + k] / params.divisor;
  }
  partial[lid] = acc;
  workgroupBarrier();
  // Two levels of 16 rather than a binary tree: each barrier is expensive on software adapters.
  if (lid < 16u) {
    var s = 0.0;
    for (var j = 0u; j < WORKGROUP; j += 16u) { s += partial[lid + j]; }
    partial[lid] = s;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var s = 0.0;
    for (var j = 0u; j < 16u; j++) { s += partial[j]; }
    y[g] = s;
  }
}

@compute @workgroup_size(WORKGROUP)
fn reduce_columns(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = gid.x + gid.y * groups.x * WORKGROUP;
  if (o >= params.outputs) { return; }
  let i = o % params.inner;
  let t = o / params.inner;
  let row = t / params.chunks;
  let start = (t % params.chunks) * params.chunk_len;
  let end = min(params.r, start + params.chunk_len);
  var at = (row * params.r + start) * params.inner + i;
  var acc = 0.0;
  for (var k = start; k < end; k++) {
    acc += x[at] / params.divisor;
    at += params.inner;
  }
  y[o] = acc;
}

// Tensor → colours for display: the value ranges that normalise a tensor, and the kernel that turns
// selected channels of it into a grid of RGBA8 tiles, packed one pixel per u32 (red in the low
// byte, so the bytes read back are exactly what ImageData holds and putImageData draws).
//
// value_ranges: x viewed as [rows, channels] (channels = the last axis). One workgroup per channel;
//   its 64 threads stride over the rows keeping a min and a max of the finite values, then fold
//   their 64 pairs in workgroup memory. min and max are exact and order-free, so the result is the
//   same on every run and every adapter. A channel without a finite value gets the empty interval
//   (+big, −big), which later folds ignore and the colour kernel reads as [0, 0].
// fold_ranges: folds rows [0, count) of `ranges` into row dst_row of the same buffer: a layer's
//   range from its channel ranges, or a global range from layers' rows gathered by copy_range.
// copy_range: copies one row from another ranges buffer (the layer row of each layer, for global).
//
// colormap: one thread per output pixel of a width × height grid of tile_h × tile_w tiles, `columns`
//   per row, `gap` pixels apart; tile t shows channel channels[t]. The value of tile pixel (iy, ix)
//   is x[base + iy·stride_y + ix·stride_x + channel·stride_c]: NHWC feature maps and HWIO filters
//   are both such views. Normalisation: per_channel reads [lo, hi] from tile_ranges[channel],
//   otherwise from norm[norm_row] (a layer row, or a global range). Maps:
//   0 sequential: (v − lo) / (hi − lo) through viridis (perceptually uniform, colour-blind safe);
//   1 diverging: 0.5 + v / (2·max(|lo|, |hi|)) through ColorBrewer's RdBu (blue < 0 < red, white at
//     0, colour-blind safe), so 0 is always white whatever the range;
//   2 auto: diverging when tile_ranges[layer_row] (the whole layer) holds a negative value;
//   3 rgb: three values at stride_k are red, green, blue, each 0.5 + v / (2·max(|lo|, |hi|)), the
//     way first-layer filters are shown (grey is 0).
//   Gaps and tiles past the last channel are transparent; a non-finite value is drawn mid-grey.
// channel_values: copies the values of tile 0's channel (the same view) into a tile_h × tile_w
//   array, so a page reads back only the channel it shows large, not the whole layer.

struct RangeParams {
  rows: u32,
  channels: u32,
  // fold_ranges: rows [0, count) fold into dst_row. copy_range: src_row → dst_row.
  count: u32,
  src_row: u32,
  dst_row: u32,
}

struct MapParams {
  width: u32, height: u32, tile_h: u32, tile_w: u32,
  columns: u32, gap: u32, tiles: u32, base: u32,
  stride_y: u32, stride_x: u32, stride_c: u32, stride_k: u32,
  map: u32, per_channel: u32, norm_row: u32, layer_row: u32,
}

@group(0) @binding(0) var<uniform> rparams: RangeParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> ranges: array<f32>;
@group(0) @binding(3) var<storage, read> other: array<f32>;

@group(0) @binding(10) var<uniform> mparams: MapParams;
@group(0) @binding(11) var<storage, read> x: array<f32>;
@group(0) @binding(12) var<storage, read> channels: array<f32>;
@group(0) @binding(13) var<storage, read> tile_ranges: array<f32>;
@group(0) @binding(14) var<storage, read> norm: array<f32>;
@group(0) @binding(15) var<storage, read_write> pixels: array<u32>;
@group(0) @binding(16) var<storage, read_write> values: array<f32>;

const WG: u32 = 64u;
const BIG: f32 = 3.0e38;

var<workgroup> lows: array<f32, WG>;
var<workgroup> highs: array<f32, WG>;

// WGSL may assume floats are finite, so test the exponent bits instead of comparing.
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// Folds the 64 per-thread pairs (already in lows/highs) and returns them from thread 0.
fn fold_workgroup(lid: u32) {
  workgroupBarrier();
  // Two levels of 8: barriers are expensive on software adapters.
  if (lid < 8u) {
    var lo = lows[lid];
    var hi = highs[lid];
    for (var j = lid + 8u; j < WG; j += 8u) { lo = min(lo, lows[j]); hi = max(hi, highs[j]); }
    lows[lid] = lo;
    highs[lid] = hi;
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn value_ranges(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let ch = wid.x + wid.y * groups.x;
  // Uniform per workgroup, so the barriers below stay in uniform control flow.
  if (ch >= rparams.channels) { return; }
  var lo = BIG;
  var hi = -BIG;
  for (var r = lid; r < rparams.rows; r += WG) {
    let v = src[r * rparams.channels + ch];
    if (is_finite(v)) { lo = min(lo, v); hi = max(hi, v); }
  }
  lows[lid] = lo;
  highs[lid] = hi;
  fold_workgroup(lid);
  if (lid == 0u) {
    var l = lows[0];
    var h = highs[0];
    for (var j = 1u; j < 8u; j++) { l = min(l, lows[j]); h = max(h, highs[j]); }
    ranges[ch * 2u] = l;
    ranges[ch * 2u + 1u] = h;
  }
}

@compute @workgroup_size(WG)
fn fold_ranges(@builtin(local_invocation_index) lid: u32) {
  var lo = BIG;
  var hi = -BIG;
  for (var r = lid; r < rparams.count; r += WG) {
    lo = min(lo, ranges[r * 2u]);
    hi = max(hi, ranges[r * 2u + 1u]);
  }
  lows[lid] = lo;
  highs[lid] = hi;
  fold_workgroup(lid);
  if (lid == 0u) {
    var l = lows[0];
    var h = highs[0];
    for (var j = 1u; j < 8u; j++) { l = min(l, lows[j]); h = max(h, highs[j]); }
    ranges[rparams.dst_row * 2u] = l;
    ranges[rparams.dst_row * 2u + 1u] = h;
  }
}

@compute @workgroup_size(1)
fn copy_range() {
  ranges[rparams.dst_row * 2u] = other[rparams.src_row * 2u];
  ranges[rparams.dst_row * 2u + 1u] = other[rparams.src_row * 2u + 1u];
}

// viridis at 0, 0.1, …, 1 (matplotlib's table).
const VIRIDIS = array<vec3<f32>, 11>(
  vec3<f32>(68.0, 1.0, 84.0), vec3<f32>(72.0, 36.0, 117.0), vec3<f32>(65.0, 68.0, 135.0),
  vec3<f32>(53.0, 95.0, 141.0), vec3<f32>(42.0, 120.0, 142.0), vec3<f32>(33.0, 145.0, 140.0),
  vec3<f32>(34.0, 168.0, 132.0), vec3<f32>(68.0, 191.0, 112.0), vec3<f32>(122.0, 209.0, 81.0),
  vec3<f32>(189.0, 223.0, 38.0), vec3<f32>(253.0, 231.0, 37.0),
);

// ColorBrewer RdBu (11 classes) from most negative (dark blue) through white to most positive (dark red).
const DIVERGING = array<vec3<f32>, 11>(
  vec3<f32>(5.0, 48.0, 97.0), vec3<f32>(33.0, 102.0, 172.0), vec3<f32>(67.0, 147.0, 195.0),
  vec3<f32>(146.0, 197.0, 222.0), vec3<f32>(209.0, 229.0, 240.0), vec3<f32>(247.0, 247.0, 247.0),
  vec3<f32>(253.0, 219.0, 199.0), vec3<f32>(244.0, 165.0, 130.0), vec3<f32>(214.0, 96.0, 77.0),
  vec3<f32>(178.0, 24.0, 43.0), vec3<f32>(103.0, 0.0, 31.0),
);

fn lookup(t_in: f32, diverging: bool) -> vec3<f32> {
  let t = clamp(t_in, 0.0, 1.0) * 10.0;
  let i = min(u32(floor(t)), 9u);
  let f = t - f32(i);
  if (diverging) { return mix(DIVERGING[i], DIVERGING[i + 1u], f); }
  return mix(VIRIDIS[i], VIRIDIS[i + 1u], f);
}

fn pack(rgb: vec3<f32>) -> u32 {
  let c = vec3<u32>(clamp(round(rgb), vec3<f32>(0.0), vec3<f32>(255.0)));
  return c.x | (c.y << 8u) | (c.z << 16u) | (255u << 24u);
}

const GREY: u32 = 0xff808080u;

fn range_of(ch: u32) -> vec2<f32> {
  var r: vec2<f32>;
  if (mparams.per_channel != 0u) {
    r = vec2<f32>(tile_ranges[ch * 2u], tile_ranges[ch * 2u + 1u]);
  } else {
    r = vec2<f32>(norm[mparams.norm_row * 2u], norm[mparams.norm_row * 2u + 1u]);
  }
  // The empty interval of a channel with no finite value.
  if (r.y < r.x) { return vec2<f32>(0.0); }
  return r;
}

// Where 0 lands on a symmetric scale: 0.5 + v / (2 m), m the largest magnitude of the range.
fn symmetric(v: f32, r: vec2<f32>) -> f32 {
  let m = max(abs(r.x), abs(r.y));
  if (m == 0.0) { return 0.5; }
  return 0.5 + 0.5 * v / m;
}

@compute @workgroup_size(8, 8)
fn colormap(@builtin(global_invocation_id) gid: vec3<u32>) {
  let px = gid.x;
  let py = gid.y;
  if (px >= mparams.width || py >= mparams.height) { return; }
  let out = py * mparams.width + px;
  let col = px / (mparams.tile_w + mparams.gap);
  let row = py / (mparams.tile_h + mparams.gap);
  let ix = px % (mparams.tile_w + mparams.gap);
  let iy = py % (mparams.tile_h + mparams.gap);
  let t = row * mparams.columns + col;
  if (ix >= mparams.tile_w || iy >= mparams.tile_h || col >= mparams.columns || t >= mparams.tiles) {
    pixels[out] = 0u;
    return;
  }
  let ch = u32(channels[t]);
  let at = mparams.base + iy * mparams.stride_y + ix * mparams.stride_x + ch * mparams.stride_c;
  let r = range_of(ch);
  if (mparams.map == 3u) {
    var rgb = vec3<f32>(0.0);
    for (var k = 0u; k < 3u; k++) {
      let v = x[at + k * mparams.stride_k];
      rgb[k] = select(0.5, symmetric(v, r), is_finite(v));
    }
    pixels[out] = pack(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)) * 255.0);
    return;
  }
  let v = x[at];
  if (!is_finite(v)) {
    pixels[out] = GREY;
    return;
  }
  var diverging = mparams.map == 1u;
  if (mparams.map == 2u) { diverging = tile_ranges[mparams.layer_row * 2u] < 0.0; }
  var s: f32;
  if (diverging) {
    s = symmetric(v, r);
  } else if (r.y > r.x) {
    s = (v - r.x) / (r.y - r.x);
  } else {
    s = 0.0;
  }
  pixels[out] = pack(lookup(s, diverging));
}

@compute @workgroup_size(8, 8)
fn channel_values(@builtin(global_invocation_id) gid: vec3<u32>) {
  let ix = gid.x;
  let iy = gid.y;
  if (ix >= mparams.tile_w || iy >= mparams.tile_h) { return; }
  let ch = u32(channels[0]);
  values[iy * mparams.tile_w + ix] = x[mparams.base + iy * mparams.stride_y + ix * mparams.stride_x + ch * mparams.stride_c];
}

// affineWarp: NHWC images resampled through an affine map, bilinearly, with a constant fill
// outside the image; and its gradient with respect to the images. One thread per element.
//
// affine_warp:      output pixel (ox, oy) of image b reads the input at
//                   sx = a0·ox + a1·oy + a2, sy = b0·ox + b1·oy + b2 (pixel units, pixel (0, 0) at 0),
//                   the map of row b of `m` (or of its only row). Bilinear: with x0 = floor(sx), the
//                   four neighbours weigh (x0 + 1 − sx or sx − x0) × (likewise in y); a neighbour
//                   outside the image reads `fill`, so edges fade into the fill over one pixel (as
//                   tf.image.transform's bilinear, constant mode does).
// affine_warp_grad: dx at input pixel p = Σ over outputs o of max(0, 1 − |sx(o) − px|) ·
//                   max(0, 1 − |sy(o) − py|) · dy(o): the same weights written as one formula (for
//                   p = x0 it is x0 + 1 − sx, for p = x0 + 1 it is sx − x0, else 0). It gathers rather
//                   than scatters (no atomics): the outputs that can reach p are those whose sample
//                   point lies in the open square p ± 1, i.e. o in the inverse image of that square, a
//                   parallelogram centred at A⁻¹(p − t) with half-extents |A⁻¹| · (1, 1); the thread
//                   walks its bounding box (a few pixels for the rotations and scales of feature
//                   visualisation).
//
// Row layout of `m` (12 floats, the host computes the inverse in double precision):
//   a0 a1 a2 b0 b1 b2 | i00 i01 i10 i11 (A⁻¹, A = [[a0, a1], [b0, b1]]) | hx hy (half-extents)
// A 2-D grid of workgroups covers tensors beyond 65,535 × 256 elements.

struct Params {
  size: u32,
  height: u32,
  width: u32,
  channels: u32,
  // 1: every image uses row 0 of m; else row b for image b.
  rows: u32,
  fill: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> m: array<f32>;

fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * 256u;
}

struct Pixel {
  b: u32,
  row: i32,
  col: i32,
  c: u32,
  // The first element of image b.
  base: u32,
  // The first float of image b's row of m.
  t: u32,
}

fn decode(i: u32) -> Pixel {
  let c = i % params.channels;
  let col = (i / params.channels) % params.width;
  let row = (i / (params.channels * params.width)) % params.height;
  let b = i / (params.channels * params.width * params.height);
  let image = params.height * params.width * params.channels;
  return Pixel(b, i32(row), i32(col), c, b * image, select(b, 0u, params.rows == 1u) * 12u);
}

fn at(px: Pixel, row: i32, col: i32) -> f32 {
  if (row < 0 || col < 0 || row >= i32(params.height) || col >= i32(params.width)) {
    return params.fill;
  }
  return x[px.base + (u32(row) * params.width + u32(col)) * params.channels + px.c];
}

@compute @workgroup_size(256)
fn affine_warp(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let px = decode(i);
  let t = px.t;
  let ox = f32(px.col);
  let oy = f32(px.row);
  let sx = m[t] * ox + m[t + 1u] * oy + m[t + 2u];
  let sy = m[t + 3u] * ox + m[t + 4u] * oy + m[t + 5u];
  let fx = floor(sx);
  let fy = floor(sy);
  let x0 = i32(fx);
  let y0 = i32(fy);
  let top = (fx + 1.0 - sx) * at(px, y0, x0) + (sx - fx) * at(px, y0, x0 + 1);
  let bottom = (fx + 1.0 - sx) * at(px, y0 + 1, x0) + (sx - fx) * at(px, y0 + 1, x0 + 1);
  y[i] = (fy + 1.0 - sy) * top + (sy - fy) * bottom;
}

// x holds dy (the output's gradient) and y receives dx.
@compute @workgroup_size(256)
fn affine_warp_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = linear_index(gid, groups);
  if (i >= params.size) { return; }
  let px = decode(i);
  let t = px.t;
  let p = vec2<f32>(f32(px.col), f32(px.row));
  let d = p - vec2<f32>(m[t + 2u], m[t + 5u]);
  let centre = vec2<f32>(m[t + 6u] * d.x + m[t + 7u] * d.y, m[t + 8u] * d.x + m[t + 9u] * d.y);
  let half = vec2<f32>(m[t + 10u], m[t + 11u]);
  // A little slack: outputs on the square's edge weigh 0 anyway, and rounding must not drop one inside it.
  let lo = max(ceil(centre - half - 1e-3), vec2<f32>(0.0));
  let hi = min(floor(centre + half + 1e-3), vec2<f32>(f32(params.width) - 1.0, f32(params.height) - 1.0));
  var acc = 0.0;
  if (lo.x <= hi.x && lo.y <= hi.y) {
    for (var oy = i32(lo.y); oy <= i32(hi.y); oy++) {
      for (var ox = i32(lo.x); ox <= i32(hi.x); ox++) {
        let sx = m[t] * f32(ox) + m[t + 1u] * f32(oy) + m[t + 2u];
        let sy = m[t + 3u] * f32(ox) + m[t + 4u] * f32(oy) + m[t + 5u];
        let w = max(0.0, 1.0 - abs(sx - p.x)) * max(0.0, 1.0 - abs(sy - p.y));
        if (w > 0.0) {
          acc += w * x[px.base + (u32(oy) * params.width + u32(ox)) * params.channels + px.c];
        }
      }
    }
  }
  y[i] = acc;
}

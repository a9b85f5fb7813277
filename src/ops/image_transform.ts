/**
 * Batched photometric transformations (shaders/image_transform.wgsl): from one NHWC image, a batch
 * of changed copies, each with its own parameters, in one dispatch (two for a blur), so a sweep of
 * a transformation over a range runs through a network as one batch. `adjustImages` changes gain
 * and offset and adds seeded Gaussian noise, held within the input's value range; `blurImages` is
 * a Gaussian blur. (Rotations, zooms and shifts are the engine's `affineWarp`.)
 *
 * These are display and inspection kernels with no gradient, called by src/inspect/transforms.ts
 * (as the colormap kernels are by src/inspect/colors.ts), not engine methods the tape records.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import source from '../../shaders/image_transform.wgsl';

const shader = new Shader('image_transform', source);

/** Checks x [n, h, w, c] and a per-image parameter tensor [batch, width]; returns batch. */
function checkBatch(op: string, x: Tensor, p: Tensor, name: string, width: number): number {
  checkTensor(op, 'x', x, 4);
  checkTensor(op, name, p);
  const rows = p.shape[0]!;
  const ok = width === 1 ? p.rank === 1 || (p.rank === 2 && p.shape[1] === 1) : p.rank === 2 && p.shape[1] === width;
  if (!ok || rows < 1) fail(op, `${name} must have shape [batch, ${width}]${width === 1 ? ' or [batch]' : ''}, got ${shapeStr(p.shape)}`);
  const n = x.shape[0]!;
  if (n !== 1 && n !== rows) fail(op, `x ${shapeStr(x.shape)} must hold 1 image (shared by every output) or one per row of ${name} (${rows}), not ${n}`);
  return rows;
}

function launch(engine: Engine, op: string, entry: string, x: Tensor, p: Tensor, batch: number, extra: { seed?: number; lo?: number; hi?: number } = {}): Tensor {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const y = engine.empty([batch, h, w, c], op);
  if (y.size === 0) return y;
  engine.run({
    shader,
    entry,
    buffers: { x: x.buffer, p: p.buffer, y: y.buffer },
    params: {
      size: y.size, height: h, width: w, channels: c, in_batch: x.shape[0]!,
      seed: extra.seed ?? 0, lo: extra.lo ?? -3.4e38, hi: extra.hi ?? 3.4e38,
    },
    workgroups: grid1d(y.size, 256),
  });
  return y;
}

/**
 * Output image b = clamp(gain·x + offset + noise·n, lo, hi), row b of `params` ([batch, 3]) being
 * [gain, offset, noise] and n a standard normal per pixel and channel, the same pattern in every
 * output (drawn from `seed`): brightness is an offset, contrast a gain about a level, noise an
 * amplitude. `range` ([lo, hi], default unbounded) is the range pixel values can take.
 * @example
 * const brighter = adjustImages(engine, x, engine.tensor([1, 0.2, 0,  1, 0.4, 0], [2, 3]), { range: [0, 1] });
 */
export function adjustImages(engine: Engine, x: Tensor, params: Tensor, opts: { range?: readonly [number, number]; seed?: number } = {}): Tensor {
  const op = 'adjustImages';
  const batch = checkBatch(op, x, params, 'params', 3);
  const [lo, hi] = opts.range ?? [-3.4e38, 3.4e38];
  if (!(lo <= hi)) fail(op, `range must be [lo, hi] with lo ≤ hi, got ${JSON.stringify(opts.range)}`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fail(op, `seed must be an integer in [0, 2³²), got ${seed}`);
  return launch(engine, op, 'adjust', x, params, batch, { lo, hi, seed });
}

/**
 * Output image b = x blurred by a Gaussian of standard deviation `sigmas[b]` pixels (0: a copy),
 * separable, the edge pixel repeated past the border. `sigmas` is [batch] or [batch, 1].
 * @example
 * const blurred = blurImages(engine, x, engine.tensor([0, 1, 2], [3])); // [3, h, w, c]
 */
export function blurImages(engine: Engine, x: Tensor, sigmas: Tensor): Tensor {
  const op = 'blurImages';
  const batch = checkBatch(op, x, sigmas, 'sigmas', 1);
  const rows = launch(engine, op, 'blur_rows', x, sigmas, batch);
  try {
    return launch(engine, op, 'blur_cols', rows, sigmas, batch);
  } finally {
    rows.dispose();
  }
}

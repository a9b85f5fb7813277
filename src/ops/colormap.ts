/**
 * Tensors to colours for display (shaders/colormap.wgsl): value ranges computed on the GPU, and a
 * kernel that draws selected channels of a tensor as a grid of RGBA8 tiles. Only the pixels that
 * will be drawn are read back, straight into an ImageData's byte layout.
 *
 * Two views of a tensor are drawn: 'nhwc' (feature maps [n, h, w, c]: tile = channel; rank 2 or 1
 * outputs such as a dense layer's [n, k] are one tile of 1 × k) and 'hwio' (conv filters
 * [kh, kw, ci, co]: tile = output filter, its weights for one input channel, or for the three input
 * channels as RGB with map 'rgb').
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { Shader } from '../gpu/shader.js';
import { fail, shapeStr } from '../errors.js';
import { checkTensor, grid1d } from './checks.js';
import source from '../../shaders/colormap.wgsl';

const shader = new Shader('colormap', source);

/** 'auto' is diverging when the tensor holds a negative value, else sequential. */
export type ColorMap = 'sequential' | 'diverging' | 'auto' | 'rgb';
const MAPS: Record<ColorMap, number> = { sequential: 0, diverging: 1, auto: 2, rgb: 3 };

/**
 * Which range scales the colours: each channel's own, the whole tensor's, or a row of a ranges
 * tensor computed elsewhere (a global range over several layers from `combineRanges`).
 */
export type Normalize = 'channel' | 'layer' | { ranges: Tensor; row: number };

export type TensorViewKind = 'nhwc' | 'hwio';

export interface ColormapOptions {
  /** The channels (nhwc) or output filters (hwio) to draw, one tile each, in this order. */
  channels: readonly number[];
  /** Tiles per row of the grid (default: all in one row). */
  columns?: number;
  /** Transparent pixels between tiles (default 0). */
  gap?: number;
  map?: ColorMap;
  normalize?: Normalize;
  /** The image of the batch to draw (nhwc; default 0). */
  batch?: number;
  view?: TensorViewKind;
  /** hwio with a map other than 'rgb': the input channel whose weights are drawn (default 0). */
  inChannel?: number;
}

/** A grid of packed RGBA8 pixels (red in the low byte) in a GPU buffer; `pixels.shape` is [height, width]. */
export interface ColormapImage {
  pixels: Tensor;
  width: number;
  height: number;
}

/** Where tile pixel (y, x) of channel c lives: base + y·strideY + x·strideX + c·strideC (+ k·strideK for rgb). */
export interface TensorView {
  batch: number;
  height: number;
  width: number;
  /** Channels (nhwc) or output filters (hwio): the tiles there are to choose from. */
  channels: number;
  base: number;
  strideY: number;
  strideX: number;
  strideC: number;
  strideK: number;
  /** Rank ≤ 2: the whole tensor is one tile, so a per-channel range means the layer's. */
  vector: boolean;
}

/**
 * How `colormap` addresses `shape` in `view` (exported for tests and for pages that lay out tiles).
 * @example
 * tensorView([1, 28, 28, 8]) // {batch: 1, height: 28, width: 28, channels: 8, strideY: 224, strideX: 8, strideC: 1, …}
 */
export function tensorView(shape: readonly number[], view: TensorViewKind = 'nhwc', inChannel = 0, op = 'colormap'): TensorView {
  if (view === 'hwio') {
    if (shape.length !== 4) fail(op, `an hwio (filter) view needs a rank-4 tensor, got shape ${shapeStr(shape)}`);
    const [kh, kw, ci, co] = shape as [number, number, number, number];
    if (!Number.isInteger(inChannel) || inChannel < 0 || inChannel >= ci) {
      fail(op, `inChannel ${inChannel} is out of range for a filter of shape ${shapeStr(shape)} (${ci} input channels)`);
    }
    return {
      batch: 1, height: kh, width: kw, channels: co,
      base: inChannel * co, strideY: kw * ci * co, strideX: ci * co, strideC: 1, strideK: co, vector: false,
    };
  }
  if (view !== 'nhwc') fail(op, `view must be 'nhwc' or 'hwio', got '${String(view)}'`);
  if (shape.length === 4 || shape.length === 3) {
    const [n, h, w, c] = (shape.length === 4 ? shape : [1, ...shape]) as [number, number, number, number];
    return { batch: n, height: h, width: w, channels: c, base: 0, strideY: w * c, strideX: c, strideC: 1, strideK: 1, vector: false };
  }
  if (shape.length === 2 || shape.length === 1) {
    const [n, k] = (shape.length === 2 ? shape : [1, ...shape]) as [number, number];
    return { batch: n, height: 1, width: k, channels: 1, base: 0, strideY: k, strideX: 1, strideC: 0, strideK: 1, vector: true };
  }
  fail(op, `can only draw tensors of rank 1 to 4, got shape ${shapeStr(shape)}`);
}

/**
 * The min and max of each channel (the last axis) over everything else, and of the whole tensor:
 * a [c + 1, 2] tensor whose row i is [min, max] of channel i and whose last row covers all of x.
 * Non-finite values are skipped; a channel with none gets [3e38, −3e38] (an empty interval).
 * @example
 * const r = valueRanges(engine, engine.tensor([1, -2, 3, 4], [1, 2, 1, 2]));
 * await r.read(); // [1, 3,  -2, 4,  -2, 4]
 */
export function valueRanges(engine: Engine, x: Tensor): Tensor {
  const op = 'valueRanges';
  checkTensor(op, 'x', x);
  if (x.size === 0) fail(op, `x ${shapeStr(x.shape)} is empty`);
  const channels = x.rank === 0 ? 1 : x.shape[x.rank - 1]!;
  const rows = x.size / channels;
  const out = engine.empty([channels + 1, 2], op);
  engine.run({
    shader, entry: 'value_ranges',
    buffers: { src: x.buffer, ranges: out.buffer },
    params: { rows, channels, count: 0, src_row: 0, dst_row: 0 },
    workgroups: grid1d(channels, 1),
  });
  foldRows(engine, out, channels, channels);
  return out;
}

/**
 * One range over several tensors' ranges (each from `valueRanges`): a [parts + 1, 2] tensor whose
 * row i is the whole-tensor row of parts[i] and whose last row is the range over all of them, for a
 * colour scale shared by several layers (`normalize: {ranges, row: parts.length}`).
 */
export function combineRanges(engine: Engine, parts: readonly Tensor[]): Tensor {
  const op = 'combineRanges';
  if (!Array.isArray(parts) || parts.length === 0) fail(op, 'parts must be a non-empty array of value-range tensors');
  parts.forEach((p, i) => {
    checkTensor(op, `parts[${i}]`, p, 2);
    if (p.shape[1] !== 2 || p.shape[0]! < 2) fail(op, `parts[${i}] has shape ${shapeStr(p.shape)}; expected [c + 1, 2] from valueRanges`);
  });
  const out = engine.empty([parts.length + 1, 2], op);
  parts.forEach((p, i) => {
    engine.run({
      shader, entry: 'copy_range',
      buffers: { other: p.buffer, ranges: out.buffer },
      params: { rows: 0, channels: 0, count: 0, src_row: p.shape[0]! - 1, dst_row: i },
      workgroups: [1],
    });
  });
  foldRows(engine, out, parts.length, parts.length);
  return out;
}

function foldRows(engine: Engine, ranges: Tensor, count: number, dstRow: number): void {
  engine.run({
    shader, entry: 'fold_ranges',
    buffers: { ranges: ranges.buffer },
    params: { rows: 0, channels: 0, count, src_row: 0, dst_row: dstRow },
    workgroups: [1],
  });
}

/**
 * Draws `opts.channels` of x as tiles coloured by `opts.map`, scaled by `opts.normalize`, using
 * `ranges` = valueRanges(engine, x). Returns the packed pixels; `readRgba` brings them back.
 * @example
 * const ranges = valueRanges(engine, act);                          // act: [1, 26, 26, 8]
 * const img = colormap(engine, act, ranges, { channels: [0, 1, 2, 3], columns: 2, gap: 1 });
 * ctx.putImageData(new ImageData(await readRgba(img), img.width, img.height), 0, 0); // 53 × 53
 */
export function colormap(engine: Engine, x: Tensor, ranges: Tensor, opts: ColormapOptions): ColormapImage {
  const op = 'colormap';
  checkTensor(op, 'x', x);
  checkTensor(op, 'ranges', ranges, 2);
  const map = opts.map ?? 'auto';
  if (typeof map !== 'string' || !Object.hasOwn(MAPS, map)) fail(op, `map must be one of ${Object.keys(MAPS).join(', ')}, got '${String(map)}'`);
  const view = tensorView(x.shape, opts.view ?? 'nhwc', opts.inChannel ?? 0, op);
  const lastDim = x.rank === 0 ? 1 : x.shape[x.rank - 1]!;
  if (ranges.shape[0] !== lastDim + 1 || ranges.shape[1] !== 2) {
    fail(op, `ranges has shape ${shapeStr(ranges.shape)}, expected [${lastDim + 1}, 2] (valueRanges of x ${shapeStr(x.shape)})`);
  }
  const channels = opts.channels;
  if (!Array.isArray(channels) || channels.length === 0) fail(op, 'channels must be a non-empty array of channel indices');
  for (const c of channels) {
    if (!Number.isInteger(c) || c < 0 || c >= view.channels) {
      fail(op, `channel ${String(c)} is out of range: x ${shapeStr(x.shape)} has ${view.channels} ${opts.view === 'hwio' ? 'filters' : 'channels'} to draw`);
    }
  }
  if (map === 'rgb') {
    if (opts.view !== 'hwio' || x.shape[2] !== 3) fail(op, `map 'rgb' draws filters with 3 input channels (view 'hwio'), got x ${shapeStr(x.shape)}`);
  }
  const columns = opts.columns ?? channels.length;
  const gap = opts.gap ?? 0;
  const batch = opts.batch ?? 0;
  if (!Number.isInteger(columns) || columns < 1) fail(op, `columns must be a positive integer, got ${String(columns)}`);
  if (!Number.isInteger(gap) || gap < 0) fail(op, `gap must be a non-negative integer, got ${String(gap)}`);
  if (!Number.isInteger(batch) || batch < 0 || batch >= view.batch) fail(op, `batch ${String(batch)} is out of range for x ${shapeStr(x.shape)}`);

  const norm = normRange(op, opts.normalize ?? 'channel', ranges, lastDim, view.vector);
  const cols = Math.min(columns, channels.length);
  const rows = Math.ceil(channels.length / cols);
  const width = cols * view.width + (cols - 1) * gap;
  const height = rows * view.height + (rows - 1) * gap;
  const channelList = engine.tensor(channels, [channels.length]);
  const pixels = engine.empty([height, width], op);
  const base = view.base + batch * view.height * view.width * lastDim;
  engine.run({
    shader, entry: 'colormap',
    buffers: { x: x.buffer, channels: channelList.buffer, tile_ranges: ranges.buffer, norm: norm.tensor.buffer, pixels: pixels.buffer },
    params: {
      width, height, tile_h: view.height, tile_w: view.width, columns: cols, gap, tiles: channels.length, base,
      stride_y: view.strideY, stride_x: view.strideX, stride_c: view.strideC, stride_k: view.strideK,
      map: MAPS[map], per_channel: norm.perChannel ? 1 : 0, norm_row: norm.row, layer_row: lastDim,
    },
    workgroups: [Math.ceil(width / 8), Math.ceil(height / 8)],
  });
  channelList.dispose();
  return { pixels, width, height };
}

function normRange(op: string, normalize: Normalize, ranges: Tensor, lastDim: number, vector: boolean): { tensor: Tensor; row: number; perChannel: boolean } {
  if (normalize === 'channel') return vector ? { tensor: ranges, row: lastDim, perChannel: false } : { tensor: ranges, row: 0, perChannel: true };
  if (normalize === 'layer') return { tensor: ranges, row: lastDim, perChannel: false };
  if (normalize && typeof normalize === 'object') {
    checkTensor(op, 'normalize.ranges', normalize.ranges, 2);
    const n = normalize.ranges.shape[0]!;
    if (normalize.ranges.shape[1] !== 2 || !Number.isInteger(normalize.row) || normalize.row < 0 || normalize.row >= n) {
      fail(op, `normalize.row ${String(normalize.row)} is not a row of normalize.ranges ${shapeStr(normalize.ranges.shape)}`);
    }
    return { tensor: normalize.ranges, row: normalize.row, perChannel: false };
  }
  fail(op, `normalize must be 'channel', 'layer' or {ranges, row}, got ${JSON.stringify(normalize)}`);
}

/**
 * The values of one channel (nhwc) or filter slice (hwio) as a [height, width] tensor, so a page
 * shows the number under the pointer after reading back just that channel.
 */
export function channelValues(engine: Engine, x: Tensor, channel: number, opts: { batch?: number; view?: TensorViewKind; inChannel?: number } = {}): Tensor {
  const op = 'channelValues';
  checkTensor(op, 'x', x);
  const view = tensorView(x.shape, opts.view ?? 'nhwc', opts.inChannel ?? 0, op);
  if (!Number.isInteger(channel) || channel < 0 || channel >= view.channels) {
    fail(op, `channel ${String(channel)} is out of range: x ${shapeStr(x.shape)} has ${view.channels}`);
  }
  const batch = opts.batch ?? 0;
  if (!Number.isInteger(batch) || batch < 0 || batch >= view.batch) fail(op, `batch ${String(batch)} is out of range for x ${shapeStr(x.shape)}`);
  const lastDim = x.rank === 0 ? 1 : x.shape[x.rank - 1]!;
  const channelList = engine.tensor([channel], [1]);
  const out = engine.empty([view.height, view.width], op);
  engine.run({
    shader, entry: 'channel_values',
    buffers: { x: x.buffer, channels: channelList.buffer, values: out.buffer },
    params: {
      width: view.width, height: view.height, tile_h: view.height, tile_w: view.width, columns: 1, gap: 0, tiles: 1,
      base: view.base + batch * view.height * view.width * lastDim,
      stride_y: view.strideY, stride_x: view.strideX, stride_c: view.strideC, stride_k: view.strideK,
      map: 0, per_channel: 0, norm_row: 0, layer_row: 0,
    },
    workgroups: [Math.ceil(view.width / 8), Math.ceil(view.height / 8)],
  });
  channelList.dispose();
  return out;
}

/**
 * Reads a colormap image back as RGBA bytes (width × height × 4), ready for `new ImageData(...)`.
 * The u32s are little-endian with red in the low byte, which is ImageData's byte order.
 */
export async function readRgba(image: ColormapImage): Promise<Uint8ClampedArray<ArrayBuffer>> {
  const words = await image.pixels.read();
  return new Uint8ClampedArray(words.buffer as ArrayBuffer, words.byteOffset, image.width * image.height * 4);
}

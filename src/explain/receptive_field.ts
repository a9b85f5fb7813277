/**
 * Receptive fields, worked out from the layers' configs alone (no pass, nothing on the GPU).
 *
 * A window layer's output position (y, x) reads the input rows y·s − p + i·d (i < k) and the
 * columns likewise, where s, p, k and d are its stride, leading padding, window and dilation
 * (elementwise layers read (y, x) itself). Walking the positions back from one unit to the input,
 * layer by layer and along every branch where branches meet (Add, Concatenate), and dropping those
 * that fall in padding (which reads no pixel), gives exactly the pixels the unit depends on; the
 * rectangle returned is their bounding box. The positions are kept as sets, not intervals: a
 * branch whose window lies wholly in padding along one axis must not widen the other axis.
 *
 * Walking forward instead gives each layer's regular grid: a unit (y, x) looks at the rows
 * offset + y·stride … offset + y·stride + size − 1 before clipping to the image (where branches
 * meet, the union of theirs).
 */
import { CnnError } from '../errors.js';
import type { Model } from '../nn/model.js';
import type { Layer } from '../nn/layer.js';
import { windowGeometry } from '../ops/conv_geometry.js';
import { namedLayer } from './target.js';

export interface ReceptiveField {
  /** True for a unit that reads only padding (a ZeroPadding2D border, say): no input pixel reaches it, and top > bottom or left > right. */
  empty: boolean;
  /** The rectangle of input pixels the unit depends on, inclusive, clipped to the image. */
  top: number;
  left: number;
  bottom: number;
  right: number;
  /** The field's [height, width] in input pixels before clipping (the same for every unit of the layer). */
  size: [number, number];
  /** Input pixels between neighbouring units of the layer, [rows, columns] (the jump). */
  stride: [number, number];
  /** Where unit (0, 0)'s field starts before clipping, [row, column]: negative where padding comes first. */
  offset: [number, number];
}

/** A layer's window along one axis: unit o reads inputs o·stride − pad + i·dilation for i·dilation < span. */
interface AxisWindow {
  stride: number;
  pad: number;
  span: number;
  dilation: number;
}

/** [rows, columns] windows of a layer; null where it moves no positions (elementwise layers). */
type Windows = [AxisWindow, AxisWindow] | null;

/**
 * The exact receptive field of unit (y, x) of layer `layer` on the model's input.
 * @example
 * explain.receptiveField(model, 'conv2', { y: 3, x: 5 });
 * // the MNIST LeNet (conv 5×5, pool 2, conv 5×5): {empty: false, top: 6, left: 10, bottom: 19, right: 23, size: [14, 14], stride: [2, 2], offset: [0, 0]}
 */
export function receptiveField(model: Model, layer: string, at: { y: number; x: number }): ReceptiveField {
  const op = 'explain.receptiveField';
  const target = namedLayer(op, model, layer);
  const input = model.inputShape;
  if (input.length !== 3) throw new CnnError(op, `model '${model.name}' takes [batch, ${input.join(', ')}], not images [batch, h, w, c]`);
  const shape = target.outputShape;
  if (shape.length !== 3) throw new CnnError(op, `layer '${target.name}' outputs [batch, ${shape.join(', ')}], which has no spatial positions: each of its units depends on the whole input`);
  const [h, w] = shape as [number, number];
  if (!Number.isInteger(at?.y) || at.y < 0 || at.y >= h) throw new CnnError(op, `y ${JSON.stringify(at?.y)} is out of range: layer '${target.name}' has rows 0 to ${h - 1}`);
  if (!Number.isInteger(at.x) || at.x < 0 || at.x >= w) throw new CnnError(op, `x ${JSON.stringify(at.x)} is out of range: layer '${target.name}' has columns 0 to ${w - 1}`);

  const windows = new Map<string, Windows>();
  const windowsOf = (l: Layer): Windows => {
    if (!windows.has(l.name)) windows.set(l.name, layerWindows(op, model, l));
    return windows.get(l.name)!;
  };

  // Backward: the positions of each layer's output the unit depends on, from the unit down to the input.
  const needed = new Map<string, Positions>([[target.name, Positions.one(h, w, at.y, at.x)]]);
  const order = model.layers;
  for (let i = order.indexOf(target); i >= 0; i--) {
    const l = order[i]!;
    const want = needed.get(l.name);
    if (!want || l.name === model.inputName) continue;
    const win = windowsOf(l);
    for (const src of model.inboundOf(l.name)) {
      const [ih, iw] = model.layer(src).outputShape as [number, number];
      if (!needed.has(src)) needed.set(src, new Positions(ih, iw));
      want.readThrough(win, needed.get(src)!);
    }
  }
  const rect = needed.get(model.inputName)!.bounds();

  // Forward: each layer's grid (jump, first and last offset of unit 0's field) along both axes.
  const grids = new Map<string, Grid>([[model.inputName, { jump: [1, 1], first: [0, 0], last: [0, 0] }]]);
  for (const l of order) {
    if (l.name === model.inputName || !needed.has(l.name)) continue;
    const ins = model.inboundOf(l.name).map((s) => grids.get(s)!);
    let g = ins[0]!;
    for (const other of ins.slice(1)) {
      if (other.jump[0] !== g.jump[0] || other.jump[1] !== g.jump[1]) {
        throw new CnnError(op, `the branches meeting at layer '${l.name}' step through the input by different strides (${g.jump.join('×')} and ${other.jump.join('×')}), so its units do not lie on one grid`);
      }
      g = { jump: g.jump, first: [Math.min(g.first[0], other.first[0]), Math.min(g.first[1], other.first[1])], last: [Math.max(g.last[0], other.last[0]), Math.max(g.last[1], other.last[1])] };
    }
    const win = windowsOf(l);
    grids.set(l.name, win ? { jump: [0, 1].map((a) => g.jump[a]! * win[a]!.stride) as [number, number], first: [0, 1].map((a) => g.first[a]! - win[a]!.pad * g.jump[a]!) as [number, number], last: [0, 1].map((a) => g.last[a]! + (win[a]!.span - 1 - win[a]!.pad) * g.jump[a]!) as [number, number] } : g);
    if (l === target) break;
  }
  const g = grids.get(target.name)!;
  return {
    ...rect,
    size: [g.last[0] - g.first[0] + 1, g.last[1] - g.first[1] + 1],
    stride: [...g.jump],
    offset: [...g.first],
  };
}

interface Grid {
  jump: [number, number];
  first: [number, number];
  last: [number, number];
}

/** How a layer moves positions, read from its Keras config; a CnnError for layers that lose them. */
function layerWindows(op: string, model: Model, l: Layer): Windows {
  const cfg = l.config;
  const input = l.inputShapes[0]!;
  switch (l.className) {
    case 'Conv2D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D':
      return windowsFrom(l, input, cfg.kernel_size, cfg.strides, cfg.dilation_rate);
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return windowsFrom(l, input, cfg.pool_size, cfg.strides, [1, 1]);
    case 'ZeroPadding2D': {
      const [[top], [left]] = cfg.padding as [[number, number], [number, number]];
      return [{ stride: 1, pad: top, span: 1, dilation: 1 }, { stride: 1, pad: left, span: 1, dilation: 1 }];
    }
    case 'Concatenate': {
      const axis = cfg.axis as number;
      if (axis !== -1 && axis !== 3) throw new CnnError(op, `layer '${l.name}' joins along axis ${axis}, which moves positions; only channel joins keep the grid`);
      return null;
    }
    case 'Dense':
      // Keras's Dense on [h, w, c] mixes channels at each position; on a vector the grid is gone.
      if (input.length === 3) return null;
      break;
    case 'InputLayer':
    case 'Add':
    case 'Activation':
    case 'ReLU':
    case 'LeakyReLU':
    case 'BatchNormalization':
    case 'Dropout':
    case 'Rescaling':
      return null;
  }
  throw new CnnError(op, `layer '${l.name}' (${l.className}) of model '${model.name}' does not keep spatial positions (output [batch, ${l.outputShape.join(', ')}]), so no receptive field goes through it`);
}

function windowsFrom(l: Layer, input: readonly number[], size: unknown, strides: unknown, dilation: unknown): Windows {
  const [kh, kw] = size as [number, number];
  const g = windowGeometry(l.label, [1, ...input], kh, kw, {
    strides: strides as [number, number],
    pad: l.config.padding as 'same' | 'valid',
    dilations: dilation as [number, number],
  });
  return [
    { stride: g.strideH, pad: g.padTop, span: (kh - 1) * g.dilH + 1, dilation: g.dilH },
    { stride: g.strideW, pad: g.padLeft, span: (kw - 1) * g.dilW + 1, dilation: g.dilW },
  ];
}

/** A set of positions of an h × w map, as one flag each (the maps are small; a unit's set is smaller). */
class Positions {
  private readonly flags: Uint8Array;

  constructor(
    readonly h: number,
    readonly w: number,
  ) {
    this.flags = new Uint8Array(h * w);
  }

  static one(h: number, w: number, y: number, x: number): Positions {
    const p = new Positions(h, w);
    p.flags[y * w + x] = 1;
    return p;
  }

  /** Adds to `into` every position the windows of these positions read (padding reads none). */
  readThrough(win: Windows, into: Positions): void {
    for (let y = 0; y < this.h; y++) {
      for (let x = 0; x < this.w; x++) {
        if (!this.flags[y * this.w + x]) continue;
        if (!win) {
          into.flags[y * into.w + x] = 1;
          continue;
        }
        const [rows, cols] = win;
        for (let i = y * rows.stride - rows.pad; i < y * rows.stride - rows.pad + rows.span; i += rows.dilation) {
          if (i < 0 || i >= into.h) continue;
          for (let j = x * cols.stride - cols.pad; j < x * cols.stride - cols.pad + cols.span; j += cols.dilation) {
            if (j >= 0 && j < into.w) into.flags[i * into.w + j] = 1;
          }
        }
      }
    }
  }

  /** The bounding rectangle (inclusive); empty, with top > bottom, when there are no positions. */
  bounds(): { empty: boolean; top: number; bottom: number; left: number; right: number } {
    let top = this.h;
    let bottom = -1;
    let left = this.w;
    let right = -1;
    for (let y = 0; y < this.h; y++) {
      for (let x = 0; x < this.w; x++) {
        if (!this.flags[y * this.w + x]) continue;
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
    return { empty: bottom < 0, top, bottom, left, right };
  }
}

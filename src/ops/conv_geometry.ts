/**
 * Output size and padding of a 2-D window op (conv or pool), with TensorFlow.js's semantics for
 * 'same', 'valid', a number, and explicit padding.
 */
import { fail, shapeStr } from '../errors.js';

/** 'same', 'valid', one number for every side, or `[[top, bottom], [left, right]]`
 * (the 4-entry NHWC form `[[0, 0], [top, bottom], [left, right], [0, 0]]` is accepted too). */
export type Padding = 'same' | 'valid' | number | readonly (readonly [number, number])[];

export interface Conv2dOptions {
  strides?: number | readonly [number, number];
  pad?: Padding;
  dilations?: number | readonly [number, number];
}

export interface WindowGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

function pair(op: string, name: string, v: number | readonly [number, number] | undefined, dflt: number): [number, number] {
  const p: readonly number[] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) && typeof v !== 'number' && v !== undefined) fail(op, `${name} must be a number or [h, w], got ${String(v)}`);
  if (p.length !== 2 || p.some((n) => !Number.isInteger(n) || n < 1)) {
    fail(op, `${name} must be a positive integer or two of them, got ${JSON.stringify(v)}`);
  }
  return [p[0]!, p[1]!];
}

function explicitPads(op: string, pad: readonly (readonly [number, number])[]): [number, number, number, number] {
  const rows = pad.length === 4 ? pad.slice(1, 3) : pad;
  const ok =
    (pad.length === 2 || pad.length === 4) &&
    pad.every((r) => Array.isArray(r) && r.length === 2 && r.every((n) => Number.isInteger(n) && n >= 0)) &&
    (pad.length === 2 || (pad[0]![0] === 0 && pad[0]![1] === 0 && pad[3]![0] === 0 && pad[3]![1] === 0));
  if (!ok) fail(op, `explicit pad must be [[top, bottom], [left, right]] of non-negative integers, got ${JSON.stringify(pad)}`);
  return [rows[0]![0], rows[0]![1], rows[1]![0], rows[1]![1]];
}

/**
 * Geometry of a window of `kH × kW` sliding over an NHWC input of shape `xShape`.
 * Fails, naming `op`, when the window does not fit the padded input.
 */
export function windowGeometry(
  op: string,
  xShape: readonly number[],
  kH: number,
  kW: number,
  opts: { strides?: number | readonly [number, number]; pad?: Padding; dilations?: number | readonly [number, number] },
): WindowGeometry {
  const [batch, inH, inW, channels] = xShape as [number, number, number, number];
  const [strideH, strideW] = pair(op, 'strides', opts.strides, 1);
  const [dilH, dilW] = pair(op, 'dilations', opts.dilations, 1);
  const effH = (kH - 1) * dilH + 1;
  const effW = (kW - 1) * dilW + 1;
  const pad = opts.pad ?? 'valid';
  let padTop = 0;
  let padBottom = 0;
  let padLeft = 0;
  let padRight = 0;
  let outH: number;
  let outW: number;
  if (pad === 'same') {
    outH = Math.ceil(inH / strideH);
    outW = Math.ceil(inW / strideW);
    const alongH = Math.max(0, (outH - 1) * strideH + effH - inH);
    const alongW = Math.max(0, (outW - 1) * strideW + effW - inW);
    padTop = Math.floor(alongH / 2);
    padBottom = alongH - padTop;
    padLeft = Math.floor(alongW / 2);
    padRight = alongW - padLeft;
  } else if (pad === 'valid') {
    outH = Math.ceil((inH - effH + 1) / strideH);
    outW = Math.ceil((inW - effW + 1) / strideW);
  } else if (typeof pad === 'number') {
    if (!Number.isInteger(pad) || pad < 0) fail(op, `pad must be a non-negative integer, 'same', 'valid' or explicit pairs, got ${pad}`);
    padTop = padBottom = padLeft = padRight = pad;
    // TensorFlow.js sizes both output dims from the window's height and stride when pad is a
    // number (computeOutputShape2D); we match it so that results agree element for element.
    outH = Math.trunc((inH - effH + 2 * pad) / strideH + 1);
    outW = Math.trunc((inW - effH + 2 * pad) / strideH + 1);
  } else if (Array.isArray(pad)) {
    [padTop, padBottom, padLeft, padRight] = explicitPads(op, pad);
    outH = Math.trunc((inH - effH + padTop + padBottom) / strideH + 1);
    outW = Math.trunc((inW - effW + padLeft + padRight) / strideW + 1);
  } else {
    fail(op, `pad must be 'same', 'valid', a number or [[top, bottom], [left, right]], got ${JSON.stringify(pad)}`);
  }
  if (effH > inH + padTop + padBottom || effW > inW + padLeft + padRight || outH < 1 || outW < 1) {
    fail(
      op,
      `the ${kH}×${kW} window (dilations ${dilH}×${dilW}, effective ${effH}×${effW}) is larger than the padded input ` +
        `(${inH + padTop + padBottom}×${inW + padLeft + padRight}) of x ${shapeStr(xShape)}`,
    );
  }
  return { batch, inH, inW, channels, outH, outW, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft, padBottom, padRight };
}

/** The uniform fields every window shader declares, from a geometry. */
export function windowParams(g: WindowGeometry): Record<string, number> {
  return {
    batch: g.batch, in_h: g.inH, in_w: g.inW, out_h: g.outH, out_w: g.outW,
    k_h: g.kH, k_w: g.kW, stride_h: g.strideH, stride_w: g.strideW,
    dil_h: g.dilH, dil_w: g.dilW, pad_top: g.padTop, pad_left: g.padLeft,
  };
}

/**
 * Max and average pooling in plain float64 loops, with ONNX's options (explicit pads, dilations,
 * ceil mode, count_include_pad) that TF.js's pools lack, and their gradients: the oracle for those
 * options. NHWC; padding never takes part in a max; the max gradient goes to each window's first
 * maximum in row-major order of its taps (NaN and −∞ never win), as TF.js does.
 */
export interface PoolReferenceCase {
  /** [n, h, w, c] */
  shape: readonly number[];
  filter: readonly [number, number];
  strides: readonly [number, number];
  dilations: readonly [number, number];
  /** [top, bottom, left, right] */
  pads: readonly [number, number, number, number];
  ceilMode: boolean;
  countIncludePad: boolean;
}

/** ONNX's output length: floor or ceil of (len + pads − span) / stride + 1, a ceil window starting in the end padding dropped. */
export function pooledLength(len: number, k: number, stride: number, dil: number, before: number, after: number, ceil: boolean): number {
  const span = (k - 1) * dil + 1;
  const q = (len + before + after - span) / stride;
  let out = (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
  if (ceil && (out - 1) * stride - before >= len) out--;
  return out;
}

export function pooledShape(c: PoolReferenceCase): number[] {
  const [n, h, w, ch] = c.shape as [number, number, number, number];
  const [t, b, l, r] = c.pads;
  return [
    n,
    pooledLength(h, c.filter[0], c.strides[0], c.dilations[0], t, b, c.ceilMode),
    pooledLength(w, c.filter[1], c.strides[1], c.dilations[1], l, r, c.ceilMode),
    ch,
  ];
}

interface Tap {
  /** Flat index in x, or −1 outside the input. */
  at: number;
  /** Inside the explicitly padded input. */
  inPadded: boolean;
}

/** The taps of every window (row-major), per output element's pixel. */
function windows(c: PoolReferenceCase): { out: number[]; taps: (b: number, oh: number, ow: number, ch: number) => Tap[] } {
  const [, h, w, chs] = c.shape as [number, number, number, number];
  const [t, bottom, l, right] = c.pads;
  const out = pooledShape(c);
  const taps = (b: number, oh: number, ow: number, ch: number): Tap[] => {
    const list: Tap[] = [];
    for (let i = 0; i < c.filter[0]; i++) {
      const y = oh * c.strides[0] - t + i * c.dilations[0];
      for (let j = 0; j < c.filter[1]; j++) {
        const x = ow * c.strides[1] - l + j * c.dilations[1];
        const inside = y >= 0 && y < h && x >= 0 && x < w;
        list.push({
          at: inside ? ((b * h + y) * w + x) * chs + ch : -1,
          inPadded: y >= -t && y < h + bottom && x >= -l && x < w + right,
        });
      }
    }
    return list;
  };
  return { out, taps };
}

function forEachOutput(out: number[], body: (o: number, b: number, oh: number, ow: number, ch: number) => void): void {
  const [n, oh, ow, ch] = out as [number, number, number, number];
  let o = 0;
  for (let b = 0; b < n; b++) for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) for (let k = 0; k < ch; k++) body(o++, b, y, x, k);
}

/** y and, given dy, dx of max or average pooling. */
export function poolReference(kind: 'max' | 'avg', c: PoolReferenceCase, xs: ArrayLike<number>, dys?: ArrayLike<number>) {
  const { out, taps } = windows(c);
  const size = out.reduce((a, d) => a * d, 1);
  const y = new Float64Array(size);
  const dx = new Float64Array(xs.length);
  forEachOutput(out, (o, b, oh, ow, ch) => {
    const list = taps(b, oh, ow, ch);
    if (kind === 'max') {
      let best = -Infinity;
      let at = -1;
      for (const tap of list) {
        if (tap.at >= 0 && xs[tap.at]! > best) {
          best = xs[tap.at]!;
          at = tap.at;
        }
      }
      y[o] = best;
      if (dys && at >= 0) dx[at] += dys[o]!;
    } else {
      const inside = list.filter((tap) => tap.at >= 0);
      const divisor = c.countIncludePad ? list.filter((tap) => tap.inPadded).length : inside.length;
      y[o] = inside.reduce((s, tap) => s + xs[tap.at]!, 0) / divisor;
      if (dys) for (const tap of inside) dx[tap.at] += dys[o]! / divisor;
    }
  });
  return { y, shape: out, dx };
}

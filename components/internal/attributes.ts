/** Parsing of the elements' list-valued attributes, kept apart so it is tested without a GPU. */
import { ElementError, messageOf } from './errors.js';

/**
 * `channels`: a count ("8": the first 8), or indices and ranges ("0, 3, 5-7"). Indices past the
 * layer's channel count are dropped; an empty result falls back to channel 0.
 * @example
 * pickChannels('8', 32)       // [0, 1, 2, 3, 4, 5, 6, 7]
 * pickChannels('0,3,5-7', 6)  // [0, 3, 5]
 */
export function pickChannels(spec: string | number | null | undefined, available: number, fallback = 8): number[] {
  const text = String(spec ?? '').trim();
  let picked: number[];
  if (text === '' || /^\d+$/.test(text)) {
    const n = text === '' ? fallback : Number(text);
    picked = Array.from({ length: Math.min(n, available) }, (_, i) => i);
  } else if (text === 'all') {
    picked = Array.from({ length: available }, (_, i) => i);
  } else {
    picked = [];
    for (const part of text.split(/[\s,]+/).filter(Boolean)) {
      const range = /^(\d+)\s*[-–]\s*(\d+)$/.exec(part);
      if (range) {
        for (let i = Number(range[1]); i <= Number(range[2]); i++) picked.push(i);
      } else if (/^\d+$/.test(part)) {
        picked.push(Number(part));
      }
    }
    picked = [...new Set(picked)].filter((i) => i < available);
  }
  return picked.length > 0 ? picked : [0];
}

/** `layers`: names separated by spaces or commas; empty means every layer worth drawing. */
export function parseNames(spec: string | null | undefined): string[] {
  return String(spec ?? '').split(/[\s,]+/).filter(Boolean);
}

/** Layers that draw nothing new: the input itself and identities at inference. */
const NOT_DRAWN = new Set(['InputLayer', 'Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout']);

export function defaultLayer(className: string): boolean {
  return !NOT_DRAWN.has(className);
}

/**
 * `labels`: a JSON array (`["cat", "dog"]`) or a comma-separated list (`cat, dog`). A URL (ending in
 * .json or .txt, or absolute, or starting with / ./ ../) is fetched by the element: this returns null for it.
 */
export function parseLabels(spec: string | null | undefined): string[] | null {
  const text = String(spec ?? '').trim();
  if (text === '') return [];
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ElementError('labels', `labels is not valid JSON: ${messageOf(err)}`, { cause: err });
    }
    if (!Array.isArray(parsed)) throw new ElementError('labels', 'labels must be a JSON array of strings');
    return parsed.map(String);
  }
  if (!text.includes(',') && (/\.(json|txt)(\?|#|$)/i.test(text) || /^(https?:|blob:|data:|\.{0,2}\/)/i.test(text))) return null;
  return text.split(',').map((s) => s.trim());
}

/** `input-range`: the values black and white map to ("0 1" by default; "0 255" for models that expect bytes). */
export function parseRange(spec: string | null | undefined): [number, number] {
  const parts = String(spec ?? '').split(/[\s,]+/).filter(Boolean).map(Number);
  if (parts.length === 2 && parts.every(Number.isFinite)) return [parts[0]!, parts[1]!];
  if (parts.length === 1 && Number.isFinite(parts[0])) return [0, parts[0]!];
  return [0, 1];
}

/** A number for people: 3 significant digits, exponent for the very large and very small. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** "26×26×8" for [1, 26, 26, 8] (the batch left out). */
export function shapeText(shape: readonly number[]): string {
  return shape.slice(1).join('×') || '1';
}

/**
 * `input-size`: "224" (square) or "224 224" / "224x224" (height, width); empty or bad: undefined.
 * @example
 * parseInputSize('224')      // [224, 224]
 * parseInputSize('240 320')  // [240, 320]
 */
export function parseInputSize(spec: string | null | undefined): [number, number] | undefined {
  const parts = String(spec ?? '').trim().split(/[\s,x×]+/).filter(Boolean).map(Number);
  if (parts.length === 0 || parts.length > 2 || !parts.every((n) => Number.isInteger(n) && n > 0)) return undefined;
  return [parts[0]!, parts[1] ?? parts[0]!];
}

/**
 * `mean` / `std`: one number per channel ("0.485 0.456 0.406"), or one for all; empty: undefined.
 * @example
 * parseChannelList('0.485 0.456 0.406') // [0.485, 0.456, 0.406]
 */
export function parseChannelList(spec: string | null | undefined, what: string): number[] | undefined {
  const text = String(spec ?? '').trim();
  if (text === '') return undefined;
  const values = text.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean).map(Number);
  if (!values.every(Number.isFinite)) throw new ElementError(what, `${what} must be numbers, one per channel (e.g. "0.485 0.456 0.406"); got '${text}'`);
  if (what === 'std' && values.some((v) => v === 0)) throw new ElementError(what, `std must not be 0 ('${text}')`);
  return values;
}

/**
 * Class names an ONNX file carries in its metadata: under `labels`, `classes`, `class_names` or
 * `synset` (case-insensitive), as a JSON array, a JSON object from index to name, or one per line
 * (or comma-separated). Null where none is there.
 */
export function labelsFromMetadata(metadata: ReadonlyMap<string, string>): string[] | null {
  const keys = ['labels', 'classes', 'class_names', 'class_labels', 'synset'];
  for (const [k, v] of metadata) {
    if (!keys.includes(k.toLowerCase())) continue;
    const text = v.trim();
    if (text.startsWith('[') || text.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (Array.isArray(parsed)) return parsed.map(String);
        if (parsed && typeof parsed === 'object') {
          const out: string[] = [];
          for (const [i, name] of Object.entries(parsed as Record<string, unknown>)) if (/^\d+$/.test(i)) out[Number(i)] = String(name);
          return Array.from(out, (x, i) => x ?? String(i));
        }
      } catch {
        // Not JSON after all: read it as a list.
      }
    }
    return labelLines(text);
  }
  return null;
}

/** A label list file's text: a JSON array, or one name per line (else comma-separated). */
export function labelLines(text: string): string[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    const parsed: unknown = JSON.parse(t);
    if (Array.isArray(parsed)) return parsed.map(String);
  }
  const lines = t.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines.length > 1 ? lines : t.split(',').map((l) => l.trim()).filter(Boolean);
}

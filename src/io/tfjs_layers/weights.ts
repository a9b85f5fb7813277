/**
 * The weights manifest of a TF.js layers model: checking it before anything is fetched, and
 * decoding a group's shards into float32 values, dequantizing the encodings the TensorFlow.js
 * converter writes (`quantization: {dtype: 'uint8' | 'uint16', scale, min}`: value = q·scale + min;
 * `{dtype: 'float16'}`: IEEE half floats). int32 and bool weights become floats.
 */
import { CnnError, shapeStr } from '../../errors.js';

export interface Quantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
}

export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  quantization?: Quantization;
  group?: string;
}

export interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

/** The most a model may ask for once its weights are float32 on the GPU. */
export const MAX_MODEL_BYTES = 2 ** 30;

const OP = 'loadLayersModel';
function fail(message: string): never {
  throw new CnnError(OP, message);
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes the entry takes in its shard. */
export function storedBytes(e: ManifestEntry): number {
  return e.shape.reduce((a, b) => a * b, 1) * BYTES[e.quantization?.dtype ?? e.dtype]!;
}

/**
 * Checks the manifest's structure, dtypes, quantization fields and shapes, and that the weights fit
 * in MAX_MODEL_BYTES as float32, before a byte of the shards is fetched.
 */
export function checkManifest(manifest: unknown): ManifestGroup[] {
  if (!Array.isArray(manifest)) fail(`weightsManifest must be a list of {paths, weights} groups, got ${describe(manifest)}`);
  let total = 0;
  return (manifest as unknown[]).map((g, gi) => {
    const group = g as Partial<ManifestGroup>;
    if (!group || !Array.isArray(group.paths) || group.paths.some((p) => typeof p !== 'string' || p === '') || !Array.isArray(group.weights)) {
      fail(`weightsManifest group ${gi + 1} must have "paths" (file names) and "weights" (entries), got ${describe(g)}`);
    }
    if (group.paths.length === 0 && group.weights.length > 0) fail(`weightsManifest group ${gi + 1} lists weights but no shard files`);
    const weights = group.weights.map((w) => {
      const e = checkEntry(w, gi);
      total += e.shape.reduce((a, b) => a * b, 1) * 4;
      if (total > MAX_MODEL_BYTES) {
        fail(`the weights manifest asks for more than ${MAX_MODEL_BYTES / 2 ** 20} MiB of weights (reached at '${e.name}' ${shapeStr(e.shape)}); refusing to load it`);
      }
      return e;
    });
    return { paths: [...group.paths], weights };
  });
}

function checkEntry(w: unknown, gi: number): ManifestEntry {
  const e = w as Partial<ManifestEntry>;
  if (!e || typeof e.name !== 'string') fail(`a weight in weightsManifest group ${gi + 1} has no name: ${describe(w)}`);
  const name = e.name;
  if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    fail(`weight '${name}' has shape ${JSON.stringify(e.shape)}; a shape must be a list of non-negative integers`);
  }
  const count = e.shape.reduce((a, b) => a * b, 1);
  if (count * 4 > MAX_MODEL_BYTES) fail(`weight '${name}' has shape ${shapeStr(e.shape)} (${count} values), more than ${MAX_MODEL_BYTES / 2 ** 20} MiB; refusing to load it`);
  const dtype = e.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') fail(`weight '${name}' has dtype '${String(dtype)}'; only float32, int32 and bool weights can be loaded`);
  const out: ManifestEntry = { name, shape: [...e.shape], dtype };
  if (e.group !== undefined) out.group = e.group;
  if (e.quantization !== undefined && e.quantization !== null) {
    const q = e.quantization;
    if (q.dtype === 'uint8' || q.dtype === 'uint16') {
      if (typeof q.scale !== 'number' || typeof q.min !== 'number' || !Number.isFinite(q.scale) || !Number.isFinite(q.min)) {
        fail(`weight '${name}' is quantized to ${q.dtype} but its quantization lacks a finite "scale" and "min": ${JSON.stringify(q)}`);
      }
      if (dtype === 'bool') fail(`weight '${name}': bool weights cannot be quantized`);
      out.quantization = { dtype: q.dtype, scale: q.scale, min: q.min };
    } else if (q.dtype === 'float16') {
      if (dtype !== 'float32') fail(`weight '${name}' is quantized to float16, which only float32 weights can be, not ${dtype}`);
      out.quantization = { dtype: 'float16' };
    } else {
      fail(`weight '${name}' has the unknown quantization dtype ${JSON.stringify(q.dtype)} (supported: uint8, uint16, float16)`);
    }
  }
  return out;
}

/**
 * Splits a group's shards (concatenated in path order, weights packed back to back across shard
 * boundaries) into float32 values per weight. Shards that together hold more or fewer bytes than
 * the manifest's weights fail naming the shard at fault and by how many bytes: extra bytes
 * anywhere but at the very end would shift every later weight, and the model would predict garbage.
 */
export function decodeGroup(group: ManifestGroup, shards: readonly Uint8Array[]): Map<string, Float32Array> {
  const needed = group.weights.reduce((s, e) => s + storedBytes(e), 0);
  checkShardLengths(group, shards.map((b) => b.byteLength), needed);
  const bytes = concat(shards, needed);
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const e of group.weights) {
    const n = storedBytes(e);
    // slice() copies into a fresh, aligned buffer: entries after uint8 data start at odd offsets.
    out.set(e.name, decodeEntry(e, (bytes.buffer as ArrayBuffer).slice(bytes.byteOffset + offset, bytes.byteOffset + offset + n)));
    offset += n;
  }
  return out;
}

/**
 * The manifest gives no shard sizes, only the group's total. TF.js cuts a group into shards of one
 * fixed size (4 MiB unless the converter was told otherwise, a round number) with the remainder
 * last, so when the total is off, the shard at fault is a middle one of another size than its
 * fellows, or a first one that the difference would make round, or else the last one.
 */
function checkShardLengths(group: ManifestGroup, sizes: readonly number[], needed: number): void {
  const have = sizes.reduce((a, b) => a + b, 0);
  const diff = have - needed;
  if (diff === 0) return;
  const n = sizes.length;
  const by = `${Math.abs(diff)} bytes ${diff > 0 ? 'longer' : 'shorter'}`;
  const shift = diff > 0 ? 'every weight after it would be shifted' : 'every weight after it would be shifted and the last would run past the end';
  const culprit = shardAtFault(sizes, diff);
  if (culprit !== n - 1) {
    const share = sizes[culprit]! - diff;
    fail(`weight shard '${group.paths[culprit]}' is ${by} than its share (${share} bytes): ${shift}`);
  }
  const last = group.paths[n - 1];
  const files = n > 1 ? ` (the ${n} shards ${group.paths.join(', ')} together)` : '';
  if (diff > 0) fail(`weight shard '${last}' is ${by} than the manifest's weights need: expected ${needed} bytes in the group${files}, got ${have}`);
  let end = 0;
  const short = group.weights.find((e) => (end += storedBytes(e)) > have)!;
  fail(`weight shard '${last}' is truncated: expected ${needed} bytes${files}, got ${have}; weight '${short.name}' runs past the end (${-diff} bytes missing)`);
}

/** The index of the shard whose size is off by `diff` bytes, by the pattern TF.js writes. */
function shardAtFault(sizes: readonly number[], diff: number): number {
  const n = sizes.length;
  if (n === 1) return 0;
  const middle = sizes.slice(0, -1);
  const count = (v: number) => middle.filter((s) => s === v).length;
  const usual = middle.reduce((best, s) => (count(s) > count(best) ? s : best), middle[0]!);
  // Several shards before the last: the one of another size than its fellows, by exactly `diff`.
  const odd = middle.findIndex((s) => s !== usual);
  if (n > 2 && odd >= 0 && middle.every((s, i) => i === odd || s === usual) && sizes[odd]! - diff === usual) return odd;
  // One shard before the last: it is at fault if taking `diff` off makes it round (a multiple of 1 KiB).
  const share = sizes[0]! - diff;
  if (n === 2 && share > 0 && share % 1024 === 0 && sizes[0]! % 1024 !== 0) return 0;
  return n - 1;
}

function decodeEntry(e: ManifestEntry, buf: ArrayBuffer): Float32Array {
  const q = e.quantization;
  if (q?.dtype === 'float16') return float16ToFloat32(new Uint16Array(buf));
  if (q) {
    const codes = q.dtype === 'uint8' ? new Uint8Array(buf) : new Uint16Array(buf);
    const out = new Float32Array(codes.length);
    const { scale, min } = q as Required<Quantization>;
    // int32 weights round, as tfjs-core's decodeWeights does.
    for (let i = 0; i < codes.length; i++) out[i] = e.dtype === 'int32' ? Math.round(codes[i]! * scale + min) : codes[i]! * scale + min;
    return out;
  }
  if (e.dtype === 'int32') return Float32Array.from(new Int32Array(buf));
  if (e.dtype === 'bool') return Float32Array.from(new Uint8Array(buf));
  return new Float32Array(buf);
}

/** IEEE 754 half floats (as bits) to float32, subnormals, infinities and NaN included. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** The first `length` bytes of the shards back to back (the shard itself when there is one). */
function concat(shards: readonly Uint8Array[], length: number): Uint8Array {
  if (shards.length === 1) return shards[0]!.subarray(0, length);
  const out = new Uint8Array(length);
  let at = 0;
  for (const s of shards) {
    if (at >= length) break;
    const part = s.subarray(0, Math.min(s.byteLength, length - at));
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * A TensorProto's values, decoded: float types (float32, float16, bfloat16, double) to a
 * Float32Array, integer and bool types to a Float64Array (int64 shape values stay exact below
 * 2^53). Values come from raw_data (little-endian), from the typed field the schema assigns to the
 * type (float16 and the small integers live in int32_data), or from an external file's byte range.
 */
import { shapeStr } from '../../errors.js';
import { float16ToFloat32 } from '../tfjs_layers/weights.js';
import { DataType, DATA_TYPE_NAMES, type TensorProto } from './schema.js';

/** A constant's values: what weights and folded shape arithmetic are made of. */
export interface ConstTensor {
  /** 'float' for every floating type, 'int' for integers and bools. */
  kind: 'float' | 'int';
  dims: number[];
  data: Float32Array | Float64Array;
}

/** The bytes of an external data file, by its `location`; undefined when it was not read. */
export type ExternalFiles = (location: string) => Uint8Array | undefined;

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16, DataType.DOUBLE]);
const INT_TYPES = new Set<number>([DataType.UINT8, DataType.INT8, DataType.UINT16, DataType.INT16, DataType.INT32, DataType.INT64, DataType.BOOL, DataType.UINT32, DataType.UINT64]);

const BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4, [DataType.UINT8]: 1, [DataType.INT8]: 1, [DataType.UINT16]: 2, [DataType.INT16]: 2, [DataType.INT32]: 4,
  [DataType.INT64]: 8, [DataType.BOOL]: 1, [DataType.FLOAT16]: 2, [DataType.DOUBLE]: 8, [DataType.UINT32]: 4, [DataType.UINT64]: 8,
  [DataType.BFLOAT16]: 2,
};

export function typeName(t: number): string {
  return DATA_TYPE_NAMES[t] ?? `data type ${t}`;
}

/** Whether the type can be decoded at all. */
export function isNumericType(t: number): boolean {
  return FLOAT_TYPES.has(t) || INT_TYPES.has(t);
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * Decodes a tensor. Fails through `fail` (whose caller names the tensor: "initializer
 * 'conv1.weight' …") on an unsupported type, a wrong number of values, or external data that is
 * missing or too short.
 */
export function decodeTensor(t: TensorProto, external: ExternalFiles, fail: (message: string) => never): ConstTensor {
  if (!isNumericType(t.dataType)) fail(`has the unsupported data type ${typeName(t.dataType)} (supported: float, float16, bfloat16, double and the integer types)`);
  if (t.dims.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`has the invalid shape ${shapeStr(t.dims)}`);
  const n = elementCount(t.dims);
  const kind = FLOAT_TYPES.has(t.dataType) ? 'float' : 'int';
  const raw = t.external ? externalBytes(t, external, n, fail) : t.raw;
  let data: Float32Array | Float64Array;
  if (raw !== undefined) {
    const want = n * BYTES[t.dataType]!;
    if (raw.byteLength !== want) fail(`has ${raw.byteLength} bytes of data where ${shapeStr(t.dims)} ${typeName(t.dataType)} needs ${want}`);
    data = fromRaw(t.dataType, raw, n);
  } else {
    const field = typedField(t);
    if (field.length !== n) {
      // A tensor with no values at all and no elements is fine; otherwise the count must match.
      fail(`holds ${field.length} values but its shape ${shapeStr(t.dims)} needs ${n}`);
    }
    data = fromField(t.dataType, field);
  }
  return { kind, dims: [...t.dims], data };
}

function externalBytes(t: TensorProto, external: ExternalFiles, n: number, fail: (m: string) => never): Uint8Array {
  const { location, offset, length } = t.external!;
  if (!location) fail('is stored externally but names no file (its external_data has no "location")');
  const file = external(location);
  if (!file) fail(`its data file '${location}' was not read`);
  const len = length ?? n * BYTES[t.dataType]!;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + len > file.byteLength) {
    fail(`its data lies at bytes ${offset}..${offset + len} of '${location}', which has only ${file.byteLength} bytes (the file is truncated or not the model's)`);
  }
  return file.subarray(offset, offset + len);
}

/** The typed field the schema stores this type in. */
function typedField(t: TensorProto): number[] {
  switch (t.dataType) {
    case DataType.FLOAT:
      return t.floatData ?? [];
    case DataType.DOUBLE:
      return t.doubleData ?? [];
    case DataType.INT64:
      return t.int64Data ?? [];
    case DataType.UINT32:
    case DataType.UINT64:
      return t.uint64Data ?? [];
    default:
      // int32, int16, int8, uint16, uint8, bool, float16 and bfloat16 (as their bits).
      return t.int32Data ?? [];
  }
}

function fromField(type: number, v: number[]): Float32Array | Float64Array {
  switch (type) {
    case DataType.FLOAT:
    case DataType.DOUBLE:
      return Float32Array.from(v);
    case DataType.FLOAT16:
      return float16ToFloat32(Uint16Array.from(v));
    case DataType.BFLOAT16:
      return bfloat16ToFloat32(Uint16Array.from(v));
    case DataType.UINT8:
      return Float64Array.from(v, (x) => x & 0xff);
    case DataType.UINT16:
      return Float64Array.from(v, (x) => x & 0xffff);
    case DataType.BOOL:
      return Float64Array.from(v, (x) => (x ? 1 : 0));
    default:
      return Float64Array.from(v);
  }
}

function fromRaw(type: number, raw: Uint8Array, n: number): Float32Array | Float64Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (type) {
    case DataType.FLOAT:
      // One copy into a fresh (aligned) buffer; raw data often starts at an odd offset in the file.
      // Every platform a browser runs on is little-endian, as raw_data is.
      return new Float32Array(raw.slice(0, n * 4).buffer);
    case DataType.DOUBLE:
      return Float32Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true));
    case DataType.FLOAT16:
    case DataType.BFLOAT16: {
      const bits = new Uint16Array(raw.slice(0, n * 2).buffer);
      return type === DataType.FLOAT16 ? float16ToFloat32(bits) : bfloat16ToFloat32(bits);
    }
    case DataType.INT64:
      return Float64Array.from({ length: n }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    case DataType.UINT64:
      return Float64Array.from({ length: n }, (_, i) => Number(view.getBigUint64(i * 8, true)));
    case DataType.INT32:
      return Float64Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true));
    case DataType.UINT32:
      return Float64Array.from({ length: n }, (_, i) => view.getUint32(i * 4, true));
    case DataType.INT16:
      return Float64Array.from({ length: n }, (_, i) => view.getInt16(i * 2, true));
    case DataType.UINT16:
      return Float64Array.from({ length: n }, (_, i) => view.getUint16(i * 2, true));
    case DataType.INT8:
      return Float64Array.from({ length: n }, (_, i) => view.getInt8(i));
    case DataType.BOOL:
      return Float64Array.from({ length: n }, (_, i) => (raw[i] ? 1 : 0));
    default:
      return Float64Array.from(raw.subarray(0, n));
  }
}

function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const u = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u[i] = bits[i]! << 16;
  return new Float32Array(u.buffer);
}

/**
 * The messages of the ONNX schema (onnx/onnx.proto) that an exported inference graph needs,
 * encoded from plain objects: ModelProto with opset_import and metadata_props, GraphProto,
 * NodeProto with its attributes, TensorProto (float32 and int64, as raw_data) and ValueInfoProto
 * with a float tensor type and its shape (a symbolic name for a free dim). The field numbers are
 * the ones schema.ts reads.
 */
import { ProtoWriter } from './proto_writer.js';
import { AttrType, DataType } from './schema.js';

export interface TensorOut {
  name: string;
  dims: readonly number[];
  /** float32 values, or int64 values given as numbers. */
  data: Float32Array | { int64: readonly number[] };
}

/** An attribute value: an int, a float, a string, or a list of ints or of floats. */
export type AttrValue = { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] };

export interface NodeOut {
  name: string;
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Record<string, AttrValue>;
}

export interface ValueInfoOut {
  name: string;
  /** Sizes, or a dim_param name for a free dim. */
  shape: readonly (number | string)[];
}

export interface GraphOut {
  name: string;
  nodes: readonly NodeOut[];
  initializers: readonly TensorOut[];
  inputs: readonly ValueInfoOut[];
  outputs: readonly ValueInfoOut[];
  docString?: string;
}

export interface ModelOut {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
  graph: GraphOut;
}

export function encodeModel(m: ModelOut): Uint8Array {
  const w = new ProtoWriter().varint(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, encodeGraph(m.graph));
  // OperatorSetIdProto: the default domain ('') at the opset the nodes were written for.
  w.message(8, new ProtoWriter().string(1, '').varint(2, m.opsetVersion));
  for (const [key, value] of Object.entries(m.metadata ?? {})) w.message(14, new ProtoWriter().string(1, key).string(2, value));
  return w.finish();
}

function encodeGraph(g: GraphOut): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, encodeValueInfo(v));
  for (const v of g.outputs) w.message(12, encodeValueInfo(v));
  return w;
}

function encodeNode(n: NodeOut): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes ?? {})) w.message(5, encodeAttribute(name, value));
  return w;
}

function encodeAttribute(name: string, v: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if ('i' in v) w.varint(3, v.i).varint(20, AttrType.INT);
  else if ('f' in v) w.float(2, v.f).varint(20, AttrType.FLOAT);
  else if ('s' in v) w.string(4, v.s).varint(20, AttrType.STRING);
  else if ('ints' in v) w.packedVarints(8, v.ints).varint(20, AttrType.INTS);
  else w.packedFloats(7, v.floats).varint(20, AttrType.FLOATS);
  return w;
}

export function encodeTensor(t: TensorOut): ProtoWriter {
  const w = new ProtoWriter().packedVarints(1, t.dims);
  if (t.data instanceof Float32Array) {
    w.varint(2, DataType.FLOAT).string(8, t.name).bytes(9, littleEndianFloats(t.data));
  } else {
    const raw = new Uint8Array(t.data.int64.length * 8);
    const view = new DataView(raw.buffer);
    t.data.int64.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    w.varint(2, DataType.INT64).string(8, t.name).bytes(9, raw);
  }
  return w;
}

/** raw_data is little-endian: the array's own bytes on a little-endian machine (every browser's), else swapped. */
function littleEndianFloats(a: Float32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) return bytes;
  const out = new Uint8Array(a.byteLength);
  const view = new DataView(out.buffer);
  a.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

function encodeValueInfo(v: ValueInfoOut): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().varint(1, DataType.FLOAT).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

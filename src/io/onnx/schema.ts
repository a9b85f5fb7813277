/**
 * The messages of the ONNX schema (onnx/onnx.proto) that an inference graph uses, decoded from the
 * protobuf wire format into plain objects: ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto (with raw_data, the typed fields, and external data), ValueInfoProto shapes with
 * symbolic dims, opset_import and metadata_props. Fields the schema has and we do not use are
 * skipped. Tensor contents stay views into the file until src/io/onnx/tensor_data.ts decodes them.
 */
import { ProtoError, ProtoReader, Wire } from './protobuf.js';

/** TensorProto.DataType values. */
export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8, BOOL: 9,
  FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

export const DATA_TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k.toLowerCase()]));

export interface ExternalData {
  /** The file's path relative to the model file. */
  location: string;
  offset: number;
  /** Bytes; undefined means "to the end of the file". */
  length: number | undefined;
}

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: number;
  /** raw_data: little-endian values, a view into the file. */
  raw?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  uint64Data?: number[];
  /** string_data (for string tensors, which only metadata-like nodes use). */
  stringData?: Uint8Array[];
  /** Set when data_location is EXTERNAL. */
  external?: ExternalData;
}

/** A dimension: a size, a symbolic name (dim_param), or unknown. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  /** The element type (a DataType), when the value is a tensor with a known type. */
  elemType: number | undefined;
  /** The shape, or undefined when the type has none (rank unknown). */
  shape: Dim[] | undefined;
}

/** AttributeProto.AttributeType values. */
export const AttrType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10,
} as const;

export interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  /** A reference to an attribute of the enclosing function (only inside FunctionProtos). */
  refAttrName?: string;
}

export interface NodeProto {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, Attribute>;
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  /** True when the graph has sparse initializers (which we do not read). */
  hasSparseInitializers: boolean;
}

export interface ModelProto {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  /** Opset version per operator domain ('' and 'ai.onnx' are the default domain). */
  opsets: Map<string, number>;
  graph: GraphProto | undefined;
  metadata: Map<string, string>;
  /** True when the model defines local functions (which we do not expand). */
  hasFunctions: boolean;
}

/** Decodes a ModelProto. Throws a ProtoError on a truncated or malformed buffer. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const r = new ProtoReader(bytes);
  const m: ModelProto = {
    irVersion: 0, producerName: '', producerVersion: '', domain: '', modelVersion: 0, docString: '',
    opsets: new Map(), graph: undefined, metadata: new Map(), hasFunctions: false,
  };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Varint, 'ir_version'); m.irVersion = r.int64(); break;
      case 2: r.expect(wire, Wire.Bytes, 'producer_name'); m.producerName = r.string(); break;
      case 3: r.expect(wire, Wire.Bytes, 'producer_version'); m.producerVersion = r.string(); break;
      case 4: r.expect(wire, Wire.Bytes, 'domain'); m.domain = r.string(); break;
      case 5: r.expect(wire, Wire.Varint, 'model_version'); m.modelVersion = r.int64(); break;
      case 6: r.expect(wire, Wire.Bytes, 'doc_string'); m.docString = r.string(); break;
      case 7: r.expect(wire, Wire.Bytes, 'graph'); m.graph = decodeGraph(r.message()); break;
      case 8: {
        r.expect(wire, Wire.Bytes, 'opset_import');
        const { domain, version } = decodeOpset(r.message());
        m.opsets.set(domain === 'ai.onnx' ? '' : domain, version);
        break;
      }
      case 14: {
        r.expect(wire, Wire.Bytes, 'metadata_props');
        const { key, value } = decodeEntry(r.message());
        m.metadata.set(key, value);
        break;
      }
      case 25: m.hasFunctions = true; r.skip(wire); break;
      default: r.skip(wire);
    }
  }
  return m;
}

function decodeOpset(r: ProtoReader): { domain: string; version: number } {
  let domain = '';
  let version = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === Wire.Bytes) domain = r.string();
    else if (field === 2 && wire === Wire.Varint) version = r.int64();
    else r.skip(wire);
  }
  return { domain, version };
}

function decodeEntry(r: ProtoReader): { key: string; value: string } {
  let key = '';
  let value = '';
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === Wire.Bytes) key = r.string();
    else if (field === 2 && wire === Wire.Bytes) value = r.string();
    else r.skip(wire);
  }
  return { key, value };
}

/**
 * How deeply graphs may nest in graph attributes (the branches of If, the bodies of Loop). Real
 * models nest a few levels; the bound keeps a hostile file from overflowing the decoder's stack.
 */
export const MAX_GRAPH_DEPTH = 32;

export function decodeGraph(r: ProtoReader, depth = 0): GraphProto {
  const g: GraphProto = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [], hasSparseInitializers: false };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, 'node'); g.nodes.push(decodeNode(r.message(), depth)); break;
      case 2: r.expect(wire, Wire.Bytes, 'graph name'); g.name = r.string(); break;
      case 5: r.expect(wire, Wire.Bytes, 'initializer'); g.initializers.push(decodeTensor(r.message())); break;
      case 11: r.expect(wire, Wire.Bytes, 'input'); g.inputs.push(decodeValueInfo(r.message())); break;
      case 12: r.expect(wire, Wire.Bytes, 'output'); g.outputs.push(decodeValueInfo(r.message())); break;
      case 13: r.expect(wire, Wire.Bytes, 'value_info'); g.valueInfo.push(decodeValueInfo(r.message())); break;
      case 15: g.hasSparseInitializers = true; r.skip(wire); break;
      default: r.skip(wire);
    }
  }
  return g;
}

function decodeNode(r: ProtoReader, depth: number): NodeProto {
  const n: NodeProto = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, 'node input'); n.inputs.push(r.string()); break;
      case 2: r.expect(wire, Wire.Bytes, 'node output'); n.outputs.push(r.string()); break;
      case 3: r.expect(wire, Wire.Bytes, 'node name'); n.name = r.string(); break;
      case 4: r.expect(wire, Wire.Bytes, 'op_type'); n.opType = r.string(); break;
      case 7: r.expect(wire, Wire.Bytes, 'node domain'); n.domain = r.string(); break;
      case 5: {
        r.expect(wire, Wire.Bytes, 'attribute');
        const a = decodeAttribute(r.message(), depth);
        n.attributes.set(a.name, a);
        break;
      }
      default: r.skip(wire);
    }
  }
  if (n.domain === 'ai.onnx') n.domain = '';
  return n;
}

function decodeAttribute(r: ProtoReader, depth: number): Attribute {
  const a: Attribute = { name: '', type: AttrType.UNDEFINED };
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.expect(wire, Wire.Bytes, 'attribute name'); a.name = r.string(); break;
      case 20: r.expect(wire, Wire.Varint, 'attribute type'); a.type = r.int32(); break;
      case 21: r.expect(wire, Wire.Bytes, 'ref_attr_name'); a.refAttrName = r.string(); break;
      case 2: r.expect(wire, Wire.Fixed32, 'attribute f'); a.f = r.float(); break;
      case 3: r.expect(wire, Wire.Varint, 'attribute i'); a.i = r.int64(); break;
      case 4: r.expect(wire, Wire.Bytes, 'attribute s'); a.s = r.bytesField(); break;
      case 5: r.expect(wire, Wire.Bytes, 'attribute t'); a.t = decodeTensor(r.message()); break;
      case 6: {
        r.expect(wire, Wire.Bytes, 'attribute g');
        if (depth >= MAX_GRAPH_DEPTH) throw new ProtoError(`graphs nested more than ${MAX_GRAPH_DEPTH} deep in graph attributes; no real model nests so deep`, r.pos, 'limit');
        a.g = decodeGraph(r.message(), depth + 1);
        break;
      }
      case 7: r.repeated(wire, Wire.Fixed32, () => r.float(), (a.floats ??= [])); break;
      case 8: r.repeated(wire, Wire.Varint, () => r.int64(), (a.ints ??= [])); break;
      case 9: r.expect(wire, Wire.Bytes, 'attribute strings'); (a.strings ??= []).push(r.bytesField()); break;
      case 10: r.expect(wire, Wire.Bytes, 'attribute tensors'); (a.tensors ??= []).push(decodeTensor(r.message())); break;
      default: r.skip(wire);
    }
  }
  // Writers before IR version 3 left `type` out; infer it from the field that is set.
  if (a.type === AttrType.UNDEFINED) {
    a.type = a.f !== undefined ? AttrType.FLOAT : a.i !== undefined ? AttrType.INT : a.s !== undefined ? AttrType.STRING
      : a.t !== undefined ? AttrType.TENSOR : a.g !== undefined ? AttrType.GRAPH : a.floats ? AttrType.FLOATS
      : a.ints ? AttrType.INTS : a.strings ? AttrType.STRINGS : a.tensors ? AttrType.TENSORS : AttrType.UNDEFINED;
  }
  return a;
}

export function decodeTensor(r: ProtoReader): TensorProto {
  const t: TensorProto = { name: '', dims: [], dataType: DataType.UNDEFINED };
  let location = 0;
  const ext: { key: string; value: string }[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.repeated(wire, Wire.Varint, () => r.int64(), t.dims); break;
      case 2: r.expect(wire, Wire.Varint, 'data_type'); t.dataType = r.int32(); break;
      case 4: r.repeated(wire, Wire.Fixed32, () => r.float(), (t.floatData ??= [])); break;
      case 5: r.repeated(wire, Wire.Varint, () => r.int32(), (t.int32Data ??= [])); break;
      case 6: r.expect(wire, Wire.Bytes, 'string_data'); (t.stringData ??= []).push(r.bytesField()); break;
      case 7: r.repeated(wire, Wire.Varint, () => r.int64(), (t.int64Data ??= [])); break;
      case 8: r.expect(wire, Wire.Bytes, 'tensor name'); t.name = r.string(); break;
      case 9: r.expect(wire, Wire.Bytes, 'raw_data'); t.raw = r.bytesField(); break;
      case 10: r.repeated(wire, Wire.Fixed64, () => r.double(), (t.doubleData ??= [])); break;
      case 11: r.repeated(wire, Wire.Varint, () => r.varint(), (t.uint64Data ??= [])); break;
      case 13: r.expect(wire, Wire.Bytes, 'external_data'); ext.push(decodeEntry(r.message())); break;
      case 14: r.expect(wire, Wire.Varint, 'data_location'); location = r.int32(); break;
      default: r.skip(wire);
    }
  }
  if (location === 1) {
    const get = (k: string) => ext.find((e) => e.key === k)?.value;
    const num = (k: string) => {
      const v = get(k);
      return v === undefined || v === '' ? undefined : Number(v);
    };
    t.external = { location: get('location') ?? '', offset: num('offset') ?? 0, length: num('length') };
  }
  return t;
}

function decodeValueInfo(r: ProtoReader): ValueInfo {
  const v: ValueInfo = { name: '', elemType: undefined, shape: undefined };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === Wire.Bytes) v.name = r.string();
    else if (field === 2 && wire === Wire.Bytes) decodeType(r.message(), v);
    else r.skip(wire);
  }
  return v;
}

/** TypeProto: only tensor_type (field 1) says anything we use. */
function decodeType(r: ProtoReader, v: ValueInfo): void {
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1 || wire !== Wire.Bytes) {
      r.skip(wire);
      continue;
    }
    const tt = r.message();
    while (!tt.done) {
      const f = tt.tag();
      if (f.field === 1 && f.wire === Wire.Varint) v.elemType = tt.int32();
      else if (f.field === 2 && f.wire === Wire.Bytes) v.shape = decodeShape(tt.message());
      else tt.skip(f.wire);
    }
  }
}

function decodeShape(r: ProtoReader): Dim[] {
  const dims: Dim[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1 || wire !== Wire.Bytes) {
      r.skip(wire);
      continue;
    }
    const d = r.message();
    let dim: Dim = null;
    while (!d.done) {
      const f = d.tag();
      if (f.field === 1 && f.wire === Wire.Varint) dim = d.int64();
      else if (f.field === 2 && f.wire === Wire.Bytes) dim = d.string();
      else d.skip(f.wire);
    }
    dims.push(dim);
  }
  return dims;
}

/**
 * Whether `bytes` look like a serialized ModelProto: its first field is ir_version (field 1, a
 * small varint), as every ONNX writer puts it, or the top-level fields parse and include a graph
 * (field 7). Reads only the top level, so it is cheap even for a large file; a file cut short after
 * a valid start still counts, so that the ONNX reader can say it is truncated.
 */
export function looksLikeOnnx(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 2) return false;
  try {
    const r = new ProtoReader(bytes);
    const first = r.tag();
    if (first.field === 1 && first.wire === Wire.Varint) {
      const v = r.int64();
      return v >= 1 && v <= 100;
    }
  } catch {
    return false;
  }
  try {
    const r = new ProtoReader(bytes);
    let fields = 0;
    while (!r.done && fields++ < 10000) {
      const { field, wire } = r.tag();
      if (field === 7 && wire === Wire.Bytes) return true;
      if (field > 30 || (wire !== Wire.Varint && wire !== Wire.Bytes)) return false;
      r.skip(wire);
    }
  } catch {
    return false;
  }
  return false;
}

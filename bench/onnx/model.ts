/**
 * One-node ONNX models (Conv, MaxPool, AveragePool, MatMul, Gemm) for ONNX Runtime Web: one float
 * input `x`, constant weights as initializers (as in any exported model, so the runtime may
 * pre-pack them), one output `y`; optionally a Relu node after it (a layer's activation, which the
 * runtime may fuse). Written with bench/onnx/protobuf.ts against onnx.proto's field numbers.
 */
import { ProtoWriter } from './protobuf.js';

const FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;
const IR_VERSION = 8;
const OPSET = 17;

export type Attr = number | number[];

export interface OneNodeModel {
  op: 'Conv' | 'MaxPool' | 'AveragePool' | 'MatMul' | 'Gemm';
  attrs: Record<string, Attr>;
  input: { name: string; shape: number[] };
  /** Constant inputs after the first, in the node's input order. */
  initializers: { name: string; shape: number[]; data: Float32Array }[];
  output: { name: string; shape: number[] };
  /** A Relu node between the op and the output. */
  relu?: boolean;
}

function valueInfo(name: string, shape: number[]): ProtoWriter {
  const dims = new ProtoWriter();
  for (const d of shape) dims.message(1, new ProtoWriter().int(1, d)); // TensorShapeProto.dim { dim_value }
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, dims); // TypeProto.Tensor { elem_type, shape }
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType)); // ValueInfoProto { name, type { tensor_type } }
}

function attribute(name: string, v: Attr): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new Error(`onnx attribute ${name}: ${v} is not a non-negative integer`);
    return a.int(3, v).int(20, ATTR_INT);
  }
  for (const x of v) a.int(8, x); // repeated int64 ints, unpacked
  return a.int(20, ATTR_INTS);
}

function tensor(name: string, shape: number[], data: Float32Array): ProtoWriter {
  const t = new ProtoWriter();
  for (const d of shape) t.int(1, d); // dims
  t.int(2, FLOAT).string(8, name); // data_type, name
  return t.bytes(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); // raw_data, little-endian
}

/** The serialized ModelProto. */
export function oneNodeModel(m: OneNodeModel): Uint8Array {
  const node = new ProtoWriter();
  node.string(1, m.input.name);
  for (const i of m.initializers) node.string(1, i.name);
  const opOut = m.relu ? `${m.output.name}_pre` : m.output.name;
  node.string(2, opOut).string(3, `${m.op.toLowerCase()}_0`).string(4, m.op);
  for (const [k, v] of Object.entries(m.attrs)) node.message(5, attribute(k, v));
  const graph = new ProtoWriter().message(1, node);
  if (m.relu) graph.message(1, new ProtoWriter().string(1, opOut).string(2, m.output.name).string(3, 'relu_0').string(4, 'Relu'));
  graph.string(2, 'bench');
  for (const i of m.initializers) graph.message(5, tensor(i.name, i.shape, i.data));
  graph.message(11, valueInfo(m.input.name, m.input.shape)).message(12, valueInfo(m.output.name, m.output.shape));
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'cnn-webgpu bench')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, OPSET))
    .finish();
}

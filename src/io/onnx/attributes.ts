/**
 * Reading a node's attributes by name and type, with ONNX's defaults, failing through the node's
 * context (so the error names the node and its op type) on a wrong type or a missing required one.
 */
import { AttrType, type NodeProto } from './schema.js';
import { decodeTensor, type ConstTensor, type ExternalFiles } from './tensor_data.js';

/** What attribute readers need from the converter: a way to fail naming the node. */
export interface NodeContext {
  fail(message: string): never;
  /** External data files, for a Constant's tensor stored outside the model file. */
  external?: ExternalFiles;
}

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(AttrType).map(([k, v]) => [v, k.toLowerCase()]));

function get(node: NodeProto, name: string, type: number, ctx: NodeContext) {
  const a = node.attributes.get(name);
  if (!a) return undefined;
  if (a.refAttrName) ctx.fail(`attribute '${name}' refers to a function attribute; functions are not supported`);
  if (a.type !== type) ctx.fail(`attribute '${name}' is a ${TYPE_NAMES[a.type] ?? a.type}, expected ${TYPE_NAMES[type]}`);
  return a;
}

export function attrInt(node: NodeProto, name: string, dflt: number | undefined, ctx: NodeContext): number {
  const a = get(node, name, AttrType.INT, ctx);
  if (a) return a.i ?? 0;
  if (dflt === undefined) return ctx.fail(`lacks the required attribute '${name}'`);
  return dflt;
}

export function attrFloat(node: NodeProto, name: string, dflt: number | undefined, ctx: NodeContext): number {
  const a = get(node, name, AttrType.FLOAT, ctx);
  if (a) return a.f ?? 0;
  if (dflt === undefined) return ctx.fail(`lacks the required attribute '${name}'`);
  return dflt;
}

export function attrString(node: NodeProto, name: string, dflt: string, ctx: NodeContext): string {
  const a = get(node, name, AttrType.STRING, ctx);
  return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : dflt;
}

export function attrInts(node: NodeProto, name: string, ctx: NodeContext): number[] | undefined {
  const a = get(node, name, AttrType.INTS, ctx);
  return a ? [...(a.ints ?? [])] : undefined;
}

export function attrFloats(node: NodeProto, name: string, ctx: NodeContext): number[] | undefined {
  const a = get(node, name, AttrType.FLOATS, ctx);
  return a ? [...(a.floats ?? [])] : undefined;
}

export function attrTensor(node: NodeProto, name: string, ctx: NodeContext): ConstTensor | undefined {
  const a = get(node, name, AttrType.TENSOR, ctx);
  if (!a?.t) return undefined;
  return decodeTensor(a.t, ctx.external ?? (() => undefined), (m) => ctx.fail(`attribute '${name}' ${m}`));
}

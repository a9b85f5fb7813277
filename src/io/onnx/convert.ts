/**
 * An ONNX graph turned into the importer contract (src/nn/model_import.ts): layer entries wired by
 * name and named weights with the code that produces their values.
 *
 * The walk goes node by node in file order (ONNX graphs are topologically sorted). Each tensor is
 * either a constant, known at load (an initializer, a Constant, or anything computed from those
 * alone: src/io/onnx/fold.ts evaluates it on the CPU), or an activation, computed on the GPU by the
 * layer named after it. Activations are stored in the engine's layouts (src/io/onnx/layout.ts):
 * 4-D as NHWC, the rest as ONNX has them, so each operator's handler (src/io/onnx/ops/) rewrites
 * axes and permutes constant weights into those layouts once, here, and the graph runs without a
 * transpose where ONNX's semantics allow it.
 */
import { CnnError, shapeStr } from '../../errors.js';
import type { LayerEntry, WeightEntry } from '../../nn/model_import.js';
import type { NodeContext } from './attributes.js';
import { FOLDABLE_OPS, foldNode } from './fold.js';
import { isPermuted, relayoutSteps, storedShape, type FlatOrder } from './layout.js';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from './schema.js';
import { DataType } from './schema.js';
import { decodeTensor, elementCount, isNumericType, typeName, type ConstTensor, type ExternalFiles } from './tensor_data.js';
import { HANDLERS } from './ops/index.js';

export const OP = 'loadOnnxModel';

/** The default domain's opsets this importer reads. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 23;

/** A tensor computed on the GPU: the layer that computes it and its ONNX shape (batch first). */
export interface Act {
  kind: 'act';
  layer: string;
  shape: number[];
  /** For a 2-D activation flattened from a feature map: its columns are in NHWC order. */
  flat?: FlatOrder;
}

/** A tensor known at load, decoded when first needed. */
export class Constant {
  readonly kind = 'const';
  private cached: ConstTensor | undefined;

  constructor(
    readonly dims: number[],
    readonly type: 'float' | 'int',
    private readonly load: () => ConstTensor,
  ) {}

  static of(t: ConstTensor): Constant {
    const c = new Constant(t.dims, t.kind, () => t);
    c.cached = t;
    return c;
  }

  /** The values, decoded once and kept (shape arithmetic reads them again and again). */
  get tensor(): ConstTensor {
    this.cached ??= this.load();
    return this.cached;
  }

  /** The values for a weight: decoded afresh and not kept, so a big model holds one weight at a time. */
  fresh(): ConstTensor {
    return this.cached ?? this.load();
  }

  get size(): number {
    return elementCount(this.dims);
  }
}

export type Value = Act | Constant;

export interface ConvertOptions {
  /** The model file's name, for errors. */
  file: string;
  /** [height, width] for a 4-D input whose spatial size the model leaves free. */
  inputSize?: readonly [number, number];
  /** The largest buffer binding the device allows: bigger fully connected kernels are split. */
  maxBindingBytes: number;
  /** The external data files already read, by location. */
  external: ExternalFiles;
}

export interface Converted {
  name: string;
  layers: LayerEntry[];
  output: string;
  weights: WeightEntry[];
  /** The values of each weight, by WeightEntry name, computed when called. */
  produce: Map<string, () => Float32Array>;
  /** The ONNX input: its name and shape (batch first) as resolved. */
  input: { name: string; shape: number[] };
  opset: number;
}

/** What every handler is given: the node, its inputs, and the means to add layers and weights. */
export class Converter implements NodeContext {
  readonly layers: LayerEntry[] = [];
  readonly weights: WeightEntry[] = [];
  readonly produce = new Map<string, () => Float32Array>();
  private readonly values = new Map<string, Value>();
  private readonly layerNames = new Set<string>();
  private readonly consumers = new Map<string, NodeProto[]>();
  private readonly graphOutputs: Set<string>;
  private readonly initializerNames: Set<string>;
  node!: NodeProto;

  constructor(
    readonly graph: GraphProto,
    readonly opset: number,
    readonly opts: ConvertOptions,
  ) {
    for (const n of graph.nodes) for (const i of n.inputs) if (i) (this.consumers.get(i) ?? this.consumers.set(i, []).get(i)!).push(n);
    this.graphOutputs = new Set(graph.outputs.map((o) => o.name));
    this.initializerNames = new Set(graph.initializers.map((t) => t.name));
  }

  get external(): ExternalFiles {
    return this.opts.external;
  }

  /** How errors name the current node. */
  get nodeLabel(): string {
    return `node '${this.node.name || this.node.outputs[0] || '?'}' (${this.node.opType})`;
  }

  fail(message: string): never {
    throw new CnnError(OP, `${this.nodeLabel}: ${message}`);
  }

  // ---- inputs ----

  /** Input i, or undefined where the node leaves an optional input out. */
  value(i: number): Value | undefined {
    const name = this.node.inputs[i];
    if (!name) return undefined;
    const v = this.values.get(name);
    if (!v) this.fail(`its input '${name}' is produced by no earlier node, initializer or graph input`);
    return v;
  }

  /** Input i, which must be computed from the model's input. */
  act(i: number): Act {
    const v = this.value(i);
    if (!v) this.fail(`input ${i + 1} is missing`);
    if (v instanceof Constant) this.fail(`input ${i + 1} ('${this.node.inputs[i]}') is a constant; this operator is supported only on the model's activations here`);
    return v;
  }

  /** Input i as a constant (undefined when absent); fails when it depends on the model's input. */
  constant(i: number, what = `input ${i + 1}`): Constant | undefined {
    const v = this.value(i);
    if (v === undefined) return undefined;
    if (!(v instanceof Constant)) this.fail(`${what} ('${this.node.inputs[i]}') must be known when the model loads, but it is computed from the model's input`);
    return v;
  }

  /** Input i's values (absent: undefined). */
  constValues(i: number, what?: string): ConstTensor | undefined {
    return this.constant(i, what)?.tensor;
  }

  // ---- outputs ----

  setValue(i: number, v: Value): void {
    const name = this.node.outputs[i];
    if (name) this.values.set(name, v);
  }

  /** Whether output i is read by anything (a later node or the graph's outputs). */
  isUsed(i: number): boolean {
    const name = this.node.outputs[i];
    return !!name && (this.graphOutputs.has(name) || (this.consumers.get(name)?.length ?? 0) > 0);
  }

  /**
   * Adds a layer computing output `out` (default 0) of the current node from `inputs`, records its
   * activation, and returns its name (the ONNX output's name).
   */
  emit(className: string, config: Record<string, unknown>, inputs: readonly Act[], act: Omit<Act, 'kind' | 'layer'>, out = 0): Act {
    const name = this.node.outputs[out] ?? this.fail(`has no output ${out + 1}`);
    const layer = this.addLayer(name, className, config, inputs, act);
    const a: Act = { kind: 'act', layer, ...act };
    this.values.set(name, a);
    return a;
  }

  /** Adds a layer the graph has no name for (a layout fix-up), named after `base`. */
  emitExtra(base: string, className: string, config: Record<string, unknown>, inputs: readonly Act[], act: Omit<Act, 'kind' | 'layer'>): Act {
    let name = `${base}:${className}`;
    for (let k = 2; this.layerNames.has(name) || this.values.has(name); k++) name = `${base}:${className}${k}`;
    return { kind: 'act', layer: this.addLayer(name, className, config, inputs, act), ...act };
  }

  private addLayer(name: string, className: string, config: Record<string, unknown>, inputs: readonly Act[], act: Omit<Act, 'kind' | 'layer'>): string {
    if (this.layerNames.has(name)) this.fail(`its output '${name}' is also produced by another node`);
    this.layerNames.add(name);
    const onnx: Record<string, unknown> = { op_type: this.node.opType, onnx_shape: [...act.shape] };
    if (this.node.name) onnx.onnx_node = this.node.name;
    if (isPermuted(act.flat)) onnx.flat_order = { ...act.flat };
    this.layers.push({ className, config: { name, ...config, ...onnx }, inbound: inputs.map((a) => a.layer) });
    return name;
  }

  /** Declares a weight of `layer` (its short name and stored shape) and how to compute its values. */
  weight(layer: string, short: string, shape: readonly number[], produce: () => Float32Array): void {
    const name = `${layer}/${short}`;
    this.weights.push({ name, shape: [...shape], file: this.opts.file });
    this.produce.set(name, () => {
      const v = produce();
      if (v.length !== elementCount(shape)) throw new CnnError(OP, `weight '${name}' came out with ${v.length} values for ${shapeStr(shape)}`);
      return v;
    });
  }

  /** The activation in ONNX's own column order: a flattened feature map in NHWC order is permuted back. */
  unflat(a: Act): Act {
    if (!isPermuted(a.flat)) return a.flat ? { ...a, flat: undefined } : a;
    const steps = relayoutSteps(a.shape, a.shape, a.flat);
    return this.emitExtra(a.layer, 'OnnxRelayout', { steps }, [a], { shape: a.shape });
  }

  /**
   * Whether output i may stay a flattened feature map in NHWC order: every reader, through
   * elementwise operators, is a fully connected layer with a constant weight (whose rows are
   * permuted instead), and it is not one of the graph's outputs.
   */
  flatOrderAllowed(i = 0): boolean {
    const seen = new Set<string>();
    const ok = (name: string): boolean => {
      if (this.graphOutputs.has(name)) return false;
      if (seen.has(name)) return true;
      seen.add(name);
      return (this.consumers.get(name) ?? []).every((c) => {
        if ((c.opType === 'Gemm' || c.opType === 'MatMul') && c.inputs[0] === name && c.inputs[1] !== name) return this.isConstantName(c.inputs[1]!);
        if (FLAT_PASS.has(c.opType)) return c.inputs.filter((x) => x === name).length === 1 && c.inputs.every((x, k) => k === 0 || !x || this.isConstantName(x)) && ok(c.outputs[0]!);
        return false;
      });
    };
    const name = this.node.outputs[i];
    return !!name && ok(name);
  }

  private isConstantName(name: string): boolean {
    const v = this.values.get(name);
    if (v) return v instanceof Constant;
    return this.initializerNames.has(name) || this.graph.nodes.some((n) => n.opType === 'Constant' && n.outputs[0] === name);
  }

  // ---- the walk ----

  addInitializer(t: TensorProto): void {
    const what = `initializer '${t.name}'`;
    if (!isNumericType(t.dataType)) {
      // A string or complex initializer fails only if a node reads it.
      this.values.set(t.name, new Constant(t.dims, 'float', () => this.failFile(`${what} has the unsupported data type ${typeName(t.dataType)}`)));
      return;
    }
    const kind = t.dataType === DataType.FLOAT || t.dataType === DataType.FLOAT16 || t.dataType === DataType.DOUBLE || t.dataType === DataType.BFLOAT16 ? 'float' : 'int';
    this.values.set(t.name, new Constant([...t.dims], kind, () => decodeTensor(t, this.opts.external, (m) => this.failFile(`${what} ${m}`))));
  }

  addInput(name: string, shape: number[]): Act {
    this.layerNames.add(name);
    const act: Act = { kind: 'act', layer: name, shape };
    this.values.set(name, act);
    this.layers.push({ className: 'InputLayer', config: { name, batch_input_shape: [null, ...storedShape(shape).slice(1)], onnx_shape: [...shape] }, inbound: [] });
    return act;
  }

  convertNode(node: NodeProto): void {
    this.node = node;
    if (node.domain !== '') this.fail(`its domain '${node.domain}' is not supported: only the default ONNX domain (ai.onnx) is (supported operators: ${supportedOps().join(', ')})`);
    const inputs = node.inputs.map((_, i) => this.value(i));
    const allConstant = inputs.every((v) => v === undefined || v instanceof Constant);
    if (allConstant && FOLDABLE_OPS.includes(node.opType)) {
      const outs = foldNode(node, inputs.map((v) => (v as Constant | undefined)?.tensor), this);
      outs.forEach((t, i) => this.setValue(i, Constant.of(t)));
      return;
    }
    // An own property only: an op_type such as 'constructor' must not find Object's.
    const handler = Object.hasOwn(HANDLERS, node.opType) ? HANDLERS[node.opType] : undefined;
    if (!handler) {
      const fold = FOLDABLE_OPS.includes(node.opType) ? ' (it is supported on constants, which are evaluated at load, but here its input comes from the model\'s input)' : '';
      this.fail(`the operator ${node.opType} is not supported${fold}; supported operators: ${supportedOps().join(', ')}`);
    }
    handler(this);
  }

  output(name: string): Act {
    const v = this.values.get(name);
    if (!v) throw new CnnError(OP, `the graph's output '${name}' is produced by no node`);
    if (v instanceof Constant) throw new CnnError(OP, `the graph's output '${name}' is a constant (it does not depend on the input)`);
    return v;
  }

  private failFile(message: string): never {
    throw new CnnError(OP, `${this.opts.file}: ${message}`);
  }
}

/** Elementwise operators a flattened feature map may pass through in NHWC column order. */
const FLAT_PASS = new Set(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'Elu', 'HardSigmoid', 'HardSwish', 'Dropout', 'Identity', 'Softplus', 'Neg', 'Exp', 'Log', 'Sqrt', 'Abs', 'Reciprocal']);

/** Every operator the importer reads, sorted. */
export function supportedOps(): string[] {
  return [...new Set([...Object.keys(HANDLERS), ...FOLDABLE_OPS])].sort();
}

/**
 * Converts a parsed model. Fails with a CnnError naming the node (name and op type) or the file
 * on anything it cannot run: an unsupported operator, domain or opset, a dynamic shape it cannot
 * resolve, an input it does not take.
 */
export function convertModel(model: ModelProto, opts: ConvertOptions): Converted {
  const file = opts.file;
  const graph = model.graph;
  if (!graph) throw new CnnError(OP, `${file} has no graph`);
  const opset = model.opsets.get('') ?? (model.opsets.size === 0 ? 1 : undefined);
  if (opset === undefined) {
    throw new CnnError(OP, `${file} imports no opset of the default ONNX domain (it imports ${[...model.opsets.keys()].map((d) => `'${d}'`).join(', ')}); only models of the default domain are supported`);
  }
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new CnnError(OP, `${file} uses opset ${opset} of the default domain; opsets ${MIN_OPSET} to ${MAX_OPSET} are supported`);
  }
  const cv = new Converter(graph, opset, opts);
  for (const t of graph.initializers) cv.addInitializer(t);
  const initNames = new Set(graph.initializers.map((t) => t.name));
  const inputs = graph.inputs.filter((i) => !initNames.has(i.name));
  if (inputs.length !== 1) {
    throw new CnnError(OP, `${file} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ') || 'none'}); only models with one input are supported`);
  }
  const input = inputs[0]!;
  if (input.elemType !== undefined && input.elemType !== DataType.FLOAT) {
    throw new CnnError(OP, `${file}: the input '${input.name}' has type ${typeName(input.elemType)}; only float32 inputs are supported`);
  }
  const shape = resolveInputShape(input.name, input.shape, opts.inputSize, file);
  cv.addInput(input.name, shape);
  for (const node of graph.nodes) {
    try {
      cv.convertNode(node);
    } catch (e) {
      if (e instanceof CnnError) throw e;
      throw new CnnError(OP, `${cv.nodeLabel}: ${(e as Error).message}`, { cause: e });
    }
  }
  const out = graph.outputs[0];
  if (!out) throw new CnnError(OP, `${file}'s graph has no outputs`);
  const outAct = cv.output(out.name);
  return { name: graph.name || 'onnx_model', layers: cv.layers, output: outAct.layer, weights: cv.weights, produce: cv.produce, input: { name: input.name, shape }, opset };
}

/**
 * The input's shape with every free dim resolved: the batch (dim 0) as 1 (the model runs any
 * batch), a 4-D input's free height and width from `inputSize`.
 */
function resolveInputShape(name: string, dims: readonly (number | string | null)[] | undefined, inputSize: readonly [number, number] | undefined, file: string): number[] {
  if (!dims) throw new CnnError(OP, `${file}: the input '${name}' declares no shape`);
  if (dims.length === 0) throw new CnnError(OP, `${file}: the input '${name}' is a scalar; the input must have a batch dimension`);
  const free = (d: number | string | null): boolean => typeof d !== 'number' || d <= 0;
  const show = `[${dims.map((d) => (free(d) ? (typeof d === 'string' && d ? d : '?') : d)).join(', ')}]`;
  return dims.map((d, i) => {
    if (!free(d)) return d as number;
    if (i === 0) return 1;
    if (dims.length === 4 && (i === 2 || i === 3)) {
      if (inputSize) return inputSize[i - 2]!;
      throw new CnnError(OP, `${file}: the input '${name}' ${show} has a free ${i === 2 ? 'height' : 'width'}; give the size to run it at (the inputSize option, or the viewer's input-size attribute)`);
    }
    throw new CnnError(OP, `${file}: the input '${name}' ${show} has a free dim ${i} that cannot be resolved; only the batch and a 4-D input's height and width may be free`);
  });
}

/**
 * A model: layers wired into a graph with one input and one output (a chain for Sequential models,
 * any DAG for functional ones). One forward pass computes every layer's output and keeps them all,
 * keyed by layer name, so a viewer can show any layer without re-running or reading back.
 */
import { Engine } from '../engine.js';
import { Tensor } from '../tensor.js';
import { CnnError, shapeStr } from '../errors.js';
import type { Layer } from './layer.js';
import { InputLayer } from './layers/core.js';
import { Conv2D } from './layers/conv.js';
import { BatchNormalization } from './layers/normalization.js';
import { Activation } from './layers/activation.js';
import { Add } from './layers/merge.js';
import { binary, type BinaryActivation } from '../ops/binary.js';
import { splitActivation, type ActivationName } from './activations.js';
import { SeededRandom } from './random.js';
import type { Ops } from './ops_like.js';
import { evaluate, fit, type FitOptions, type History } from './training.js';
import type { Dataset } from './dataset.js';

/** A layer and the names of the layers whose outputs it takes, in order. */
export interface ModelNode {
  layer: Layer;
  inbound: readonly string[];
}

export interface ModelGraph {
  name: string;
  /** How the model is written back to model.json: a chain, or a graph with inbound nodes. */
  topology: 'sequential' | 'functional';
  nodes: readonly ModelNode[];
  /** The layer whose output is the model's output; defaults to the last node. */
  output?: string;
}

/** Every layer's output from one forward pass. */
export interface Activations {
  /** Layer name → its output (the InputLayer's entry is the input tensor itself). */
  outputs: Map<string, Tensor>;
  /** The model's output (also in `outputs`). */
  output: Tensor;
  /** Frees every output but the input tensor the caller passed. */
  dispose(): void;
}

export interface RunOptions {
  /** The engine (default) or an autograd tape that records the pass. */
  ops?: Ops;
  /** Training mode: batch statistics in BatchNormalization, masks in Dropout. */
  training?: boolean;
  /**
   * Leave out a softmax that ends the output layer, so `output` holds logits for
   * `softmaxCrossEntropy` (the output layer's entry in `outputs` is then the logits too).
   */
  logits?: boolean;
}

export class Model {
  readonly name: string;
  readonly topology: 'sequential' | 'functional';
  /** Input shape without the batch dimension, e.g. [28, 28, 1]. */
  readonly inputShape: readonly number[];
  /** Every layer in topological order; the InputLayer first. */
  readonly layers: readonly Layer[];
  readonly inputName: string;
  readonly outputName: string;
  private readonly inbound: Map<string, readonly string[]>;
  /** How many layers read each layer's output (the model output counts one more). */
  private readonly consumers: Map<string, number>;
  /** predict()'s fusions: a Conv2D's or Add's name → the layers that run in its dispatch (see `planFusions`). */
  private readonly fusions: Map<string, FusedTail>;
  /** The layers that run inside another layer's dispatch in predict(). */
  private readonly fusedAway: Set<string>;

  /** Wires and builds the layers (checks every shape); allocates no GPU memory. */
  constructor(
    readonly engine: Engine,
    graph: ModelGraph,
  ) {
    this.name = graph.name;
    this.topology = graph.topology;
    const where = `model '${graph.name}'`;
    const byName = new Map<string, ModelNode>();
    for (const node of graph.nodes) {
      if (byName.has(node.layer.name)) throw new CnnError(where, `two layers are named '${node.layer.name}'; layer names must be unique`);
      byName.set(node.layer.name, node);
    }
    const inputs = graph.nodes.filter((n) => n.layer instanceof InputLayer);
    if (inputs.length !== 1) {
      throw new CnnError(where, `needs exactly one input layer, found ${inputs.length}${inputs.length ? ` (${inputs.map((n) => n.layer.name).join(', ')})` : ''}; models with several inputs are not supported`);
    }
    this.inputName = inputs[0]!.layer.name;
    this.outputName = graph.output ?? graph.nodes[graph.nodes.length - 1]!.layer.name;
    if (!byName.has(this.outputName)) throw new CnnError(where, `the output layer '${this.outputName}' is not in the model`);
    for (const node of graph.nodes) {
      if (node.layer instanceof InputLayer ? node.inbound.length !== 0 : node.inbound.length === 0) {
        throw new CnnError(where, `layer '${node.layer.name}' ${node.inbound.length ? 'is an input layer but has inputs' : 'has no inputs'}`);
      }
      for (const src of node.inbound) {
        if (!byName.has(src)) throw new CnnError(where, `layer '${node.layer.name}' takes the output of '${src}', which is not in the model`);
      }
    }
    this.inbound = new Map(graph.nodes.map((n) => [n.layer.name, [...n.inbound]]));
    this.layers = topologicalOrder(where, graph.nodes);
    this.inputShape = (inputs[0]!.layer as InputLayer).shape;
    for (const layer of this.layers) {
      layer.build(this.inbound.get(layer.name)!.map((src) => byName.get(src)!.layer.outputShape));
    }
    this.consumers = new Map(this.layers.map((l) => [l.name, 0]));
    for (const srcs of this.inbound.values()) for (const s of srcs) this.consumers.set(s, this.consumers.get(s)! + 1);
    this.consumers.set(this.outputName, this.consumers.get(this.outputName)! + 1);
    this.fusions = this.planFusions();
    this.fusedAway = new Set([...this.fusions.values()].flatMap((t) => t.layers));
  }

  /** The layer of that name. */
  layer(name: string): Layer {
    const l = this.layers.find((x) => x.name === name);
    if (!l) throw new CnnError(`model '${this.name}'`, `has no layer named '${name}' (layers: ${this.layers.map((x) => x.name).join(', ')})`);
    return l;
  }

  /** The names of the layers whose outputs `name` takes. */
  inboundOf(name: string): readonly string[] {
    return this.inbound.get(name) ?? [];
  }

  /** Output shape of the model without the batch dimension. */
  get outputShape(): readonly number[] {
    return this.layer(this.outputName).outputShape;
  }

  /**
   * One forward pass keeping every layer's output. Nothing is read back.
   * @example
   * const acts = model.run(x);
   * const conv1 = acts.outputs.get('conv1'); // [batch, h, w, filters]
   * acts.dispose();
   */
  run(x: Tensor, opts: RunOptions = {}): Activations {
    const outputs = this.forward(x, opts.ops ?? this.engine, opts.training ?? false, true, opts.logits ?? false);
    return {
      outputs,
      output: outputs.get(this.outputName)!,
      dispose: () => {
        for (const t of new Set(outputs.values())) if (t !== x) t.dispose();
        outputs.clear();
      },
    };
  }

  /**
   * The model's output alone, freeing each intermediate as soon as no later layer needs it. A
   * Conv2D followed by a BatchNormalization and/or an Activation that nothing else reads runs them
   * in its own dispatch (the statistics read by the kernel as it runs: weights changed in place are
   * seen by the next call); `run` computes every layer on its own, as it keeps every output.
   */
  predict(x: Tensor): Tensor {
    const ops: Ops = this.engine;
    const y = this.forward(x, ops, false, false, false, true).get(this.outputName)!;
    // A model whose output is its input (identity layers only) still returns a tensor the caller owns.
    return y === x ? ops.reshape(x, x.shape) : y;
  }

  /** The trainable weights, in layer order. */
  params(): Tensor[] {
    return this.layers.flatMap((l) => l.weights.filter((w) => w.trainable).map((w) => w.tensor));
  }

  /** Every weight, trainable or not, with its Keras name. */
  namedWeights(): { name: string; tensor: Tensor; trainable: boolean }[] {
    return this.layers.flatMap((l) => l.weights);
  }

  /** Fills every weight from its layer's initialiser (seeded: the same seed gives the same model). */
  initialize(seed = 0): void {
    const rng = new SeededRandom(seed);
    for (const layer of this.layers) {
      const tensors: Tensor[] = [];
      try {
        for (const spec of layer.weightSpecs()) tensors.push(this.engine.tensor(layer.initialValues(spec, rng), spec.shape));
        layer.setWeights(tensors);
      } catch (e) {
        for (const t of tensors) t.dispose();
        throw e;
      }
    }
  }

  /** Frees every weight and constant. */
  dispose(): void {
    for (const l of this.layers) l.dispose();
  }

  /**
   * Trains the model on the GPU with softmax cross-entropy on its logits (see src/nn/training.ts).
   * @example
   * await model.fit(imageDataset(train), { optimizer: adam({ learningRate: 1e-3 }), epochs: 2, batchSize: 64 });
   */
  fit(data: Dataset, opts: FitOptions): Promise<History> {
    return fit(this.engine, this, data, opts);
  }

  /** Mean loss and accuracy over `data`. */
  evaluate(data: Dataset, opts: { batchSize?: number } = {}): Promise<{ loss: number; accuracy: number }> {
    return evaluate(this.engine, this, data, opts);
  }

  /**
   * With `fuse` (inference on the engine, intermediates not kept), the layers of each planned
   * fusion run as one call of their Conv2D, whose output stands for the last of them.
   */
  private forward(x: Tensor, ops: Ops, training: boolean, keepAll: boolean, logits: boolean, fuse = false): Map<string, Tensor> {
    this.checkInput(x);
    const outputs = new Map<string, Tensor>();
    // Uses left per tensor (not per layer: identity layers return their input itself).
    const uses = new Map<Tensor, number>();
    const eager = ops instanceof Engine;
    const fused = fuse && eager && !training && !keepAll && !logits;
    try {
      for (const layer of this.layers) {
        if (fused && this.fusedAway.has(layer.name)) continue;
        const srcs = this.inbound.get(layer.name)!;
        const isInput = layer.name === this.inputName;
        const ins = isInput ? [x] : srcs.map((s) => outputs.get(s)!);
        const tail = fused ? this.fusions.get(layer.name) : undefined;
        const y = !tail
          ? layer.call(ops, ins, training, logits && layer.name === this.outputName)
          : tail.kind === 'add'
            ? binary(this.engine, 'add', ins[0]!, ins[1]!, tail.activation)
            : (layer as Conv2D).callFused(this.engine, ins[0]!, tail.batchNorm?.inferenceEpilogue() ?? null, tail.activation);
        const name = tail ? tail.layers[tail.layers.length - 1]! : layer.name;
        outputs.set(name, y);
        if (keepAll || !eager) continue;
        uses.set(y, (uses.get(y) ?? 0) + this.consumers.get(name)!);
        if (isInput) continue;
        for (const t of ins) {
          const left = uses.get(t)! - 1;
          uses.set(t, left);
          if (left === 0 && t !== x) t.dispose();
        }
      }
    } catch (e) {
      if (eager) for (const t of new Set(outputs.values())) if (t !== x) t.dispose();
      throw e;
    }
    return outputs;
  }

  /**
   * For each Conv2D with a linear activation: the BatchNormalization that alone reads its output
   * (if any), then the Activation that alone reads that (if any, and one a kernel epilogue applies:
   * not softmax), neither being the model's output. For each Add of two inputs: a relu or relu6
   * Activation that alone reads its output (a residual block's tail). Only the structure decides;
   * the weights are read at each call.
   */
  private planFusions(): Map<string, FusedTail> {
    const readers = new Map<string, Layer[]>(this.layers.map((l) => [l.name, []]));
    for (const layer of this.layers) for (const src of new Set(this.inbound.get(layer.name)!)) readers.get(src)!.push(layer);
    // The one layer reading `name`'s output, as its only input, when nothing else reads it.
    const soleReader = (name: string): Layer | null => {
      const r = readers.get(name)!;
      return this.consumers.get(name) === 1 && r.length === 1 && this.inbound.get(r[0]!.name)!.length === 1 ? r[0]! : null;
    };
    const plan = new Map<string, FusedTail>();
    for (const layer of this.layers) {
      if (layer instanceof Add && this.inbound.get(layer.name)!.length === 2) {
        const next = soleReader(layer.name);
        if (next instanceof Activation && (next.activation === 'relu' || next.activation === 'relu6')) {
          plan.set(layer.name, { kind: 'add', activation: next.activation, layers: [next.name] });
        }
        continue;
      }
      if (!(layer instanceof Conv2D) || !layer.takesTail) continue;
      const tail: ConvTail = { kind: 'conv', batchNorm: null, activation: 'linear', layers: [] };
      let next = soleReader(layer.name);
      if (next instanceof BatchNormalization) {
        tail.batchNorm = next;
        tail.layers.push(next.name);
        next = soleReader(next.name);
      }
      if (next instanceof Activation && next.activation !== 'linear' && splitActivation(next.activation).rest === 'linear') {
        tail.activation = next.activation;
        tail.layers.push(next.name);
      }
      if (tail.layers.length > 0) plan.set(layer.name, tail);
    }
    return plan;
  }

  private checkInput(x: Tensor): void {
    const where = `model '${this.name}'`;
    if (!(x instanceof Tensor)) throw new CnnError(where, `the input must be a Tensor, got ${x === null ? 'null' : typeof x}`);
    if (x.isDisposed) throw new CnnError(where, `the input (shape ${shapeStr(x.shape)}) was used after dispose()`);
    const want = this.inputShape;
    if (x.rank !== want.length + 1 || want.some((d, i) => x.shape[i + 1] !== d)) {
      throw new CnnError(where, `the input has shape ${shapeStr(x.shape)} but the model takes [batch, ${want.join(', ')}]`);
    }
  }
}

/** The layers predict() runs inside a Conv2D's dispatch. */
interface ConvTail {
  kind: 'conv';
  batchNorm: BatchNormalization | null;
  activation: ActivationName;
  /** Their names in order; the last one's output is what the fused call returns. */
  layers: string[];
}

/** The activation predict() applies as an Add writes its sum. */
interface AddTail {
  kind: 'add';
  activation: BinaryActivation;
  layers: string[];
}

type FusedTail = ConvTail | AddTail;

/**
 * Kahn's algorithm, keeping the given order among ready layers (the ready layer given first goes
 * first); fails on a cycle. Ready layers wait in a min-heap of their positions, so the sort is
 * O(n log n) rather than a rescan from the start for each layer, which a file of many thousand
 * layers would turn into seconds of a blocked page.
 */
function topologicalOrder(where: string, nodes: readonly ModelNode[]): Layer[] {
  const index = new Map(nodes.map((n, i) => [n.layer.name, i]));
  const waiting = nodes.map((n) => new Set(n.inbound).size);
  const consumers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => new Set(n.inbound).forEach((s) => consumers[index.get(s)!]!.push(i)));
  const ready = new MinHeap();
  waiting.forEach((w, i) => w === 0 && ready.push(i));
  const order: Layer[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(nodes[i]!.layer);
    for (const c of consumers[i]!) if (--waiting[c]! === 0) ready.push(c);
  }
  if (order.length < nodes.length) {
    const stuck = nodes.filter((_, i) => waiting[i]! > 0).map((n) => n.layer.name);
    throw new CnnError(where, `the layers ${stuck.join(', ')} form a cycle or depend on one`);
  }
  return order;
}

/** A binary min-heap of integers. */
class MinHeap {
  private readonly a: number[] = [];

  get size(): number {
    return this.a.length;
  }

  push(v: number): void {
    const a = this.a;
    let i = a.push(v) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
      if (a[c]! >= last) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

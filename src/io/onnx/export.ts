/**
 * Writing a model built or trained by the engine as an ONNX file (opset 13) that ONNX Runtime,
 * Netron and PyTorch-side tools read: the layers become standard ONNX operators, the weights
 * float32 initializers, in an NCHW graph like the ones PyTorch exports.
 *
 * Layout: the engine computes NHWC; the file's input is NCHW, `[N, c, h, w]` with a free batch
 * dim `N` (or NHWC with `inputLayout: 'nhwc'`, which adds a Transpose after the input). Kernels are
 * transposed HWIO → OIHW, a feature map flattened into a Dense layer is flattened in c, h, w order
 * as PyTorch's `flatten(1)` does, with the Dense kernel's rows permuted to match, and 4-D outputs
 * come out NCHW (NHWC with `inputLayout: 'nhwc'`); other outputs as the engine has them.
 */
import { asCnnError, CnnError } from '../../errors.js';
import type { Model } from '../../nn/model.js';
import type { Layer } from '../../nn/layer.js';
import { VERSION } from '../../version.js';
import { encodeModel } from './encode.js';
import { GraphBuilder, NCHW, SAME, type Value } from './export_graph.js';
import { EXPORTABLE_LAYERS, emitLayer } from './export_layers.js';

/** The opset the nodes are written for (ONNX Runtime, web and native, runs it; PyTorch's default has been 13 and later). */
export const ONNX_EXPORT_OPSET = 13;
/** IR version 7 is the one that goes with opset 13. */
const IR_VERSION = 7;

export interface OnnxSaveOptions {
  /**
   * How an image input is laid out in the file: `'nchw'` (the default: `[N, c, h, w]`, as PyTorch
   * and most ONNX models) or `'nhwc'` (`[N, h, w, c]`, the engine's and TF.js's, fed to a Transpose;
   * a 4-D output is then NHWC too). Inputs that are not images keep the engine's shape.
   */
  inputLayout?: 'nchw' | 'nhwc';
  /** The graph input's name (default 'input'). */
  inputName?: string;
  /** The graph output's name (default 'output'). */
  outputName?: string;
  /** The file name offered for a download (default the model's name + '.onnx'). */
  fileName?: string;
}

/** A model as an ONNX file. */
export interface SavedOnnxModel {
  /** The serialized ModelProto. */
  bytes: Uint8Array;
  /** A name to save it as, e.g. 'sequential.onnx'. */
  fileName: string;
  /** The input as the file declares it, e.g. `['N', 1, 28, 28]`. */
  inputShape: (number | string)[];
  /** The output as the file declares it, e.g. `['N', 10]`. */
  outputShape: (number | string)[];
  /** The bytes as a Blob (type application/octet-stream), ready for a download link. */
  blob(): Blob;
}

/**
 * The model as an `.onnx` file: every layer it needs for its output as ONNX operators, the weights
 * read back from the GPU. A layer class that has no ONNX form (e.g. the layers an imported ONNX
 * graph is built from) is refused with a CnnError naming the layer.
 * @example
 * const saved = await saveOnnxModel(model);
 * download(saved.blob(), saved.fileName);
 * // Python: onnxruntime.InferenceSession('sequential.onnx').run(None, {'input': x_nchw})
 */
export async function saveOnnxModel(model: Model, opts: OnnxSaveOptions = {}): Promise<SavedOnnxModel> {
  try {
    const layout = opts.inputLayout ?? 'nchw';
    if (layout !== 'nchw' && layout !== 'nhwc') throw new CnnError('saveOnnxModel', `inputLayout must be 'nchw' or 'nhwc', got ${JSON.stringify(layout)}`);
    const needed = ancestorsOfOutput(model);
    // Every layer must have an ONNX form before anything is read back from the GPU.
    for (const l of model.layers) {
      if (needed.has(l.name) && !EXPORTABLE_LAYERS.includes(l.className)) {
        throw new CnnError('saveOnnxModel', `layer '${l.name}' of class ${l.className} cannot be written as ONNX (supported: ${EXPORTABLE_LAYERS.join(', ')})`);
      }
    }
    const b = new GraphBuilder();
    const inputName = b.fresh(opts.inputName ?? 'input');
    const outputName = b.fresh(opts.outputName ?? 'output');
    const weights = model.layers.filter((l) => needed.has(l.name)).flatMap((l) => l.weights);
    const read = await Promise.all(weights.map((w) => w.tensor.read()));
    const values = new Map(weights.map((w, i) => [w.name, read[i]!]));

    const image = model.inputShape.length === 3;
    const [h, w, c] = model.inputShape as [number, number, number];
    const inputShape: (number | string)[] = ['N', ...(image ? (layout === 'nchw' ? [c, h, w] : [h, w, c]) : model.inputShape)];
    const graphValues = new Map<string, Value>();
    let input: Value = { name: inputName, layout: image ? NCHW : SAME, shape: model.inputShape };
    if (image && layout === 'nhwc') input = { ...input, name: b.node(inputName, 'Transpose', [inputName], { perm: { ints: [0, 3, 1, 2] } }) };
    graphValues.set(model.inputName, input);

    for (const layer of model.layers) {
      if (!needed.has(layer.name) || layer.name === model.inputName) continue;
      const since = b.nodes.length;
      const ins = model.inboundOf(layer.name).map((s) => graphValues.get(s)!);
      const v = emitLayer(b, layer, ins, values);
      // A layer's output tensor is named after the layer, as loadOnnxModel names layers after tensors.
      const named = layer.name === model.outputName ? v : renamed(b, v, layer, since);
      graphValues.set(layer.name, named);
    }

    let out = graphValues.get(model.outputName)!;
    if (out.layout.kind === 'flat') out = b.toSame(model.outputName, out);
    if (out.layout.kind === 'nchw' && layout === 'nhwc') out = { ...out, layout: SAME, name: b.node(model.outputName, 'Transpose', [out.name], { perm: { ints: [0, 2, 3, 1] } }) };
    // The tensor that leaves is renamed in the node that makes it (an Identity when it is the input).
    if (!b.rename(out.name, outputName, 0)) b.rename(b.node(model.outputName, 'Identity', [out.name]), outputName, 0);
    const o = out.shape;
    const outputShape: (number | string)[] = ['N', ...(o.length === 3 && layout === 'nchw' ? [o[2]!, o[0]!, o[1]!] : o)];

    const bytes = encodeModel({
      irVersion: IR_VERSION,
      opsetVersion: ONNX_EXPORT_OPSET,
      producerName: 'cnn-webgpu',
      producerVersion: VERSION,
      docString: `${model.name}, written by cnn-webgpu ${VERSION} from an NHWC model`,
      metadata: { 'cnn-webgpu.input_layout': layout.toUpperCase(), 'cnn-webgpu.model': model.name },
      graph: {
        name: model.name,
        nodes: b.nodes,
        initializers: b.initializers,
        inputs: [{ name: inputName, shape: inputShape }],
        outputs: [{ name: outputName, shape: outputShape }],
      },
    });
    const fileName = opts.fileName ?? `${model.name.replace(/[^\w.-]+/g, '_') || 'model'}.onnx`;
    return { bytes, fileName, inputShape, outputShape, blob: () => new Blob([bytes as BlobPart], { type: 'application/octet-stream' }) };
  } catch (e) {
    throw asCnnError('saveOnnxModel', e);
  }
}

/** The layers the output depends on: layers on a branch that leads nowhere are left out of the file. */
function ancestorsOfOutput(model: Model): Set<string> {
  const seen = new Set<string>();
  const stack = [model.outputName];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...model.inboundOf(n));
  }
  return seen;
}

/** The value with its tensor renamed after the layer, where this layer's nodes made it. */
function renamed(b: GraphBuilder, v: Value, layer: Layer, since: number): Value {
  const name = b.fresh(layer.name);
  return b.rename(v.name, name, since) ? { ...v, name } : v;
}

/**
 * How a network's answer and its feature maps change as a transformation of the input is swept:
 * the sweep runs as one batch (the untransformed input first, then one image per value), and for
 * every layer the cosine similarity of each image's maps to the untransformed input's is worked out
 * on the GPU from one Gram matrix per layer; only those few numbers and the network's outputs are
 * read back.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../tensor.js';
import type { Model, Activations } from '../nn/model.js';
import { CnnError, shapeStr } from '../errors.js';
import { transformImages, type TransformKind, type TransformOptions } from './transforms.js';

/** One layer's similarity to the reference image, per image of the batch. */
export interface LayerSimilarity {
  name: string;
  className: string;
  /** Cosine similarity of image i's output to the reference image's (NaN where either is all zeros). */
  similarity: number[];
}

/**
 * For each tensor ([batch, …]), the cosine similarity of every image's values to image
 * `reference`'s, from the Gram matrix Y·Yᵀ of the flattened images (one matMul per tensor on the
 * GPU, all Gram matrices read back in one go).
 * @example
 * const [conv1] = await similarityToReference(engine, [{ name: 'conv1', className: 'Conv2D', tensor: acts.outputs.get('conv1')! }]);
 * conv1.similarity; // [1, 0.93, 0.71, …]: image 0 is the reference
 */
export async function similarityToReference(engine: Engine, layers: readonly { name: string; className: string; tensor: Tensor }[], reference = 0): Promise<LayerSimilarity[]> {
  const op = 'similarityToReference';
  if (layers.length === 0) return [];
  const batch = layers[0]!.tensor.shape[0]!;
  if (!Number.isInteger(reference) || reference < 0 || reference >= batch) throw new CnnError(op, `reference ${reference} is not an image of the batch (${batch})`);
  const grams: Tensor[] = [];
  let all: Tensor | null = null;
  try {
    for (const l of layers) {
      const t = l.tensor;
      if (t.rank < 1 || t.shape[0] !== batch) throw new CnnError(op, `layer '${l.name}' has shape ${shapeStr(t.shape)}; every tensor needs the batch of ${batch} first`);
      const y = engine.reshape(t, [batch, t.size / batch]);
      let gram: Tensor | null = null;
      try {
        gram = engine.matMul(y, y, { transposeB: true });
        grams.push(engine.reshape(gram, [batch * batch]));
      } finally {
        y.dispose();
        gram?.dispose();
      }
    }
    all = grams.length === 1 ? grams[0]! : engine.concat(grams, 0);
    const g = await all.read();
    return layers.map((l, i) => {
      const at = (a: number, b: number) => g[i * batch * batch + a * batch + b]!;
      const ref = at(reference, reference);
      return {
        name: l.name,
        className: l.className,
        similarity: Array.from({ length: batch }, (_, b) => {
          const denom = Math.sqrt(at(b, b) * ref);
          return denom > 0 ? Math.min(1, Math.max(-1, at(b, reference) / denom)) : Number.NaN;
        }),
      };
    });
  } finally {
    for (const t of new Set([...grams, ...(all ? [all] : [])])) t.dispose();
  }
}

export interface InvarianceOptions extends TransformOptions {
  /** The layers whose similarity is computed (default: every layer but the input). */
  layers?: readonly string[];
}

/** A sweep's batch and what the network made of it; `dispose()` frees its tensors. */
export interface InvarianceSweep {
  kind: TransformKind;
  /** The transformation's parameter at images 1…n (image 0 is the untransformed input). */
  values: number[];
  /** The batch fed to the network, [n + 1, h, w, c]. */
  inputs: Tensor;
  /** Every layer's output for the batch. */
  activations: Activations;
  /** The network's output for the batch, read back ([n + 1, …] row-major), and its shape. */
  output: Float32Array;
  outputShape: number[];
  /** Per layer asked for (and the output layer), the similarity of each image to image 0. */
  layers: LayerSimilarity[];
  dispose(): void;
}

/**
 * Runs `model` on x ([1, h, w, c]) and on x transformed by `kind` at each of `values`, as one batch
 * of values.length + 1 images, and compares every layer's maps to the untransformed input's.
 * @example
 * const s = await invarianceSweep(engine, model, x, 'rotation', sweepValues([-180, 180], 13));
 * s.output;                // [14, 10] class probabilities of the MNIST model: row 0 untransformed
 * s.layers[0].similarity;  // conv1's cosine similarity to the untransformed maps, per image
 * s.dispose();
 */
export async function invarianceSweep(engine: Engine, model: Model, x: Tensor, kind: TransformKind, values: readonly number[], opts: InvarianceOptions = {}): Promise<InvarianceSweep> {
  const op = 'invarianceSweep';
  const want = model.inputShape;
  if (x.rank !== 4 || x.shape[0] !== 1 || want.some((d, i) => x.shape[i + 1] !== d)) {
    throw new CnnError(op, `x must be one input of model '${model.name}', [1, ${want.join(', ')}], got ${shapeStr(x.shape)}`);
  }
  const names = opts.layers ?? model.layers.filter((l) => l.name !== model.inputName).map((l) => l.name);
  for (const n of names) model.layer(n);
  const transformed = await transformImages(engine, x, kind, values, opts);
  let inputs: Tensor | null = null;
  let acts: Activations | null = null;
  try {
    inputs = engine.concat([x, transformed], 0);
    acts = model.run(inputs);
    const wanted = [...new Set([...names, model.outputName])];
    const layers = await similarityToReference(
      engine,
      wanted.map((n) => ({ name: n, className: model.layer(n).className, tensor: acts!.outputs.get(n)! })),
      0,
    );
    const output = await acts.output.read();
    const [batchInputs, batchActs] = [inputs, acts];
    return {
      kind,
      values: [...values],
      inputs: batchInputs,
      activations: batchActs,
      output,
      outputShape: [...acts.output.shape],
      layers,
      dispose: () => {
        batchActs.dispose();
        batchInputs.dispose();
      },
    };
  } catch (err) {
    acts?.dispose();
    inputs?.dispose();
    throw err;
  } finally {
    transformed.dispose();
  }
}

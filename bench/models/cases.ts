/**
 * The rows of the whole-model benchmark: the landmark ONNX CNNs (tools/onnx/landmarks.py makes
 * them from the onnx wheel's light models with seeded weights), the demo's face and MNIST networks
 * (TF.js layers model.json), the viewer's own path for the face network and ResNet-50, and
 * `Model.fit` on the LeNet and deeper presets.
 */
import type { ModelCase, ModelRowKind } from './types.js';

/** Where the landmark files are looked for by default (relative to the served repository root). */
export const DEFAULT_ONNX_DIR = 'test-artifacts/onnx-landmarks/';

interface Landmark { key: string; name: string; heavy: boolean }

/** The issue's landmark networks, smallest first. */
export const LANDMARKS: readonly Landmark[] = [
  { key: 'squeezenet', name: 'SqueezeNet 1.0', heavy: false },
  { key: 'shufflenet', name: 'ShuffleNet', heavy: false },
  { key: 'alexnet', name: 'AlexNet', heavy: true },
  { key: 'inception_v1', name: 'Inception v1', heavy: true },
  { key: 'resnet50', name: 'ResNet-50', heavy: true },
  { key: 'densenet121', name: 'DenseNet-121', heavy: true },
  { key: 'vgg19', name: 'VGG-19', heavy: true },
];

const TFJS_MODELS = [
  { key: 'mnist', url: 'demo/models/mnist/model.json', hw: [28, 28, 1] as const, range: [0, 1] as [number, number], about: 'the demo MNIST net (model.json)', heavy: false },
  { key: 'face', url: 'demo/models/face-recognition/model.json', hw: [150, 150, 3] as const, range: [0, 255] as [number, number], about: "face-api's face-recognition ResNet (model.json)", heavy: false },
];

export const TRAIN_PRESETS = ['lenet', 'deeper'] as const;
export const TRAIN_BATCH = 32;
export const TRAIN_STEPS = 2;
export const TRAIN_LR = 0.05;

/** The ONNX file of a landmark at a batch size (batch 1: the file as generated; else NAME.bN.onnx). */
export function onnxFile(dir: string, key: string, batch: number): string {
  return `${dir}${key}${batch === 1 ? '' : `.b${batch}`}.onnx`;
}

function id(model: string, batch: number, kind: ModelRowKind): string {
  return `${model}.b${batch}/${kind}`;
}

/** Every row for these batch sizes, in table order. */
export function allModelCases(onnxDir = DEFAULT_ONNX_DIR, batches: readonly number[] = [1, 8]): ModelCase[] {
  const rows: ModelCase[] = [];
  for (const m of TFJS_MODELS) {
    for (const b of batches) {
      rows.push({
        id: id(m.key, b, 'forward'), model: m.key, kind: 'forward', format: 'tfjs', url: m.url, x: [b, ...m.hw], range: m.range,
        images: b, about: `${m.about}, batch ${b}`, heavy: m.heavy || (m.key === 'face' && b > 1),
      });
    }
  }
  for (const l of LANDMARKS) {
    for (const b of batches) {
      rows.push({
        id: id(l.key, b, 'forward'), model: l.key, kind: 'forward', format: 'onnx', url: onnxFile(onnxDir, l.key, b), x: [b, 224, 224, 3],
        range: [-1, 1], output: 'logits', images: b, about: `${l.name} (.onnx, opset 9), batch ${b}`, heavy: l.heavy,
      });
    }
  }
  rows.push({
    id: id('face', 1, 'viewer'), model: 'face', kind: 'viewer', format: 'tfjs', url: TFJS_MODELS[1]!.url, x: [1, 150, 150, 3], range: [0, 255],
    images: 1, about: 'cnn-layer-viewer: setInput → every layer drawn', heavy: false,
  });
  rows.push({
    id: id('resnet50', 1, 'viewer'), model: 'resnet50', kind: 'viewer', format: 'onnx', url: onnxFile(onnxDir, 'resnet50', 1), x: [1, 224, 224, 3], range: [-1, 1],
    images: 1, about: 'cnn-layer-viewer: setInput → every layer drawn', heavy: true,
  });
  for (const p of TRAIN_PRESETS) {
    rows.push({
      id: id(p, TRAIN_BATCH, 'train'), model: p, kind: 'train', format: 'preset', url: p, x: [TRAIN_BATCH, 28, 28, 1], range: [0, 1],
      steps: TRAIN_STEPS, learningRate: TRAIN_LR, images: TRAIN_BATCH * TRAIN_STEPS,
      about: `Model.fit, preset ${p}, batch ${TRAIN_BATCH}, SGD lr ${TRAIN_LR}, ${TRAIN_STEPS} steps per call`, heavy: false,
    });
  }
  return rows;
}

export interface ModelSelection {
  /** Networks, comma-separated (`squeezenet,resnet50,face`); empty: all. */
  models?: string;
  /** Row kinds, comma-separated (`forward,viewer,train`); empty: all. */
  kinds?: string;
  /**
   * Batch sizes, comma-separated. Empty: batch 1 everywhere and batch 8 for the networks that are
   * not heavy (on a software adapter ResNet-50 at batch 8 takes minutes a call).
   */
  batches?: string;
}

const list = (s?: string) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** The rows a selection takes. */
export function selectModelCases(cases: readonly ModelCase[], s: ModelSelection): ModelCase[] {
  const models = list(s.models).map((m) => m.toLowerCase());
  const kinds = list(s.kinds);
  const batches = list(s.batches).map(Number);
  return cases.filter((c) => {
    if (models.length && !models.includes(c.model.toLowerCase())) return false;
    if (kinds.length && !kinds.includes(c.kind)) return false;
    if (c.kind !== 'forward') return true;
    return batches.length ? batches.includes(c.x[0]) : c.x[0] === 1 || !c.heavy;
  });
}

/** Every network name a selection can name. */
export function modelNames(): string[] {
  return [...new Set(allModelCases().map((c) => c.model))];
}

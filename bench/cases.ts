/**
 * The layer shapes of the suite, from real networks, and the rows made from them: every conv layer
 * gets a forward, an input-gradient and a filter-gradient row; every pooling layer a max and an
 * average row, forward and backward; every dense layer a matMul row; LeNet-5 a training-step row.
 * The small networks (LeNet, Tiny VGG, the face network), where a dispatch costs as much as the
 * work, also get whole-layer rows (conv or matMul, + bias, relu: what a layer runs in inference),
 * and the demo's models a whole forward pass.
 */
import { windowGeometry } from '../src/ops/conv_geometry.js';
import type { BenchCase, ConvSpec, ExplainSpec, MatMulSpec, ModelSpec, OpFamily, Pad, PoolSpec, TrainSpec } from './types.js';

type Shape4 = [number, number, number, number];

interface ConvLayer { name: string; x: Shape4; w: Shape4; stride?: number; pad: Pad; depthwise?: boolean }
interface PoolLayer { name: string; x: Shape4; size: number; stride: number }
interface DenseLayer { name: string; m: number; k: number; n: number }
interface ModelRow { name: string; spec: ModelSpec; about: string }

interface Network {
  name: string;
  /** Where the shapes come from, for the notes. */
  source: string;
  convs: ConvLayer[];
  pools: PoolLayer[];
  dense: DenseLayer[];
  train?: TrainSpec;
  /** Also a `convLayer` row per conv and a `denseLayer` row per dense layer. */
  layerRows?: boolean;
  /** Whole-model forward rows. */
  models?: ModelRow[];
  /** Explanation rows (src/explain). */
  explain?: ExplainRow[];
}

interface ExplainRow { name: string; spec: ExplainSpec; about: string }

const MNIST_MODEL = 'demo/models/mnist/model.json';
const FACE_MODEL = 'demo/models/face-recognition/model.json';
const mnistModel = (batch: number): ModelRow => ({
  name: `model-b${batch}`, about: `demo/models/mnist, batch ${batch}`,
  spec: { kind: 'model', url: MNIST_MODEL, x: [batch, 28, 28, 1], range: [0, 1] },
});

/** LeNet-5 on MNIST in its modern form (ReLU, max pooling), batch 32. */
export const LENET_BATCH = 32;

function alexnet(n: number): Network {
  return {
    name: `alexnet-b${n}`,
    source: 'AlexNet (Krizhevsky et al. 2012), 227×227×3, ungrouped',
    convs: [
      { name: 'conv1', x: [n, 227, 227, 3], w: [11, 11, 3, 96], stride: 4, pad: 'valid' },
      { name: 'conv2', x: [n, 27, 27, 96], w: [5, 5, 96, 256], pad: 'same' },
      { name: 'conv3', x: [n, 13, 13, 256], w: [3, 3, 256, 384], pad: 'same' },
      { name: 'conv4', x: [n, 13, 13, 384], w: [3, 3, 384, 384], pad: 'same' },
      { name: 'conv5', x: [n, 13, 13, 384], w: [3, 3, 384, 256], pad: 'same' },
    ],
    pools: [
      { name: 'pool1', x: [n, 55, 55, 96], size: 3, stride: 2 },
      { name: 'pool2', x: [n, 27, 27, 256], size: 3, stride: 2 },
      { name: 'pool5', x: [n, 13, 13, 256], size: 3, stride: 2 },
    ],
    dense: [
      { name: 'fc6', m: n, k: 9216, n: 4096 },
      { name: 'fc7', m: n, k: 4096, n: 4096 },
      { name: 'fc8', m: n, k: 4096, n: 1000 },
    ],
  };
}

export const NETWORKS: readonly Network[] = [
  {
    name: 'lenet',
    source: 'LeNet-5 on MNIST 28×28×1 (ReLU, max pooling), batch 32',
    convs: [
      { name: 'conv1', x: [32, 28, 28, 1], w: [5, 5, 1, 6], pad: 'same' },
      { name: 'conv2', x: [32, 14, 14, 6], w: [5, 5, 6, 16], pad: 'valid' },
    ],
    pools: [
      { name: 'pool1', x: [32, 28, 28, 6], size: 2, stride: 2 },
      { name: 'pool2', x: [32, 10, 10, 16], size: 2, stride: 2 },
    ],
    dense: [
      { name: 'fc1', m: 32, k: 400, n: 120 },
      { name: 'fc2', m: 32, k: 120, n: 84 },
      { name: 'fc3', m: 32, k: 84, n: 10 },
    ],
    train: { kind: 'train', batch: LENET_BATCH, learningRate: 0.05 },
    layerRows: true,
  },
  {
    name: 'tinyvgg',
    source: 'the Tiny VGG of CNN Explainer: 64×64×3, 10 filters per 3×3 valid conv, batch 1',
    convs: [
      { name: 'conv1_1', x: [1, 64, 64, 3], w: [3, 3, 3, 10], pad: 'valid' },
      { name: 'conv1_2', x: [1, 62, 62, 10], w: [3, 3, 10, 10], pad: 'valid' },
      { name: 'conv2_1', x: [1, 30, 30, 10], w: [3, 3, 10, 10], pad: 'valid' },
      { name: 'conv2_2', x: [1, 28, 28, 10], w: [3, 3, 10, 10], pad: 'valid' },
    ],
    pools: [
      { name: 'pool1', x: [1, 60, 60, 10], size: 2, stride: 2 },
      { name: 'pool2', x: [1, 26, 26, 10], size: 2, stride: 2 },
    ],
    dense: [{ name: 'fc', m: 1, k: 1690, n: 10 }],
    layerRows: true,
  },
  alexnet(1),
  alexnet(8),
  {
    name: 'vgg-block',
    source: 'a VGG block: 32×32×64 → 64, 3×3 same, batch 8',
    convs: [{ name: 'conv', x: [8, 32, 32, 64], w: [3, 3, 64, 64], pad: 'same' }],
    pools: [{ name: 'pool', x: [8, 32, 32, 64], size: 2, stride: 2 }],
    dense: [],
  },
  {
    name: 'resnet-block',
    source: 'a ResNet basic block conv: 56×56×64 → 64, 3×3 same, batch 1',
    convs: [{ name: 'conv', x: [1, 56, 56, 64], w: [3, 3, 64, 64], pad: 'same' }],
    pools: [],
    dense: [],
  },
  {
    name: 'mobilenet',
    source: 'a MobileNet v1 depthwise + pointwise pair at 56×56×128, batch 1',
    convs: [
      { name: 'dw', x: [1, 56, 56, 128], w: [3, 3, 128, 1], pad: 'same', depthwise: true },
      { name: 'pw', x: [1, 56, 56, 128], w: [1, 1, 128, 128], pad: 'same' },
    ],
    pools: [],
    dense: [],
  },
  {
    name: 'face',
    source: "face-api's ResNet-34-style face recognition net (150×150×3 input; its real 72/35/17/8/3 sizes), batch 1",
    convs: [
      { name: 'conv32_down', x: [1, 150, 150, 3], w: [7, 7, 3, 32], stride: 2, pad: 'valid' },
      { name: 'conv32', x: [1, 35, 35, 32], w: [3, 3, 32, 32], pad: 'same' },
      { name: 'conv64_down', x: [1, 35, 35, 32], w: [3, 3, 32, 64], stride: 2, pad: 'valid' },
      { name: 'conv64', x: [1, 17, 17, 64], w: [3, 3, 64, 64], pad: 'same' },
      { name: 'conv128_down', x: [1, 17, 17, 64], w: [3, 3, 64, 128], stride: 2, pad: 'valid' },
      { name: 'conv128', x: [1, 8, 8, 128], w: [3, 3, 128, 128], pad: 'same' },
      { name: 'conv256_down', x: [1, 8, 8, 128], w: [3, 3, 128, 256], stride: 2, pad: 'valid' },
      { name: 'conv256', x: [1, 3, 3, 256], w: [3, 3, 256, 256], pad: 'same' },
    ],
    pools: [
      { name: 'maxpool', x: [1, 72, 72, 32], size: 3, stride: 2 },
      { name: 'avgpool', x: [1, 35, 35, 32], size: 2, stride: 2 },
    ],
    dense: [{ name: 'fc', m: 1, k: 256, n: 128 }],
    layerRows: true,
    models: [{
      name: 'model', about: 'demo/models/face-recognition (29 convs, batch norm, residual adds), batch 1',
      spec: { kind: 'model', url: FACE_MODEL, x: [1, 150, 150, 3], range: [0, 255] },
    }],
    explain: [{
      name: 'featurevis-step', about: 'one feature-visualisation step: the mean of channel 9 of res2c_relu (the layers up to it), Adam on the Fourier coefficients',
      spec: { kind: 'explain', method: 'featureVisStep', url: FACE_MODEL, x: [1, 150, 150, 3], range: [0, 255], target: { layer: 'res2c_relu', channel: 9 } },
    }],
  },
  {
    name: 'mnist',
    source: "the demo's MNIST model (demo/models/mnist: conv 5×5×16, pool, conv 5×5×32, pool, dense 128, dense 10 + softmax)",
    convs: [],
    pools: [],
    dense: [],
    models: [mnistModel(1), mnistModel(32)],
    explain: [
      ...[1, 8].map((n): ExplainRow => ({
        name: `saliency-b${n}`, about: `saliency of the class-3 logit, batch ${n}`,
        spec: { kind: 'explain', method: 'saliency', url: MNIST_MODEL, x: [n, 28, 28, 1], range: [0, 1], target: { class: 3 } },
      })),
      {
        name: 'ig64-b1', about: 'Integrated Gradients of the class-3 logit, 64 steps (65 points) from a noise baseline, batch 1',
        spec: { kind: 'explain', method: 'integratedGradients', url: MNIST_MODEL, x: [1, 28, 28, 1], range: [0, 1], target: { class: 3 }, steps: 64 },
      },
    ],
  },
];

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const dimStr = (s: readonly number[]) => s.join('×');

/** Output shape of a conv or pool spec. */
export function windowOutShape(spec: ConvSpec | PoolSpec): Shape4 {
  const [kh, kw] = spec.kind === 'conv' ? spec.w : spec.filterSize;
  const g = windowGeometry('bench', spec.x, kh, kw, { strides: spec.strides, pad: spec.pad });
  const c = spec.kind === 'conv' ? (spec.depthwise ? spec.x[3] * spec.w[3] : spec.w[3]) : spec.x[3];
  return [g.batch, g.outH, g.outW, c];
}


/** The explicit [top, bottom, left, right] padding of a window spec (TF.js's 'same' semantics). */
export function explicitPads(spec: ConvSpec | PoolSpec): [number, number, number, number] {
  const [kh, kw] = spec.kind === 'conv' ? spec.w : spec.filterSize;
  const g = windowGeometry('bench', spec.x, kh, kw, { strides: spec.strides, pad: spec.pad });
  return [g.padTop, g.padBottom, g.padLeft, g.padRight];
}

function convCases(net: Network, l: ConvLayer): BenchCase[] {
  const spec: ConvSpec = { kind: 'conv', x: l.x, w: l.w, strides: [l.stride ?? 1, l.stride ?? 1], pad: l.pad, depthwise: !!l.depthwise };
  const y = windowOutShape(spec);
  const flops = 2 * prod(y) * l.w[0] * l.w[1] * (l.depthwise ? 1 : l.w[2]);
  const shape = `${net.name}.${l.name}`;
  const dims = `${dimStr(l.x)} ∗ ${dimStr(l.w)}${spec.strides[0] > 1 ? ` /${spec.strides[0]}` : ''} ${l.pad}`;
  const fams: OpFamily[] = l.depthwise
    ? ['depthwiseConv2d', 'depthwiseConv2dGradInput', 'depthwiseConv2dGradFilter']
    : ['conv2d', 'conv2dGradInput', 'conv2dGradFilter'];
  const sizes = [prod(l.x) + prod(l.w) + prod(y), prod(y) + prod(l.w) + prod(l.x), prod(l.x) + prod(y) + prod(l.w)];
  // Depthwise convs do so little arithmetic per byte that bandwidth is their measure.
  const rows: BenchCase[] = fams.map((family, i) => ({
    id: `${shape}/${family}`, shape, network: net.name, family, spec, flops, bytes: 4 * sizes[i]!,
    unit: l.depthwise ? 'GB/s' : 'GFLOP/s', dims,
  }));
  if (net.layerRows && !l.depthwise) {
    rows.push({
      id: `${shape}/convLayer`, shape, network: net.name, family: 'convLayer', spec, flops,
      bytes: 4 * (sizes[0]! + l.w[3]), unit: 'GFLOP/s', dims: `${dims}, + bias, relu`,
    });
  }
  return rows;
}

function poolCases(net: Network, l: PoolLayer): BenchCase[] {
  const spec: PoolSpec = { kind: 'pool', x: l.x, filterSize: [l.size, l.size], strides: [l.stride, l.stride], pad: 'valid' };
  const y = windowOutShape(spec);
  const shape = `${net.name}.${l.name}`;
  const dims = `${dimStr(l.x)} ${l.size}×${l.size} /${l.stride}`;
  const bytes: Record<string, number> = {
    maxPool: prod(l.x) + prod(y),
    maxPoolGrad: prod(y) + prod(l.x) + prod(l.x),
    avgPool: prod(l.x) + prod(y),
    avgPoolGrad: prod(y) + prod(l.x),
  };
  return (['maxPool', 'maxPoolGrad', 'avgPool', 'avgPoolGrad'] as const).map((family) => ({
    id: `${shape}/${family}`, shape, network: net.name, family, spec, flops: 0, bytes: 4 * bytes[family]!, unit: 'GB/s' as const, dims,
  }));
}

function denseCases(net: Network, l: DenseLayer): BenchCase[] {
  const spec: MatMulSpec = { kind: 'matmul', m: l.m, k: l.k, n: l.n };
  const shape = `${net.name}.${l.name}`;
  const row: BenchCase = {
    id: `${shape}/matMul`, shape, network: net.name, family: 'matMul', spec,
    flops: 2 * l.m * l.k * l.n, bytes: 4 * (l.m * l.k + l.k * l.n + l.m * l.n), unit: 'GFLOP/s',
    dims: `${l.m}×${l.k} · ${l.k}×${l.n}`,
  };
  if (!net.layerRows) return [row];
  return [row, { ...row, id: `${shape}/denseLayer`, family: 'denseLayer', bytes: row.bytes + 4 * l.n, dims: `${row.dims}, + bias, relu` }];
}

function modelCase(net: Network, m: ModelRow): BenchCase {
  const shape = `${net.name}.${m.name}`;
  return {
    id: `${shape}/modelForward`, shape, network: net.name, family: 'modelForward', spec: m.spec, flops: 0,
    bytes: 4 * prod(m.spec.x), unit: 'images/s', dims: `${m.about}, x ${dimStr(m.spec.x)}`,
  };
}

function explainCase(net: Network, r: ExplainRow): BenchCase {
  const shape = `${net.name}.${r.name}`;
  return {
    id: `${shape}/explain`, shape, network: net.name, family: 'explain', spec: r.spec, flops: 0,
    bytes: 4 * prod(r.spec.x), unit: 'images/s', dims: `${r.about}, x ${dimStr(r.spec.x)}`,
  };
}

/** Every row of the full suite, in table order. */
export function allCases(): BenchCase[] {
  const rows: BenchCase[] = [];
  for (const net of NETWORKS) {
    for (const l of net.convs) rows.push(...convCases(net, l));
    for (const l of net.pools) rows.push(...poolCases(net, l));
    for (const l of net.dense) rows.push(...denseCases(net, l));
    if (net.train) {
      const shape = `${net.name}.train`;
      rows.push({
        id: `${shape}/trainStep`, shape, network: net.name, family: 'trainStep', spec: net.train, flops: 0, bytes: 0,
        unit: 'images/s', dims: `batch ${net.train.batch}, SGD`,
      });
    }
    for (const m of net.models ?? []) rows.push(modelCase(net, m));
    for (const r of net.explain ?? []) rows.push(explainCase(net, r));
  }
  return rows;
}

function glob(p: string): string {
  return p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
}

/** A layer pattern matches the whole name, a network (`alexnet` takes `alexnet-b1.*` and `alexnet-b8.*`) or a layer in any network (`conv1`); `*` is a wildcard. */
export function shapeMatches(shape: string, pattern: string): boolean {
  const g = glob(pattern);
  return new RegExp(`^${g}$|^${g}[.-]|\\.${g}$`).test(shape);
}

/** An op pattern is a family name (`conv2d` is the forward only); `conv2d*` takes the gradients too. */
export function opMatches(family: string, pattern: string): boolean {
  return new RegExp(`^${glob(pattern)}$`, 'i').test(family);
}

/** Narrows the cases by comma-separated lists of op and layer patterns; a case must match one of each given list. */
export function selectCases(cases: readonly BenchCase[], filter: { ops?: string; shapes?: string }): BenchCase[] {
  const list = (s?: string) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const ops = list(filter.ops);
  const shapes = list(filter.shapes);
  return cases.filter((c) => (ops.length === 0 || ops.some((p) => opMatches(c.family, p))) && (shapes.length === 0 || shapes.some((p) => shapeMatches(c.shape, p))));
}

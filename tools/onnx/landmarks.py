"""Landmark CNNs with seeded random weights, and ONNX Runtime's logits for them.

The `onnx` wheel ships light versions of nine landmark networks (onnx/backend/test/data/light/):
AlexNet (bvlc_alexnet), ZFNet-512, VGG-19, ResNet-50, SqueezeNet, Inception v1 and v2,
DenseNet-121 and ShuffleNet, each weight replaced by a ConstantOfShape node. This script puts
seeded random weights in their place (He-scaled, so activations keep their size through the depth;
batch-norm statistics near identity), adds the input of the final softmax as a `logits` output,
runs ONNX Runtime on a seeded input, and writes, per network, into OUT (default
test-artifacts/onnx-landmarks/, which git ignores: VGG-19 alone is 550 MB):

  NAME.onnx            the model (opset 9, as shipped)
  NAME.input.bin       the NCHW float32 input [1, 3, 224, 224]
  NAME.logits.bin      ONNX Runtime's float32 logits
  NAME.json            {input, inputShape, logits, logitsShape, output}

With --batch N the same network at batch N is written as NAME.bN.* (`npm run bench -- --models`
times batch 8 where NAME.b8.onnx exists).

`npm run check:onnx` (tools/onnx/check-landmarks.mjs) runs this when a file is missing, then loads
each network in headless Chromium and compares our logits with ONNX Runtime's.

  /tmp/onnxenv/bin/python tools/onnx/landmarks.py [--out DIR] [--only alexnet,resnet50]
"""
import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

LIGHT = os.path.join(os.path.dirname(onnx.__file__), 'backend', 'test', 'data', 'light')
NAMES = {
    'alexnet': 'light_bvlc_alexnet', 'zfnet512': 'light_zfnet512', 'vgg19': 'light_vgg19', 'resnet50': 'light_resnet50',
    'squeezenet': 'light_squeezenet', 'inception_v1': 'light_inception_v1', 'inception_v2': 'light_inception_v2',
    'densenet121': 'light_densenet121', 'shufflenet': 'light_shufflenet',
}
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', '..', 'test-artifacts', 'onnx-landmarks')


def consumers(graph):
    out = {}
    for n in graph.node:
        for i, name in enumerate(n.input):
            out.setdefault(name, []).append((n, i))
    return out


def role(name, graph, uses):
    """What a weight is for: its first consumer and input index, through Unsqueeze nodes."""
    seen = name
    for _ in range(4):
        users = uses.get(seen, [])
        if not users:
            return None, None
        node, i = users[0]
        if node.op_type in ('Unsqueeze', 'Reshape', 'Identity') and i == 0:
            seen = node.output[0]
            continue
        return node.op_type, i
    return None, None


def values(rng, shape, op, index):
    shape = tuple(int(d) for d in shape)
    if op == 'BatchNormalization':
        if index == 1:
            return rng.uniform(0.5, 1.5, shape)
        if index == 2:
            return rng.normal(0, 0.1, shape)
        if index == 3:
            return rng.normal(0, 0.1, shape)
        return rng.uniform(0.5, 1.5, shape)
    if op == 'Mul':
        return rng.uniform(0.5, 1.5, shape)
    if len(shape) >= 2:
        # He scaling over the fan-in (Gemm weights here are [out, in] with transB = 1).
        fan_in = int(np.prod(shape[1:]))
        return rng.normal(0, np.sqrt(2.0 / fan_in), shape)
    return rng.normal(0, 0.05, shape)


def randomize(model, seed):
    g = model.graph
    rng = np.random.default_rng(seed)
    inits = {t.name: t for t in g.initializer}
    uses = consumers(g)
    keep, added, dropped = [], [], set()
    for n in g.node:
        if n.op_type == 'ConstantOfShape' and n.input[0] in inits:
            shape = numpy_helper.to_array(inits[n.input[0]])
            op, index = role(n.output[0], g, uses)
            arr = values(rng, shape, op, index).astype(np.float32)
            added.append(numpy_helper.from_array(arr, n.output[0]))
            dropped.add(n.input[0])
        else:
            keep.append(n)
    del g.node[:]
    g.node.extend(keep)
    still_used = {i for n in keep for i in n.input}
    remaining = [t for t in g.initializer if t.name not in dropped or t.name in still_used]
    del g.initializer[:]
    g.initializer.extend(remaining + added)
    # IR 3 lists initializers among the inputs; keep it consistent.
    names = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in dropped or i.name in names]
    have = {i.name for i in inputs}
    for t in added:
        if t.name not in have:
            inputs.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
    del g.input[:]
    g.input.extend(inputs)
    return model


def logits_name(model):
    """The tensor the final Softmax normalises (the graph output itself when there is no Softmax)."""
    out = model.graph.output[0].name
    for n in model.graph.node:
        if n.output[0] == out and n.op_type == 'Softmax':
            return n.input[0]
    return out


def batched(model, batch):
    """The model at another batch size: the input's first dim, and every Reshape to a shape that starts with 1."""
    g = model.graph
    init_names = {t.name for t in g.initializer}
    inp = next(i for i in g.input if i.name not in init_names)
    inp.type.tensor_type.shape.dim[0].dim_value = batch
    inits = {t.name: t for t in g.initializer}
    for n in g.node:
        if n.op_type == 'Reshape' and len(n.input) > 1 and n.input[1] in inits:
            shape = numpy_helper.to_array(inits[n.input[1]]).copy()
            if len(shape) >= 2 and shape[0] == 1:
                shape[0] = batch
                inits[n.input[1]].CopyFrom(numpy_helper.from_array(shape, n.input[1]))
    for o in g.output:
        dims = o.type.tensor_type.shape.dim
        if len(dims) and dims[0].dim_value == 1:
            dims[0].dim_value = batch
    return model


def build(key, out_dir, seed, batch=1):
    import onnxruntime as ort
    src = os.path.join(LIGHT, NAMES[key] + '.onnx')
    model = randomize(onnx.load(src), seed)
    if batch != 1:
        model = batched(model, batch)
        key = f'{key}.b{batch}'
    logits = logits_name(model)
    if logits != model.graph.output[0].name:
        model.graph.output.append(helper.make_empty_tensor_value_info(logits))
    path = os.path.join(out_dir, key + '.onnx')
    onnx.save_model(model, path)
    init_names = {t.name for t in model.graph.initializer}
    inp = next(i for i in model.graph.input if i.name not in init_names)
    shape = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    x = np.random.default_rng(seed + 1).uniform(-1, 1, shape).astype(np.float32)
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    (y,) = sess.run([logits], {inp.name: x})
    x.tofile(os.path.join(out_dir, key + '.input.bin'))
    y.astype(np.float32).tofile(os.path.join(out_dir, key + '.logits.bin'))
    meta = {'input': inp.name, 'inputShape': shape, 'logits': logits, 'logitsShape': list(y.shape), 'output': model.graph.output[0].name,
            'bytes': os.path.getsize(path)}
    with open(os.path.join(out_dir, key + '.json'), 'w') as f:
        json.dump(meta, f)
    print(f'{key}: {meta["bytes"] / 1e6:.1f} MB, logits {logits} {list(y.shape)}, |logits| max {np.abs(y).max():.3g}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=DEFAULT_OUT)
    ap.add_argument('--only', default=','.join(NAMES), help='comma-separated: ' + ', '.join(NAMES))
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--batch', type=int, default=1, help='write NAME.bN.onnx (and its input and logits) at batch N, for the model benchmark')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for key in args.only.split(','):
        if key not in NAMES:
            sys.exit(f'unknown network {key!r}; known: {", ".join(NAMES)}')
        build(key, args.out, args.seed, args.batch)


if __name__ == '__main__':
    main()

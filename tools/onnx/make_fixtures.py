"""Builds the small ONNX fixtures the importer's tests run (test/fixtures/onnx/).

Each model is written twice over in one file: its own output first, then every intermediate
tensor as an extra graph output, so that ONNX Runtime Web (the oracle in the browser tests)
returns each node's result and the test compares it with the layer of the same name. Weights are
seeded; nothing here is random between runs.

  python3 -m venv /tmp/onnxenv && /tmp/onnxenv/bin/pip install onnx onnxruntime numpy torch
  /tmp/onnxenv/bin/python tools/onnx/make_fixtures.py            # writes test/fixtures/onnx/
  /tmp/onnxenv/bin/python tools/onnx/make_fixtures.py --check    # also runs each in onnxruntime

The models: PyTorch exports (a tiny CNN with conv/bn/relu/pool/flatten/gemm/softmax, a residual
block, concatenated branches, depthwise and grouped convolutions, a free-size fully convolutional
net) and hand-built graphs for what exporters write rarely but the importer must read (asymmetric
and automatic padding, ceil_mode, count_include_pad, the opset 11 softmax rule, shape arithmetic,
channel shuffle, float16 weights in typed fields and raw data, external data).
"""
import argparse
import io
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'onnx')


def with_all_outputs(model):
    """The model with every node output (that shape inference can type) appended to the graph outputs."""
    inferred = onnx.shape_inference.infer_shapes(model)
    known = {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    typed(model, known)
    have = {o.name for o in model.graph.output}
    for node in model.graph.node:
        for name in node.output:
            if name and name not in have and name in known and known[name].type.tensor_type.HasField('shape'):
                model.graph.output.append(known[name])
                have.add(name)
    return model


def typed(model, known):
    """Declared outputs without a shape take the one shape inference found."""
    for i, o in enumerate(model.graph.output):
        if not o.type.tensor_type.HasField('shape') and o.name in known:
            model.graph.output[i].CopyFrom(known[o.name])


def save(model, name, all_outputs=True, **kw):
    if all_outputs:
        model = with_all_outputs(model)
    else:
        inferred = onnx.shape_inference.infer_shapes(model)
        typed(model, {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.output)})
    onnx.checker.check_model(model)
    path = os.path.join(OUT, name + '.onnx')
    onnx.save_model(model, path, **kw)
    print(f'{name}.onnx: {os.path.getsize(path)} bytes')
    return path


def rng(seed):
    return np.random.default_rng(seed)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def graph_model(nodes, inputs, outputs, inits, opset=13, name='g'):
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)], producer_name='cnn-webgpu fixtures')
    m.ir_version = 8
    return m


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


# ---------------------------------------------------------------- PyTorch exports


def torch_models():
    import torch
    import torch.nn as nn

    torch.manual_seed(0)

    def export(module, shape, name, opset=13, dynamic=None):
        module.eval()
        # Non-trivial batch-norm statistics, so that inference differs from training.
        g = torch.Generator().manual_seed(1)
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)
        x = torch.randn(*shape)
        b = io.BytesIO()
        torch.onnx.export(module, (x,), b, dynamo=False, opset_version=opset, input_names=['input'], output_names=['output'],
                          dynamic_axes=dynamic, do_constant_folding=True)
        save(onnx.load_from_string(b.getvalue()), name)

    class TinyCnn(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(8)
            self.pool = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(8, 12, 3, stride=2, padding=1)
            self.fc = nn.Linear(12 * 4 * 4, 10)

        def forward(self, x):
            x = self.pool(torch.relu(self.bn1(self.conv1(x))))
            x = torch.relu(self.conv2(x))
            x = x.view(x.size(0), -1)
            return torch.softmax(self.fc(x), dim=1)

    export(TinyCnn(), (1, 3, 16, 16), 'tiny_cnn')

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
            self.bn0 = nn.BatchNorm2d(8)
            self.c1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
            self.b1 = nn.BatchNorm2d(8)
            self.c2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
            self.b2 = nn.BatchNorm2d(8)
            self.fc = nn.Linear(8, 5)

        def forward(self, x):
            x = torch.relu(self.bn0(self.stem(x)))
            y = torch.relu(self.b1(self.c1(x)))
            y = self.b2(self.c2(y))
            x = torch.relu(x + y)
            x = nn.functional.adaptive_avg_pool2d(x, 1)
            return self.fc(torch.flatten(x, 1))

    export(Residual(), (2, 3, 12, 12), 'residual')

    class Branches(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(4, 3, 1)
            self.b = nn.Conv2d(4, 5, 3, padding=1)
            self.c = nn.Conv2d(4, 2, 5, padding=2)
            self.pool = nn.MaxPool2d(3, stride=1, padding=1)

        def forward(self, x):
            y = torch.cat([self.a(x), self.b(x), self.c(x), self.pool(x)], dim=1)
            return torch.softmax(y, dim=1)

    export(Branches(), (1, 4, 9, 7), 'branches')

    class Depthwise(nn.Module):
        def __init__(self):
            super().__init__()
            self.dw = nn.Conv2d(6, 6, 3, stride=2, padding=1, groups=6)
            self.dw2 = nn.Conv2d(6, 12, 3, padding=2, dilation=2, groups=6)
            self.pw = nn.Conv2d(12, 8, 1)

        def forward(self, x):
            x = nn.functional.relu6(self.dw(x))
            x = nn.functional.hardswish(self.dw2(x))
            return nn.functional.hardsigmoid(self.pw(x))

    export(Depthwise(), (1, 6, 11, 10), 'depthwise')

    class Grouped(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(8, 12, 3, padding=1, groups=2)
            self.conv2 = nn.Conv2d(12, 12, 1, groups=4)

        def forward(self, x):
            return self.conv2(torch.relu(self.conv(x)))

    export(Grouped(), (1, 8, 7, 7), 'grouped')

    class FreeSize(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 6, 3, stride=2, padding=1)
            self.head = nn.Conv2d(6, 4, 1)

        def forward(self, x):
            x = self.head(torch.relu(self.conv(x)))
            return torch.mean(x, dim=(2, 3))

    export(FreeSize(), (1, 3, 10, 10), 'free_size', dynamic={'input': {0: 'N', 2: 'H', 3: 'W'}, 'output': {0: 'N'}})

    class Activations(nn.Module):
        def __init__(self):
            super().__init__()
            self.prelu = nn.PReLU(4, init=0.2)
            self.conv = nn.Conv2d(4, 4, 1)

        def forward(self, x):
            a = nn.functional.leaky_relu(x, 0.1)
            b = nn.functional.elu(self.conv(a), 0.7)
            c = torch.sigmoid(b) * torch.tanh(a) - self.prelu(x)
            d = torch.clamp(c, -0.25, 0.4) / 2 + 1
            return nn.functional.log_softmax(nn.functional.softplus(d), dim=1)

    export(Activations(), (1, 4, 5, 6), 'activations')

    class Upsampling(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)

        def forward(self, x):
            x = self.conv(x)
            a = nn.functional.interpolate(x, scale_factor=2, mode='nearest')
            b = nn.functional.interpolate(x, size=(10, 7), mode='bilinear', align_corners=False)
            c = nn.functional.interpolate(x, size=(10, 7), mode='bilinear', align_corners=True)
            return a[:, :, :10, :8][:, :, :, :7] + b + c

    export(Upsampling(), (1, 3, 5, 4), 'upsampling')


# ---------------------------------------------------------------- hand-built graphs


def conv_variants():
    r = rng(2)
    nodes, inits = [], []
    w1 = r.standard_normal((5, 3, 3, 3)) * 0.3
    inits += [init('w1', w1), init('b1', r.standard_normal(5) * 0.1)]
    # Asymmetric explicit pads, stride 2, dilation 2.
    nodes.append(helper.make_node('Conv', ['x', 'w1', 'b1'], ['asym'], name='asym', pads=[0, 1, 2, 1], strides=[2, 2], dilations=[2, 1]))
    w2 = r.standard_normal((4, 5, 2, 3)) * 0.3
    inits.append(init('w2', w2))
    nodes.append(helper.make_node('Conv', ['asym', 'w2'], ['same_upper'], name='same_upper', auto_pad='SAME_UPPER', strides=[2, 1]))
    w3 = r.standard_normal((4, 4, 2, 2)) * 0.3
    inits.append(init('w3', w3))
    nodes.append(helper.make_node('Conv', ['same_upper', 'w3'], ['same_lower'], name='same_lower', auto_pad='SAME_LOWER'))
    nodes.append(helper.make_node('Conv', ['same_lower', 'w3'], ['valid'], name='valid', auto_pad='VALID', kernel_shape=[2, 2]))
    m = graph_model(nodes, [vi('x', [1, 3, 13, 11])], [vi('valid', None)], inits)
    save(m, 'conv_pads')


def pool_variants():
    nodes = [
        helper.make_node('MaxPool', ['x'], ['max_ceil'], name='max_ceil', kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        helper.make_node('MaxPool', ['x'], ['max_pads'], name='max_pads', kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1]),
        helper.make_node('AveragePool', ['x'], ['avg_incl'], name='avg_incl', kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1, ceil_mode=1),
        helper.make_node('AveragePool', ['x'], ['avg_excl'], name='avg_excl', kernel_shape=[2, 3], strides=[2, 2], pads=[1, 1, 0, 1], ceil_mode=1),
        helper.make_node('AveragePool', ['x'], ['avg_same'], name='avg_same', kernel_shape=[3, 3], strides=[2, 2], auto_pad='SAME_UPPER'),
        helper.make_node('MaxPool', ['x'], ['max_dil'], name='max_dil', kernel_shape=[2, 3], strides=[1, 2], dilations=[2, 2], pads=[1, 0, 0, 1], ceil_mode=1),
        helper.make_node('GlobalMaxPool', ['x'], ['gmax'], name='gmax'),
        helper.make_node('GlobalAveragePool', ['x'], ['gavg'], name='gavg'),
        helper.make_node('Add', ['gmax', 'gavg'], ['out'], name='out'),
    ]
    m = graph_model(nodes, [vi('x', [1, 3, 10, 9])], [vi('out', None)], [], opset=13)
    save(m, 'pools')


def shape_ops():
    """Shape arithmetic, channel shuffle, squeeze/unsqueeze, transpose, slice, split, pad, reduce, concat on 2-D."""
    r = rng(3)
    inits = [init('fc', r.standard_normal((48, 6)) * 0.2)]
    c = lambda name, vals: numpy_helper.from_array(np.asarray(vals, dtype=np.int64), name)
    inits += [c('zero', [0]), c('minus1', [-1]), c('shuffle_shape', [1, 2, 2, 3, 4]), c('back', [1, 4, 3, 4]),
              c('axes23', [2, 3]), c('slice_s', [1, 0]), c('slice_e', [3, 100]), c('slice_ax', [1, 3]),
              c('pads', [0, 1, 0, 0, 0, 1, 0, 2]), c('split', [1, 3])]
    nodes = [
        # Channel shuffle: [1, 4, 3, 4] → [1, 2, 2, 3, 4] → swap the groups → back.
        helper.make_node('Reshape', ['x', 'shuffle_shape'], ['grouped'], name='grouped'),
        helper.make_node('Transpose', ['grouped'], ['swapped'], name='swapped', perm=[0, 2, 1, 3, 4]),
        helper.make_node('Reshape', ['swapped', 'back'], ['shuffled'], name='shuffled'),
        helper.make_node('Transpose', ['shuffled'], ['hw_swapped'], name='hw_swapped', perm=[0, 1, 3, 2]),
        helper.make_node('Slice', ['hw_swapped', 'slice_s', 'slice_e', 'slice_ax'], ['sliced'], name='sliced'),
        helper.make_node('Pad', ['sliced', 'pads'], ['padded'], name='padded', mode='constant'),
        helper.make_node('Split', ['padded', 'split'], ['part_a', 'part_b'], name='split', axis=1),
        helper.make_node('Concat', ['part_b', 'part_a'], ['rejoined'], name='rejoined', axis=1),
        helper.make_node('ReduceMean', ['rejoined'], ['mean_w'], name='mean_w', axes=[3], keepdims=0),
        helper.make_node('ReduceSum', ['rejoined', 'axes23'], ['sum_hw'], name='sum_hw', keepdims=1),
        helper.make_node('Unsqueeze', ['mean_w', 'axes23'], ['unsq'], name='unsq'),
        # x.view(x.size(0), -1) as exporters write it.
        helper.make_node('Shape', ['shuffled'], ['shp'], name='shp'),
        helper.make_node('Gather', ['shp', 'zero'], ['batch'], name='batch', axis=0),
        helper.make_node('Concat', ['batch', 'minus1'], ['flat_shape'], name='flat_shape', axis=0),
        helper.make_node('Reshape', ['shuffled', 'flat_shape'], ['flat'], name='flat'),
        helper.make_node('Flatten', ['sum_hw'], ['sum_flat'], name='sum_flat'),
        helper.make_node('Squeeze', ['unsq', 'axes23'], ['sq'], name='sq'),
        helper.make_node('Flatten', ['sq'], ['sq_flat'], name='sq_flat'),
        helper.make_node('Concat', ['sum_flat', 'sq_flat'], ['feat'], name='feat', axis=1),
        helper.make_node('MatMul', ['flat', 'fc'], ['proj'], name='proj'),
        helper.make_node('Softmax', ['proj'], ['out'], name='out', axis=1),
    ]
    m = graph_model(nodes, [vi('x', [1, 4, 3, 4])], [vi('out', [1, 6]), vi('feat', [1, 20])], inits, opset=13)
    save(m, 'shape_ops')


def lrn():
    """LRN as AlexNet has it (size 5), and another size, bias and alpha, after a conv (ONNX Runtime takes odd sizes only)."""
    r = rng(7)
    inits = [init('w', r.standard_normal((6, 3, 3, 3)) * 0.5)]
    nodes = [
        helper.make_node('Conv', ['x', 'w'], ['conv'], name='conv', pads=[1, 1, 1, 1]),
        helper.make_node('LRN', ['conv'], ['lrn5'], name='lrn5', size=5, alpha=1e-4, beta=0.75, bias=1.0),
        helper.make_node('LRN', ['lrn5'], ['out'], name='out', size=3, alpha=0.5, beta=0.6, bias=2.0),
    ]
    m = graph_model(nodes, [vi('x', [1, 3, 5, 6])], [vi('out', None)], inits, opset=13)
    save(m, 'lrn')


def resize_variants():
    """Resize with sizes and nearest modes (opset 13), and Upsample (opset 9). Scales avoid exact ties in the source
    coordinates: ONNX Runtime computes them in float32, the engine (and the ONNX reference) in double."""
    c = lambda name, vals, t=np.float32: numpy_helper.from_array(np.asarray(vals, dtype=t), name)
    inits = [c('sizes', [1, 2, 7, 9], np.int64), c('down', [1, 1, 0.7, 0.75]), c('empty', [])]
    nodes = [
        helper.make_node('Resize', ['x', 'empty', 'empty', 'sizes'], ['near_ceil'], name='near_ceil', mode='nearest',
                         coordinate_transformation_mode='asymmetric', nearest_mode='round_prefer_ceil'),
        helper.make_node('Resize', ['x', 'empty', 'down'], ['lin_down'], name='lin_down', mode='linear',
                         coordinate_transformation_mode='pytorch_half_pixel'),
        helper.make_node('Resize', ['x', 'empty', 'down'], ['near_down'], name='near_down', mode='nearest',
                         coordinate_transformation_mode='half_pixel', nearest_mode='floor'),
        helper.make_node('Add', ['lin_down', 'near_down'], ['out'], name='out'),
    ]
    save(graph_model(nodes, [vi('x', [1, 2, 5, 6])], [vi('out', None)], inits, opset=13), 'resize')
    nodes = [
        helper.make_node('Upsample', ['x', 'scales'], ['up_near'], name='up_near', mode='nearest'),
        helper.make_node('Upsample', ['x', 'scales'], ['up_lin'], name='up_lin', mode='linear'),
        helper.make_node('Sub', ['up_near', 'up_lin'], ['out'], name='out'),
    ]
    save(graph_model(nodes, [vi('x', [1, 2, 3, 4])], [vi('out', None)], [c('scales', [1, 1, 2, 1.5])], opset=9), 'upsample9')


def legacy_opset():
    """Opset 9: Softmax over axis 1 of a 4-D map (the coerced-to-2-D rule), Flatten into Gemm with transB, alpha, beta."""
    r = rng(4)
    inits = [init('w', r.standard_normal((4, 3, 3, 3)) * 0.3), init('g', r.standard_normal((7, 4 * 4 * 3)) * 0.2), init('gb', r.standard_normal(7) * 0.1)]
    nodes = [
        helper.make_node('Conv', ['x', 'w'], ['conv'], name='conv', pads=[1, 1, 1, 1], strides=[1, 2]),
        helper.make_node('Clip', ['conv'], ['clip'], name='clip', min=-0.5, max=0.8),
        helper.make_node('Softmax', ['clip'], ['sm'], name='sm', axis=1),
        helper.make_node('Flatten', ['sm'], ['flat'], name='flat', axis=1),
        helper.make_node('Dropout', ['flat'], ['drop'], name='drop', ratio=0.3),
        helper.make_node('Gemm', ['drop', 'g', 'gb'], ['out'], name='out', transB=1, alpha=0.7, beta=1.5),
    ]
    m = graph_model(nodes, [vi('x', [1, 3, 4, 5])], [vi('out', None)], inits, opset=9)
    m.ir_version = 4
    save(m, 'legacy_opset9')


def float16_weights():
    """float16 weights: one in int32_data (typed), one as raw_data, Cast to float32; a double bias."""
    r = rng(5)
    w = (r.standard_normal((4, 2, 3, 3)) * 0.3).astype(np.float16)
    typed = helper.make_tensor('w16', TensorProto.FLOAT16, w.shape, w.view(np.uint16).astype(np.int32).flatten().tolist(), raw=False)
    b = (r.standard_normal(4) * 0.1).astype(np.float16)
    raw = helper.make_tensor('b16', TensorProto.FLOAT16, b.shape, b.tobytes(), raw=True)
    s = numpy_helper.from_array(np.asarray([0.5, -1.0, 2.0, 0.25], dtype=np.float64).reshape(1, 4, 1, 1), 'scale64')
    nodes = [
        helper.make_node('Cast', ['w16'], ['w'], name='cast_w', to=TensorProto.FLOAT),
        helper.make_node('Cast', ['b16'], ['b'], name='cast_b', to=TensorProto.FLOAT),
        helper.make_node('Cast', ['scale64'], ['scale'], name='cast_s', to=TensorProto.FLOAT),
        helper.make_node('Conv', ['x', 'w', 'b'], ['conv'], name='conv', pads=[1, 1, 1, 1]),
        helper.make_node('Mul', ['conv', 'scale'], ['out'], name='out'),
    ]
    m = graph_model(nodes, [vi('x', [1, 2, 6, 5])], [vi('out', None)], [typed, raw, s], opset=13)
    save(m, 'float16')


def external_data():
    """Weights in a file beside the model (ext_weights.bin), as onnx.save_model writes large models."""
    r = rng(6)
    inits = [init('ew', r.standard_normal((3, 2, 3, 3)) * 0.3), init('eb', r.standard_normal(3) * 0.1)]
    nodes = [helper.make_node('Conv', ['x', 'ew', 'eb'], ['out'], name='out', pads=[1, 1, 1, 1])]
    m = graph_model(nodes, [vi('x', [1, 2, 5, 5])], [vi('out', None)], inits, opset=13)
    for old in ('external_data.onnx', 'ext_weights.bin'):
        p = os.path.join(OUT, old)
        if os.path.exists(p):
            os.remove(p)
    save(m, 'external_data', all_outputs=False, save_as_external_data=True, all_tensors_to_one_file=True, location='ext_weights.bin', size_threshold=0)
    os.chmod(os.path.join(OUT, 'ext_weights.bin'), 0o644)


def bad_models():
    """Models the importer must refuse with a clear error (ONNX Runtime is not run on these)."""
    x = [vi('x', [1, 3, 4, 4])]
    m = graph_model([helper.make_node('Erf', ['x'], ['out'], name='erf_node')], x, [vi('out', None)], [])
    save(m, 'bad_unsupported_op', all_outputs=False)
    n = helper.make_node('FusedConv', ['x'], ['out'], name='fused', domain='com.microsoft')
    g = helper.make_graph([n], 'g', x, [vi('out', None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13), helper.make_opsetid('com.microsoft', 1)])
    onnx.save_model(m, os.path.join(OUT, 'bad_domain.onnx'))
    m = graph_model([helper.make_node('Relu', ['x'], ['out'], name='relu')], x, [vi('out', None)], [], opset=5)
    m.ir_version = 3
    onnx.save_model(m, os.path.join(OUT, 'bad_opset.onnx'))


def check(names):
    import onnxruntime as ort
    for name in names:
        path = os.path.join(OUT, name + '.onnx')
        sess = ort.InferenceSession(path)
        i = sess.get_inputs()[0]
        shape = [d if isinstance(d, int) else (1 if k == 0 else 8) for k, d in enumerate(i.shape)]
        outs = sess.run(None, {i.name: np.zeros(shape, np.float32)})
        print(f'{name}: ORT ran, {len(outs)} outputs')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--check', action='store_true', help='run each fixture in onnxruntime')
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch_models()
    conv_variants()
    pool_variants()
    shape_ops()
    legacy_opset()
    lrn()
    resize_variants()
    float16_weights()
    external_data()
    bad_models()
    if args.check:
        check(['tiny_cnn', 'residual', 'branches', 'depthwise', 'grouped', 'free_size', 'activations', 'conv_pads', 'pools',
               'shape_ops', 'legacy_opset9', 'lrn', 'upsampling', 'resize', 'upsample9', 'float16', 'external_data'])


if __name__ == '__main__':
    sys.exit(main())

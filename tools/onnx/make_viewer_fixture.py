"""A small ImageNet-style classifier for the viewer's tests and e2e check: NCHW RGB input with a
free height and width (as PyTorch exports with dynamic axes), conv/relu/pool/LRN-free stack,
global pooling, a Gemm and a Softmax, and its class names in the file's metadata (`labels`).

    /tmp/onnxenv/bin/python tools/onnx/make_viewer_fixture.py   # writes test/fixtures/onnx/small_classifier.onnx
"""
import json
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

rng = np.random.default_rng(7)


def w(name, *shape, scale=0.3):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


LABELS = ['tench', 'goldfish', 'great white shark', 'tiger shark', 'hammerhead', 'electric ray', 'stingray', 'cock', 'hen', 'ostrich']

nodes = [
    helper.make_node('Conv', ['input', 'c1.w', 'c1.b'], ['conv1'], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
    helper.make_node('Relu', ['conv1'], ['relu1']),
    helper.make_node('MaxPool', ['relu1'], ['pool1'], kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node('Conv', ['pool1', 'c2.w', 'c2.b'], ['conv2'], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=2),
    helper.make_node('Relu', ['conv2'], ['relu2']),
    helper.make_node('GlobalAveragePool', ['relu2'], ['gap']),
    helper.make_node('Flatten', ['gap'], ['flat']),
    helper.make_node('Gemm', ['flat', 'fc.w', 'fc.b'], ['logits'], transB=1),
    helper.make_node('Softmax', ['logits'], ['prob'], axis=1),
]
inits = [w('c1.w', 8, 3, 3, 3), w('c1.b', 8, scale=0.1), w('c2.w', 16, 4, 3, 3), w('c2.b', 16, scale=0.1), w('fc.w', 10, 16), w('fc.b', 10, scale=0.1)]
graph = helper.make_graph(
    nodes, 'small_classifier',
    [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 3, 'height', 'width'])],
    [helper.make_tensor_value_info('prob', TensorProto.FLOAT, [1, 10])],
    inits,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='cnn-webgpu fixtures')
helper.set_model_props(model, {'labels': json.dumps(LABELS)})
onnx.checker.check_model(model)
onnx.save(model, 'test/fixtures/onnx/small_classifier.onnx')
print('wrote test/fixtures/onnx/small_classifier.onnx')

"""Small networks the INT8 tests build, quantise with ONNX Runtime and run."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from modelport.convert.drift import Array

SIZE = 24


def smooth_images(count: int, seed: int, size: int = SIZE) -> Array:
    """``count`` 3 x size x size inputs of low-frequency noise: neighbouring pixels correlate,
    as in photos, which is what GPTQ's H captures."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(size=(count, 3, size // 4, size // 4))
    return np.repeat(np.repeat(coarse, 4, axis=2), 4, axis=3).astype(np.float32)


def conv(name: str, x: str, out: str, weight: Array, **attributes: Any) -> tuple[Any, list[Any]]:
    w = numpy_helper.from_array(weight.astype(np.float32), f"{name}.w")
    b = numpy_helper.from_array(
        np.linspace(-0.1, 0.1, weight.shape[0], dtype=np.float32), f"{name}.b"
    )
    node = helper.make_node("Conv", [x, w.name, b.name], [out], name=name, **attributes)
    return node, [w, b]


def network(path: Path, dilation: int = 1) -> Path:
    """A 3x3 convolution, a depthwise one (stride 2), a grouped one, a 1x1, then a Gemm with
    its weights stored [in, out] (a Linear exported by torch stores [out, in]: MobileNetV2's
    test covers that one)."""
    rng = np.random.default_rng(0)
    d = dilation
    nodes: list[Any] = []
    weights: list[Any] = []
    layers = [
        ("stem", "input", (16, 3, 3, 3), {"pads": [1, 1, 1, 1]}),
        ("depthwise", "r0", (16, 1, 3, 3), {"pads": [1, 1, 1, 1], "strides": [2, 2], "group": 16}),
        ("grouped", "r1", (16, 8, 3, 3), {"pads": [d, d, d, d], "group": 2, "dilations": [d, d]}),
        ("pointwise", "r2", (24, 16, 1, 1), {}),
    ]
    for i, (name, x, shape, attributes) in enumerate(layers):
        node, tensors = conv(
            name, x, f"c{i}", rng.normal(size=shape) / np.sqrt(np.prod(shape[1:])), **attributes
        )
        nodes += [node, helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"relu{i}")]
        weights += tensors
    nodes.append(helper.make_node("GlobalAveragePool", ["r3"], ["pool"], name="pool"))
    nodes.append(helper.make_node("Flatten", ["pool"], ["flat"], name="flatten"))
    weights.append(numpy_helper.from_array(rng.normal(size=(24, 10)).astype(np.float32), "fc.w"))
    weights.append(numpy_helper.from_array(np.zeros(10, np.float32), "fc.b"))
    nodes.append(helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["scores"], name="fc"))
    graph = helper.make_graph(
        nodes,
        "net",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, 10])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, str(path))
    return path


class Reader:
    def __init__(self, images: Array) -> None:
        self.rows = iter(list(images))

    def get_next(self) -> dict[str, Array] | None:
        row = next(self.rows, None)
        return None if row is None else {"input": row[None]}


def outputs(path: Path, images: Array, fused: bool = True) -> Array:
    """ONNX Runtime's outputs; ``fused=False``: the graph as written, with no integer kernels."""
    options = ort.SessionOptions()
    if not fused:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return np.concatenate(
        [session.run(None, {"input": images[i : i + 1]})[0] for i in range(len(images))]
    )


def quantize(original: Path, target: Path, calibration: Array) -> Path:
    """ONNX Runtime's static INT8, with the options ``modelport optimize --int8`` uses."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    with contextlib.redirect_stdout(io.StringIO()):
        quantize_static(
            str(original), str(target), Reader(calibration), quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
        )  # fmt: skip
    return target

"""Tiny ONNX models built in the tests, and images to send them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

OPSET = [helper.make_opsetid("", 17)]


def save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=OPSET, ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def colour_classifier(path: Path) -> Path:
    """Nx3x32x32 → mean colour → 4 logits: red → 0, green → 1, blue → 2."""
    weight = np.zeros((3, 4), dtype=np.float32)
    weight[[0, 1, 2], [0, 1, 2]] = 4.0
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["input"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"]),
            helper.make_node("MatMul", ["flat", "weight"], ["logits"]),
        ],
        "colours",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 4])],
        [numpy_helper.from_array(weight, "weight")],
    )
    return save(graph, path)


def constant_detector(path: Path, outputs: dict[str, np.ndarray], size: int = 64) -> Path:
    """A 1x3xsizexsize detector whose outputs are constants (each through an Identity)."""
    nodes, infos = [], []
    for name, value in outputs.items():
        tensor = numpy_helper.from_array(value, f"{name}_value")
        nodes.append(helper.make_node("Constant", [], [f"{name}_value"], value=tensor))
        nodes.append(helper.make_node("Identity", [f"{name}_value"], [name]))
        dtype = helper.np_dtype_to_tensor_dtype(value.dtype)
        infos.append(helper.make_tensor_value_info(name, dtype, list(value.shape)))
    graph = helper.make_graph(
        nodes,
        "detector",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        infos,
    )
    return save(graph, path)


def image(
    colour: tuple[int, int, int], size: tuple[int, int] = (64, 48), fmt: str = "JPEG"
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()

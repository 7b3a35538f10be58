"""``--task tensor``: an ONNX model as tensors in, tensors out, through the live gateway."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from modelport.errors import InvalidInput
from modelport.modelfile import ModelOptions, generate
from tests.modelfile.conftest import Call, Deploy
from tests.modelfile.models import save


def doubler(path: Path) -> Path:
    """x: FP32 [N, 3] → double = 2x [N, 3], total = row sums [N, 1]."""
    graph = helper.make_graph(
        [
            helper.make_node("Add", ["x", "x"], ["double"]),
            helper.make_node("ReduceSum", ["x", "axes"], ["total"], keepdims=1),
        ],
        "doubler",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [
            helper.make_tensor_value_info("double", TensorProto.FLOAT, ["N", 3]),
            helper.make_tensor_value_info("total", TensorProto.FLOAT, ["N", 1]),
        ],
        [numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")],
    )
    return save(graph, path)


@pytest.fixture(scope="module")
def tensors(deploy_model: Deploy, tmp_path_factory: pytest.TempPathFactory) -> str:
    model = doubler(tmp_path_factory.mktemp("tensor") / "doubler.onnx")
    sha = deploy_model(model, "--task", "tensor", "--name", "admin/doubler")
    return f"admin/doubler/{sha}"


def test_nested_lists_and_v2_style_tensors(tensors: str, call: Call) -> None:
    expected = {"double": [[2.0, 4.0, 6.0], [-2.0, 0.0, 1.0]], "total": [[6.0], [-0.5]]}
    rows = [[1, 2, 3], [-1, 0, 0.5]]
    for body in (
        rows,
        {"inputs": {"x": rows}},
        {"inputs": {"x": {"data": [1, 2, 3, -1, 0, 0.5], "shape": [2, 3], "datatype": "FP32"}}},
        {"inputs": {"x": {"data": [1, 2, 3, -1, 0, 0.5], "shape": [2, 3]}}},
    ):
        assert call(tensors, body) == {"outputs": expected}, body


def test_a_tensor_without_the_batch_axis_gets_one_back(tensors: str, call: Call) -> None:
    result = call(tensors, [1, 1, 1])
    assert result == {"outputs": {"double": [2.0, 2.0, 2.0], "total": [3.0]}}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"inputs": {"y": [[1, 2, 3]]}}, "unknown: ['y']"),
        ({"inputs": {}}, "missing: ['x']"),
        ([[1, 2]], "shape [1, 2]"),
        ([[[1, 2, 3]]], "shape [1, 1, 3]"),
        ({"inputs": {"x": {"data": [1, 2, 3], "shape": [1, 3], "datatype": "INT64"}}}, "FP32"),
        ({"inputs": {"x": {"data": [1, 2, 3], "shape": [2, 3]}}}, "needs 6"),
        ([[1, 2, "3"]], "numbers"),
        ([[1, 2, 3], [4, 5]], "ragged"),
        ("not a tensor", "inputs"),
    ],
)
def test_bad_tensors_are_input_errors(tensors: str, call: Call, body: object, words: str) -> None:
    result = call(tensors, body)
    assert result["error"]["error_type"] == "InputError", result
    assert words in result["error"]["message"], result


def test_concurrent_calls_batch_to_the_same_results(tensors: str, call: Call) -> None:
    bodies = [[[float(i), float(i + 1), float(-i)]] * (1 + i % 3) for i in range(24)]
    with ThreadPoolExecutor(len(bodies)) as pool:
        results = list(pool.map(lambda body: call(tensors, body), bodies))
    for body, result in zip(bodies, results, strict=True):
        assert result["outputs"]["double"] == [[2 * v for v in row] for row in body]
        assert result["outputs"]["total"] == [[sum(row)] for row in body]


def test_the_generated_folder(tmp_path: Path) -> None:
    model = doubler(tmp_path / "d.onnx")
    folder = generate(model, ModelOptions(task="tensor", name="d"), tmp_path / "out")
    assert sorted(p.name for p in folder.iterdir()) == [
        "algorithm.py",
        "labels.txt",
        "model.onnx",
        "modelport.yaml",
        "settings.json",
    ]
    assert '["onnxruntime", "numpy"]' in (folder / "modelport.yaml").read_text()
    assert json.loads((folder / "settings.json").read_text()) == {
        "task": "tensor",
        "model": "model.onnx",
    }
    with pytest.raises(InvalidInput, match="--features"):
        generate(model, ModelOptions(task="tensor", name="d", features="raw"), tmp_path / "x")

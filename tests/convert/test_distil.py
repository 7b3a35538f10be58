"""Distillation of a static INT8 model towards its float original (modelport.convert.distil):
the torch network runs the QDQ graph as ONNX Runtime does, and training brings the INT8
graph's outputs, as ONNX Runtime computes them, closer to the float model's.

The outputs are compared with ONNX Runtime's graph optimisations off: with them on, its fused
integer kernels depend on the CPU. On one with AVX-512 VNNI they agree with the graph; on an
AVX2-only CPU (no VNNI) its u8s8 kernels saturate, which moves outputs by more than the
quantisation error being trained away (seen: KL 0.00017 as written, 0.00038 fused)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import helper, numpy_helper

from modelport.convert import distil
from modelport.convert.drift import Array, probabilities
from modelport.errors import InvalidInput
from tests.convert.networks import SIZE, network, outputs, quantize, smooth_images

Q_DQ = ("QuantizeLinear", "DequantizeLinear")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The float network and ONNX Runtime's static INT8 of it."""
    folder = tmp_path_factory.mktemp("distil")
    original = network(folder / "float.onnx")
    return original, quantize(original, folder / "int8.onnx", smooth_images(48, seed=1))


def kl(path: Path, original: Path, images: Array) -> float:
    """Mean KL divergence of ``path``'s class probabilities from the float model's."""
    p = probabilities(outputs(original, images))
    q = probabilities(outputs(path, images, fused=False))
    return float(np.mean(np.sum(p * (np.log(p) - np.log(q)), axis=1)))


def test_the_network_runs_the_graph_as_onnx_runtime_does(models: tuple[Path, Path]) -> None:
    """Against ONNX Runtime with its graph left as written (QuantizeLinear and
    DequantizeLinear as float operators, no fused integer kernels)."""
    _, quantized = models
    images = smooth_images(16, seed=2)
    expected = outputs(quantized, images, fused=False)
    with torch.no_grad():
        got = distil.Network(onnx.load(str(quantized)))(torch.from_numpy(images)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_distillation_brings_the_int8_graphs_outputs_closer(
    models: tuple[Path, Path], tmp_path: Path
) -> None:
    original, quantized = models
    tuned = Path(shutil.copyfile(quantized, tmp_path / "tuned.onnx"))
    larger = smooth_images(64, seed=3, size=SIZE + 8)
    done = distil.distil(
        tuned, original, "input", larger, (SIZE, SIZE), steps=80, learning_rate=3e-4
    )
    assert done.steps == 80 and done.loss_after < done.loss_before
    held_out = smooth_images(64, seed=4)
    before, after = kl(quantized, original, held_out), kl(tuned, original, held_out)
    assert after < 0.8 * before, (before, after)
    graphs = [onnx.load(str(p)).graph for p in (quantized, tuned)]
    assert graphs[0].node == graphs[1].node
    old = {i.name: numpy_helper.to_array(i) for i in graphs[0].initializer}
    new = {i.name: numpy_helper.to_array(i) for i in graphs[1].initializer}
    changed = {name for name in old if not np.array_equal(old[name], new[name])}
    assert all(new[name].dtype == old[name].dtype for name in changed)
    scales = {n.input[1] for n in graphs[1].node if n.op_type in Q_DQ}
    assert changed - scales and changed & scales  # weights and biases, and learnt scales
    assert all(old[name].dtype in (np.int8, np.int32) for name in changed - scales)
    # ONNX Runtime's integer kernels take a bias's scale to be its input's times its weight's
    dequantized = {n.output[0]: n.input[1] for n in graphs[1].node if n.op_type in Q_DQ}
    integer = [
        [new[dequantized[name]] for name in node.input[:3]]
        for node in graphs[1].node
        if node.op_type in ("Conv", "Gemm") and all(i in dequantized for i in node.input[:3])
    ]
    assert integer
    for x, w, b in integer:
        np.testing.assert_allclose(b, x * w, rtol=1e-6)


def test_an_operator_it_cannot_run_is_refused_before_training(tmp_path: Path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Erf", ["input"], ["out"])],
        "erf",
        [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("out", onnx.TensorProto.FLOAT, [1, 4])],
    )
    with pytest.raises(InvalidInput, match="cannot run operators Erf"):
        distil.Network(helper.make_model(graph))


def test_softmax_outputs_and_logits_give_the_same_loss() -> None:
    logits = np.random.default_rng(0).normal(size=(4, 10)).astype(np.float32)
    teacher = logits + np.float32(0.3) * np.random.default_rng(1).normal(size=(4, 10))
    on_logits = distil._loss(torch.from_numpy(logits), teacher.astype(np.float32))
    softmax = torch.from_numpy(logits).softmax(-1)
    on_probabilities = distil._loss(softmax, probabilities(teacher).astype(np.float32))
    assert float(on_logits) > 0
    assert float(on_probabilities) == pytest.approx(float(on_logits), rel=1e-4)


@pytest.mark.parametrize(
    ("op", "attributes"),
    [
        ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [0, 0, 1, 1]}),
        ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("AveragePool", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1}),
    ],
)
def test_padded_pooling_matches_onnx_runtime(op: str, attributes: dict[str, object]) -> None:
    graph = helper.make_graph(
        [helper.make_node(op, ["input"], ["out"], **attributes)],
        "pool",
        [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, [2, 3, 9, 9])],
        [helper.make_tensor_value_info("out", onnx.TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    x = np.random.default_rng(0).normal(size=(2, 3, 9, 9)).astype(np.float32)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        got = distil.Network(model)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, session.run(None, {"input": x})[0], atol=1e-6)

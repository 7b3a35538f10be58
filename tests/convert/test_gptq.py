"""GPTQ rounding of a static INT8 model's weights (modelport.convert.gptq), against ONNX
Runtime's own round-to-nearest on the same QDQ model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

from modelport.convert import gptq
from modelport.convert.drift import Array
from tests.convert.networks import network, outputs, quantize, smooth_images


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Array]:
    """The float network, ONNX Runtime's static INT8 of it, and the calibration images."""
    folder = tmp_path_factory.mktemp("gptq")
    original = network(folder / "float.onnx")
    calibration = smooth_images(48, seed=1)
    return original, quantize(original, folder / "nearest.onnx", calibration), calibration


def layer_errors(path: Path, original: Path, images: Array) -> dict[str, float]:
    """Per layer, what GPTQ minimises: the squared error its int8 weights add to its output,
    ``(W - Wq) H (W - Wq)ᵀ``, with ``H`` from the inputs the quantised model gives it."""
    model = onnx.load(str(path))
    layers = gptq._layers(model, gptq._float_weights(onnx.load(str(original))))
    hessians = gptq._hessians(model, layers, "input", images)
    errors = {}
    for layer in layers:
        stored = numpy_helper.to_array(layer.quantized)
        values = (stored.T if layer.transposed else stored).reshape(layer.weight.shape)
        difference = layer.weight - values * layer.scale[:, :, None]
        h = hessians[layer.node.name]
        errors[layer.node.name] = float(np.einsum("grk,gkl,grl->", difference, h, difference))
    return errors


def test_gptq_brings_every_layer_and_the_output_closer(
    models: tuple[Path, Path, Array], tmp_path: Path
) -> None:
    original, nearest, calibration = models
    rounded = tmp_path / "gptq.onnx"
    shutil.copyfile(nearest, rounded)
    assert gptq.round_weights(rounded, original, "input", calibration) == 5  # 4 convs, 1 gemm

    held_out = smooth_images(64, seed=2)
    before = layer_errors(nearest, original, held_out)
    after = layer_errors(rounded, original, held_out)
    assert sorted(after) == ["depthwise", "fc", "grouped", "pointwise", "stem"]
    assert all(after[name] < 0.8 * before[name] for name in after), (before, after)
    reference = outputs(original, held_out)
    error = {
        p.stem: float(np.mean((outputs(p, held_out) - reference) ** 2)) for p in (nearest, rounded)
    }
    assert error["gptq"] < error["nearest"], error

    graphs = onnx.load(str(nearest)).graph, onnx.load(str(rounded)).graph
    assert [n.op_type for n in graphs[0].node] == [n.op_type for n in graphs[1].node]
    old = {i.name: numpy_helper.to_array(i) for i in graphs[0].initializer}
    new = {i.name: numpy_helper.to_array(i) for i in graphs[1].initializer}
    changed = sorted(name for name in old if not np.array_equal(old[name], new[name]))
    assert changed == sorted(n for n in old if n.endswith(".w_quantized")), changed  # scales kept
    for name in changed:
        assert new[name].dtype == np.int8 and np.abs(new[name].astype(int)).max() <= 127


@pytest.mark.parametrize("name", ["stem", "depthwise", "grouped", "pointwise"])
def test_columns_rebuild_the_convolution(models: tuple[Path, Path, Array], name: str) -> None:
    """The columns H is built from, times the layer's float weights, are its output as
    ONNX Runtime computes it: padding, strides and groups read the same way."""
    original, nearest, calibration = models
    quantized = onnx.load(str(nearest))
    layers = gptq._layers(quantized, gptq._float_weights(onnx.load(str(original))))
    layer = next(candidate for candidate in layers if candidate.node.name == name)
    model = onnx.load(str(original))
    node = next(n for n in model.graph.node if n.name == name)
    model.graph.output.extend(
        [helper.make_empty_tensor_value_info(t) for t in (node.input[0], node.output[0])]
    )
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x, y = session.run([node.input[0], node.output[0]], {"input": calibration[:1]})
    columns = gptq._columns(layer, x[0])
    bias = numpy_helper.to_array(
        next(i for i in model.graph.initializer if i.name == node.input[2])
    )
    rebuilt = (
        np.einsum("grk,gkp->grp", layer.weight, columns).reshape(y.shape[1], -1) + bias[:, None]
    )
    np.testing.assert_allclose(rebuilt, y[0].reshape(y.shape[1], -1), atol=1e-4)


def test_a_dilated_convolution_keeps_onnx_runtimes_rounding(tmp_path: Path) -> None:
    original = network(tmp_path / "dilated.onnx", dilation=2)
    calibration = smooth_images(16, seed=1)
    quantized = quantize(original, tmp_path / "int8.onnx", calibration)
    before = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(quantized)).graph.initializer}
    assert gptq.round_weights(quantized, original, "input", calibration) == 4
    after = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(quantized)).graph.initializer}
    assert np.array_equal(before["grouped.w_quantized"], after["grouped.w_quantized"])
    assert not np.array_equal(before["pointwise.w_quantized"], after["pointwise.w_quantized"])


def test_a_layer_too_wide_for_its_hessian_keeps_onnx_runtimes_rounding(
    models: tuple[Path, Path, Array], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_COLUMNS inputs per output H (K x K) would not fit: the stem (27 inputs per
    output), the grouped convolution (72) and the Gemm (24) are left, the rest rounded."""
    original, nearest, calibration = models
    monkeypatch.setattr(gptq, "MAX_COLUMNS", 20)
    rounded = tmp_path / "narrow.onnx"
    shutil.copyfile(nearest, rounded)
    assert gptq.round_weights(rounded, original, "input", calibration) == 2


def test_rounding_in_blocks_is_rounding_column_by_column(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lazy batches only defer the updates: any block size gives the same int8 values."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 50, 400)) + rng.normal(size=(2, 1, 400))  # correlated inputs
    hessian = np.matmul(x, x.transpose(0, 2, 1))
    weight = rng.normal(size=(2, 8, 50))
    scale = np.abs(weight).max(axis=2) / 127
    results = []
    for block in (50, 7, 1):
        monkeypatch.setattr(gptq, "BLOCK", block)
        results.append(gptq._gptq(weight, hessian, scale))
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])
    assert not np.array_equal(results[0], np.round(weight / scale[:, :, None]))  # not nearest

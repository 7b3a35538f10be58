"""``modelport optimize``: graph optimisation, FP16 and INT8 behind the accuracy gate."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import onnx
import pytest

from tests.convert.conftest import Run


def test_fp16_checked_on_images(cnn_onnx: Path, images: Path, tmp_path: Path, cli: Run) -> None:
    out = tmp_path / "cnn16.onnx"
    code, stdout, err = cli("optimize", cnn_onnx, "--fp16", "--check", images, "-o", out)
    assert code == 0, err
    assert "optimize:fp16, 20 images:" in stdout
    assert re.search(r"ms per image", stdout) and "size" in stdout
    drift = json.loads(out.with_suffix(".drift.json").read_text())
    assert drift["top1_agreement"] >= 0.99
    assert drift["max_abs_diff"] <= 0.05 == drift["tolerance"]
    assert drift["size_after"] < drift["size_before"]
    model = onnx.load(str(out))
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT  # kept
    assert any(i.data_type == onnx.TensorProto.FLOAT16 for i in model.graph.initializer)


def test_int8_dynamic_on_random_inputs(cnn_onnx: Path, tmp_path: Path, cli: Run) -> None:
    out = tmp_path / "cnn8.onnx"
    code, stdout, err = cli("optimize", cnn_onnx, "--int8", "-o", out)
    assert code == 0, err
    assert "optimize:int8-dynamic, 32 random samples" in stdout, stdout
    drift = json.loads(out.with_suffix(".drift.json").read_text())
    assert drift["top1_agreement"] >= 0.99
    assert drift["tolerance"] is None


def test_int8_static_with_calibration(
    cnn_onnx: Path, images: Path, tmp_path: Path, cli: Run
) -> None:
    out = tmp_path / "cnn8s.onnx"
    code, stdout, err = cli(
        "optimize", cnn_onnx, "--int8", "--calibration-images", images, "--check", images,
        "-o", out,
    )  # fmt: skip
    assert code == 0, (stdout, err)
    drift = json.loads(out.with_suffix(".drift.json").read_text())
    assert drift["operation"] == "optimize:int8-static"
    assert "Collecting tensor data" not in stdout  # the calibrator's progress is not shown
    graph = onnx.load(str(out)).graph
    assert any(n.op_type == "QuantizeLinear" for n in graph.node)
    # the stem stays in float: the first two convolutions read float weights, the third int8
    convs = [n for n in graph.node if n.op_type == "Conv"]
    assert drift["float_nodes"] == [c.name for c in convs[:2]]
    weights = {i.name for i in graph.initializer}
    assert [c.input[1] in weights for c in convs] == [True, True, False]
    assert drift["gptq_layers"] == 2  # the third convolution's weights and the Linear's
    # the scores leave the integer Gemm as floats: no rounding to 8 bits at the very end
    producers = {o: n for n in graph.node for o in n.output}
    assert [producers[o.name].op_type for o in graph.output] == ["Gemm"]
    used = {name for n in graph.node for name in n.input}
    assert all(i.name in used for i in graph.initializer)


def test_int8_static_distilled(cnn_onnx: Path, images: Path, tmp_path: Path, cli: Run) -> None:
    """``--distil`` runs the torch export's graph (Conv, Relu, pooling, Flatten, Gemm) in
    torch, trains it, and records its steps and its loss at the start and the end."""
    out = tmp_path / "cnn8d.onnx"
    code, stdout, err = cli(
        "optimize", cnn_onnx, "--int8", "--calibration-images", images, "--distil", "6",
        "--check", images, "-o", out,
    )  # fmt: skip
    assert code == 0, (stdout, err)
    drift = json.loads(out.with_suffix(".drift.json").read_text())
    assert drift["distil_steps"] == 6
    assert len(drift["distil_loss"]) == 2 and min(drift["distil_loss"]) > 0


def test_distil_needs_calibration_images(cnn_onnx: Path, tmp_path: Path, cli: Run) -> None:
    out = tmp_path / "never.onnx"
    code, _, err = cli("optimize", cnn_onnx, "--int8", "--distil", "5", "-o", out)
    assert code != 0
    assert "--distil needs --int8 and --calibration-images" in err
    assert not out.exists()


def test_graph_only(cnn_onnx: Path, tmp_path: Path, cli: Run) -> None:
    code, _, err = cli("optimize", cnn_onnx, "-o", tmp_path / "g.onnx")
    assert code == 0, err
    drift = json.loads((tmp_path / "g.drift.json").read_text())
    assert drift["max_abs_diff"] < 1e-5 and drift["top1_agreement"] == 1.0
    ops = {n.op_type for n in onnx.load(str(tmp_path / "g.onnx")).graph.node}
    assert "BatchNormalization" not in ops  # fused into the Conv


def test_fp16_past_tolerance_is_refused(
    cnn_onnx: Path, images: Path, tmp_path: Path, cli: Run
) -> None:
    """A real failure: FP16 moves the probabilities by more than 1e-6."""
    out = tmp_path / "refused.onnx"
    code, stdout, err = cli(
        "optimize", cnn_onnx, "--fp16", "--check", images, "--tolerance", "1e-6", "-o", out
    )
    assert code == 1
    assert "refused: max abs diff" in err and "nothing written" in err
    assert err.count("\n") == 1
    assert "max abs diff" in stdout
    assert not out.exists() and not out.with_suffix(".drift.json").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--fp16", "--int8"], "not allowed with argument"),
        (["--fp16", "--calibration-images", "x"], "--calibration-images is for --int8"),
        (["--int8", "--check", "nowhere"], "nowhere: not a folder"),
    ],
)
def test_usage_errors(
    cnn_onnx: Path, tmp_path: Path, cli: Run, flags: list[str], message: str
) -> None:
    code, _, err = cli("optimize", cnn_onnx, *flags, "-o", tmp_path / "x.onnx")
    assert code == 2
    assert message in err, err
    assert not (tmp_path / "x.onnx").exists()


def test_distil_without_torch_is_refused_before_any_work(
    cnn_onnx: Path, images: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelport.convert.optimize import optimize
    from modelport.errors import InvalidInput

    monkeypatch.setitem(sys.modules, "modelport.convert.distil", None)  # as if torch were missing
    with pytest.raises(InvalidInput, match="--distil needs torch"):
        optimize(cnn_onnx, tmp_path / "never.onnx", mode="int8", calibration=images,
                 distil_steps=5)  # fmt: skip
    assert not (tmp_path / "never.onnx").exists()


def test_a_refused_int8_model_names_the_next_step(
    cnn_onnx: Path, images: Path, tmp_path: Path, cli: Run
) -> None:
    out = tmp_path / "refused.onnx"
    static = ("--calibration-images", images, "--check", images)
    for extra, step in (((), "--calibration-images DIR"), (static, "--distil 200")):
        code, _, err = cli("optimize", cnn_onnx, "--int8", *extra, "--tolerance", "0", "-o", out)
        assert code == 1 and "max abs diff" in err and step in err, err
        assert not out.exists()

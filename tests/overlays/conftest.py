"""Fixtures for rendering: the model-file deploy helpers, and tiny vision algorithms."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.server import Live
from tests.modelfile.conftest import Deploy, call, deploy_model
from tests.modelfile.models import colour_classifier, constant_detector

__all__ = ["call", "deploy_model"]  # fixtures, shared with tests/modelfile


@pytest.fixture
def loader(live: Live) -> None:
    """The gateway decodes render inputs with ``modelport.vision.load_image``, as serve does."""
    assert live.platform.image_loader is not None
    image = live.platform.image_loader(_png())
    assert image.size == (4, 2)


@pytest.fixture
def no_loader(live: Live) -> Iterator[None]:
    """A gateway without Pillow's loader: only raw image bytes render."""
    saved, live.platform.image_loader = live.platform.image_loader, None
    yield
    live.platform.image_loader = saved


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 2)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="session")
def detector(deploy_model: Deploy, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One dog at x 0.2..0.6, y 0.1..0.5 of any image (score 0.9)."""
    folder = tmp_path_factory.mktemp("render-ssd")
    (folder / "pets.txt").write_text("cat\ndog\n")
    outputs = {
        "detection_boxes": np.array([[[0.1, 0.2, 0.5, 0.6]]], np.float32),
        "detection_scores": np.array([[0.9]], np.float32),
        "detection_classes": np.array([[1]], np.float32),
    }
    model = constant_detector(folder / "ssd.onnx", outputs)
    flags = ["--task", "object-detection", "--format", "ssd", "--name", "admin/render_ssd"]
    sha = deploy_model(model, *flags, "--labels", str(folder / "pets.txt"))
    return f"admin/render_ssd/{sha}"


@pytest.fixture(scope="session")
def classifier(deploy_model: Deploy, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder: Path = tmp_path_factory.mktemp("render-colours")
    labels = folder / "colours.txt"
    labels.write_text("red\ngreen\nblue\nother\n")
    model = colour_classifier(folder / "colours.onnx")
    flags = ["--task", "image-classification", "--labels", str(labels)]
    sha = deploy_model(model, *flags, "--name", "admin/render_colours")
    return f"admin/render_colours/{sha}"

"""The generated classifiers' preprocessing (templates/image_classification/images.py.tmpl)
against the plain way of writing it: resize the whole image, crop the centre, then
(x / scale - mean) / std in the model's layout and type."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

import modelport

TEMPLATE = (
    Path(modelport.__file__).parent
    / "modelfile"
    / "templates"
    / "image_classification"
    / "images.py.tmpl"
)
SETTINGS = {"resize": "crop", "crop_ratio": 0.875, "scale": 255.0,
            "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}  # fmt: skip


def _template() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("generated_images", str(TEMPLATE))
    spec = importlib.util.spec_from_loader("generated_images", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _images(**overrides: Any) -> Any:
    images = _template().Images()
    images.settings = {**SETTINGS, **overrides.pop("settings", {})}
    images.width, images.height = overrides.pop("size", (224, 224))
    for name, value in overrides.items():
        setattr(images, name, value)
    return images


def _photo(size: tuple[int, int]) -> Image.Image:
    rng = np.random.default_rng(sum(size))
    smooth = rng.integers(0, 256, (size[1] // 8 + 1, size[0] // 8 + 1, 3), dtype=np.uint8)
    return Image.fromarray(smooth).resize(size, Image.Resampling.BICUBIC)


def _reference(picture: Image.Image, width: int, height: int) -> np.ndarray:
    w, h = picture.size
    r = max(width, height) / 0.875 / min(w, h)
    rw, rh = max(width, round(w * r)), max(height, round(h * r))
    left, top = (rw - width) // 2, (rh - height) // 2
    resized = picture.resize((rw, rh), Image.Resampling.BILINEAR)
    return np.asarray(resized.crop((left, top, left + width, top + height)))


@pytest.mark.parametrize("size", [(640, 480), (480, 640), (300, 300), (1000, 513), (100, 80)])
def test_the_centre_crop_matches_resizing_everything_then_cropping(size: tuple[int, int]) -> None:
    images, picture = _images(), _photo(size)
    array, mapping = images.prepare(picture)
    expected = _reference(picture, 224, 224)
    assert array.shape == expected.shape == (224, 224, 3)
    difference = np.abs(array.astype(int) - expected)
    assert difference.max() <= 1  # the same filter; rounding may differ by one level
    assert (difference > 0).mean() < 0.01
    sx, sy, ox, oy = mapping  # input pixel -> original pixel: the crop's corner and scale
    w, h = size
    rw, rh = max(224, round(w * 256 / min(w, h))), max(224, round(h * 256 / min(w, h)))
    assert (sx, sy) == pytest.approx((w / rw, h / rh))
    assert (ox, oy) == pytest.approx(((rw - 224) // 2 * w / rw, (rh - 224) // 2 * h / rh))


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("flipped", [False, True])  # BGR models get reversed-channel views
def test_normalisation_is_x_over_scale_minus_mean_over_std(layout: str, flipped: bool) -> None:
    settings = {"scale": 127.5, "mean": [0.1, 0.2, 0.3], "std": [0.5, 0.25, 2.0]}
    images = _images(layout=layout, settings=settings)
    pixels = np.random.default_rng(1).integers(0, 256, (2, 8, 6, 3), dtype=np.uint8)
    if flipped:
        pixels = pixels[..., ::-1]
    tensor = images.tensor(list(pixels))
    expected = (pixels / 127.5 - np.array([0.1, 0.2, 0.3])) / np.array([0.5, 0.25, 2.0])
    if layout == "NCHW":
        expected = expected.transpose(0, 3, 1, 2)
    assert tensor.dtype == np.float32 and tensor.flags["C_CONTIGUOUS"]
    assert tensor.shape == expected.shape
    np.testing.assert_allclose(tensor, expected, rtol=1e-5, atol=1e-5)


def test_uint8_and_float16_inputs_get_their_own_types() -> None:
    pixels = [np.full((4, 4, 3), 200, dtype=np.uint8)]
    raw = _images(uint8=True).tensor(pixels)
    assert raw.dtype == np.uint8 and raw.shape == (1, 3, 4, 4) and raw.flags["C_CONTIGUOUS"]
    assert (raw == 200).all()
    half = _images(float16=True).tensor(pixels)
    assert half.dtype == np.float16
    expected = (200 / 255 - np.array(SETTINGS["mean"])) / np.array(SETTINGS["std"])
    np.testing.assert_allclose(half[0, :, 0, 0], expected, rtol=1e-3)

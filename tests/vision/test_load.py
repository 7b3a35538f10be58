"""Every input form, format and pixel mode through ``modelport.vision.load_image``."""

from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

import modelport.sdk as guest
from modelport import vision
from modelport.worker.program import failure

from .images import encoded, halves

RED = (200, 30, 60)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF"])
def test_every_format_decodes_from_raw_bytes(fmt: str) -> None:
    pixels = vision.load_image(encoded(fmt))
    assert pixels.shape == (48, 64, 3)
    assert pixels.dtype == np.uint8
    assert np.abs(pixels.astype(int) - RED).max() <= 12  # lossy formats: close enough


def png() -> bytes:
    return encoded("PNG")


def forms() -> list[object]:
    raw = png()
    text = base64.b64encode(raw).decode()
    wrapped = b"\n".join(
        base64.b64encode(raw)[i : i + 76] for i in range(0, len(text), 76)
    )  # what `base64 img.png` prints
    return [
        raw,
        bytearray(raw),
        memoryview(raw),
        text,
        wrapped + b"\n",
        base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
        "data:image/png;base64," + text,
        {"image": text},
        {"base64": text},
        {"data": "data:image/png;base64," + text},
        {"image": {"base64": text}},
        json.dumps({"image": text}).encode(),
        json.dumps({"image": text}),
        SimpleNamespace(input=raw),
        SimpleNamespace(input=json.dumps({"image": text}).encode()),
    ]


@pytest.mark.parametrize("index", range(len(forms())))
def test_every_input_form_gives_the_same_pixels(index: int) -> None:
    expected = np.asarray(Image.open(io.BytesIO(png())).convert("RGB"))
    assert np.array_equal(vision.load_image(forms()[index]), expected)


def test_a_data_file_is_read_through_data_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = tmp_path / "cat.png"
    stored.write_bytes(png())
    asked: list[str] = []

    def path(uri: str) -> str:
        asked.append(uri)
        return str(stored)

    monkeypatch.setattr(guest.data, "path", path)
    assert vision.load_image("data://.my/pictures/cat.png").shape == (48, 64, 3)
    assert vision.load_image({"url": "data://.my/pictures/cat.png"}).shape == (48, 64, 3)
    assert asked == ["data://.my/pictures/cat.png"] * 2

    def missing(uri: str) -> str:
        raise FileNotFoundError(f"{uri}: not found")

    monkeypatch.setattr(guest.data, "path", missing)
    with pytest.raises(vision.ImageError, match=r"data://\.my/pictures/gone\.png: not found"):
        vision.load_image("data://.my/pictures/gone.png")


def test_a_data_file_that_is_no_image_is_refused_without_quoting_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "notes.txt"
    secret.write_bytes(b"the launch code is 0000, tell no one")
    monkeypatch.setattr(guest.data, "path", lambda uri: str(secret))
    with pytest.raises(vision.NotAnImageError) as caught:
        vision.load_image("data://bob/private/notes.txt")
    message = str(caught.value)
    assert message == "not an image: data://bob/private/notes.txt (36 bytes) is in no known format"
    assert "launch" not in message


def test_skimage_coffee_round_trips_exactly() -> None:
    skdata = pytest.importorskip("skimage.data")
    coffee = skdata.coffee()
    out = vision.load_image(vision.encode_image(coffee, format="PNG"))
    assert np.array_equal(out, coffee)
    bgr = vision.load_image(vision.encode_image(coffee, format="PNG"), mode="BGR")
    assert np.array_equal(bgr, coffee[..., ::-1])
    assert bgr.flags["C_CONTIGUOUS"]


def test_modes_rgb_bgr_gray_and_pil() -> None:
    raw = encoded("PNG", color=(10, 20, 30))
    assert tuple(vision.load_image(raw)[0, 0]) == (10, 20, 30)
    assert tuple(vision.load_image(raw, mode="BGR")[0, 0]) == (30, 20, 10)
    gray = vision.load_image(raw, mode="L")
    assert gray.shape == (48, 64)
    assert gray[0, 0] == round(10 * 0.299 + 20 * 0.587 + 30 * 0.114)
    image = vision.load_image(raw, as_array=False)
    assert isinstance(image, Image.Image)
    assert (image.mode, image.size) == ("RGB", (64, 48))
    assert vision.load_image(raw, mode="L", as_array=False).mode == "L"
    with pytest.raises(ValueError, match="mode must be"):
        vision.load_image(raw, mode="HSV")
    with pytest.raises(ValueError, match="as_array=True"):
        vision.load_image(raw, mode="BGR", as_array=False)
    with pytest.raises(ValueError, match="size_hint"):
        vision.load_image(raw, size_hint=(0, 10))


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 60x40; shown turned 90° clockwise: 40 wide, 60 high
    out = io.BytesIO()
    halves((60, 40)).save(out, format="JPEG", exif=exif.tobytes(), quality=95)
    pixels = vision.load_image(out.getvalue())
    assert pixels.shape == (60, 40, 3)
    assert pixels[5, 20, 0] > 200 > pixels[5, 20, 2]  # top: was the left (red) half
    assert pixels[55, 20, 2] > 200 > pixels[55, 20, 0]  # bottom: blue


def test_only_a_turned_image_goes_through_exif_transpose(monkeypatch: pytest.MonkeyPatch) -> None:
    """exif_transpose copies every image it gets, upright or not: a decoded photo is large."""
    from PIL import ImageOps

    turned: list[tuple[int, int]] = []
    transpose = ImageOps.exif_transpose

    def spy(image: Image.Image) -> Image.Image:
        turned.append(image.size)
        return transpose(image)

    monkeypatch.setattr(ImageOps, "exif_transpose", spy)
    upright, six = Image.Exif(), Image.Exif()
    upright[0x0112], six[0x0112] = 1, 6
    for exif in (None, upright, six):
        out = io.BytesIO()
        extra = {} if exif is None else {"exif": exif.tobytes()}
        halves((60, 40)).save(out, format="JPEG", quality=95, **extra)
        shape = vision.load_image(out.getvalue()).shape
        assert shape == ((60, 40, 3) if exif is six else (40, 60, 3))
    assert turned == [(60, 40)]  # the orientation-6 image alone


def test_alpha_palette_cmyk_16_bit_and_1_bit_convert() -> None:
    rgba = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    rgba.putpixel((1, 1), (255, 0, 0, 255))
    pixels = vision.load_image(png_of(rgba))
    assert tuple(pixels[0, 0]) == (255, 255, 255)  # transparent: over white
    assert tuple(pixels[1, 1]) == (255, 0, 0)
    assert tuple(vision.load_image(png_of(rgba.convert("LA")))[0, 0]) == (255, 255, 255)
    palette = rgba.convert("P")
    palette.info["transparency"] = palette.getpixel((0, 0))
    assert tuple(vision.load_image(png_of(palette))[0, 0]) == (255, 255, 255)
    cmyk = vision.load_image(encoded("JPEG", mode="CMYK", color=(0, 255, 255, 0)))
    assert cmyk[0, 0, 0] > 200 and cmyk[0, 0, 1] < 60 and cmyk[0, 0, 2] < 60  # red
    deep = Image.fromarray(np.full((4, 4), 65535, dtype=np.uint16))
    assert deep.mode.startswith("I")
    assert tuple(vision.load_image(png_of(deep))[0, 0]) == (255, 255, 255)
    assert vision.load_image(png_of(deep), mode="L")[0, 0] == 255
    assert vision.load_image(encoded("PNG", mode="1", color=1), mode="L")[0, 0] == 255


def png_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_jpeg_draft_decodes_at_a_reduced_scale_no_smaller_than_the_hint() -> None:
    raw = encoded("JPEG", size=(1600, 1200))
    full = vision.load_image(raw)
    small = vision.load_image(raw, size_hint=(224, 224))
    assert full.shape == (1200, 1600, 3)
    assert small.shape == (300, 400, 3)  # 1/4 scale: 1/8 would be under 224 high
    assert vision.load_image(raw, size_hint=(2000, 2000)).shape == full.shape
    assert vision.load_image(raw, mode="L", size_hint=(100, 100)).shape == (150, 200)
    png_raw = encoded("PNG", size=(1600, 1200))
    assert vision.load_image(png_raw, size_hint=(224, 224)).shape == (1200, 1600, 3)


def test_the_hint_follows_the_exif_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored 1600x800, shown 800 wide and 1600 high
    out = io.BytesIO()
    Image.new("RGB", (1600, 800), RED).save(out, format="JPEG", exif=exif.tobytes())
    assert vision.load_image(out.getvalue(), size_hint=(200, 400)).shape == (400, 200, 3)


def test_encode_image() -> None:
    array = np.zeros((10, 20, 3), dtype=np.uint8)
    array[:, :10] = (255, 0, 0)
    jpeg = vision.encode_image(array)
    assert jpeg.startswith(b"\xff\xd8\xff")
    assert np.array_equal(vision.load_image(vision.encode_image(array, "PNG")), array)
    rgba = np.zeros((10, 20, 4), dtype=np.uint8)
    assert vision.load_image(vision.encode_image(rgba, "jpg"))[0, 0, 0] > 250  # over white
    floats = np.full((5, 5), 300.0)
    assert vision.load_image(vision.encode_image(floats, "PNG"), mode="L")[0, 0] == 255
    image = Image.new("RGB", (8, 8), RED)
    assert vision.encode_image(image, "WEBP")[8:12] == b"WEBP"


def test_import_modelport_stays_stdlib_only() -> None:
    """The SDK imported as ``modelport``, as workers import it (``worker.main.SdkFinder``)."""
    assert guest.vision.load_image is vision.load_image
    sdk = str(Path(guest.__file__).parent)
    code = (
        "import importlib.util as u, sys;"
        f"spec = u.spec_from_file_location('modelport', {sdk!r} + '/__init__.py',"
        f" submodule_search_locations=[{sdk!r}]);"
        "module = u.module_from_spec(spec); sys.modules['modelport'] = module;"
        "spec.loader.exec_module(module);"
        "import modelport.vision;"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('PIL', 'numpy')]"
    )
    import subprocess

    subprocess.run([sys.executable, "-I", "-c", code], check=True)


def test_errors_reach_the_caller_as_input_errors() -> None:
    with pytest.raises(vision.ImageError) as caught:
        vision.load_image(b"")
    message, kind, _ = failure(caught.value)
    assert kind == "InputError"
    assert message == "not an image: the input is empty (0 bytes)"

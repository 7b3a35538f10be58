"""``?render=true``: the call's input image with the algorithm's result drawn on it.

Detections (``{"detections": [{label, class_id, confidence, xmin, ymin, xmax, ymax}]}``)
become boxes with ``label confidence`` on a filled tag, one colour per class; a
classification (``{"predictions": [...], "label", "score"}``) becomes a banner with the top
label and score. Runs in a thread (Pillow is imported on first use: the ``vision`` extra).

The input is decoded by the platform's image *loader*: ``modelport.vision.load_image`` (every
input form: bytes, base64, data URI, JSON object, URL), which the composition root puts on
``Platform.image_loader``. It lives in the guest SDK under ``modelport.adapters``, which
``http`` may not import (``lint-imports``), hence the parameter. Without one, only raw image
bytes render.
"""

from __future__ import annotations

import importlib.util
import io
import zlib
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from modelport.errors import InvalidInput

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

Loader = Callable[[object], "Image.Image"]
"""An input (bytes, text or JSON data) to an RGB PIL image; refusals have
``error_type == "InputError"`` (``modelport.vision.ImageError``)."""

FORMATS = {"true": "JPEG", "1": "JPEG", "jpeg": "JPEG", "jpg": "JPEG", "png": "PNG"}
MEDIA = {"JPEG": b"image/jpeg", "PNG": b"image/png"}
NEEDS_VISION = "rendering needs modelport[vision] (Pillow) installed in the gateway"
PALETTE = [
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
    (0, 128, 128), (220, 190, 255), (170, 110, 40), (255, 250, 200), (128, 0, 0),
    (170, 255, 195), (128, 128, 0), (255, 215, 180), (0, 0, 128), (128, 128, 128),
]  # fmt: skip


def render_format(value: str) -> str | None:
    """``render=`` as a PIL format, ``None`` for false; refuses other values."""
    value = value.strip().lower()
    if value in ("", "false", "0", "no"):
        return None
    found = FORMATS.get(value)
    if found is None:
        raise InvalidInput(f"render must be true, false, jpeg or png, got {value!r}")
    if not has_pillow():
        raise InvalidInput(NEEDS_VISION)
    return found


@cache
def has_pillow() -> bool:
    return importlib.util.find_spec("PIL") is not None


def drawable(result: object) -> bool:
    """Whether a result is a detection or classification result to draw."""
    if not isinstance(result, dict):
        return False
    return isinstance(result.get("detections"), list) or (
        isinstance(result.get("predictions"), list) or isinstance(result.get("label"), str)
    )


def render(value: object, result: dict[str, Any], fmt: str, loader: Loader | None = None) -> bytes:
    """The input image with ``result`` drawn on it, encoded as ``fmt`` (JPEG or PNG)."""
    image = _load(value, loader)
    if isinstance(result.get("detections"), list):
        draw_detections(image, result["detections"])
    else:
        draw_classification(image, result)
    out = io.BytesIO()
    image.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def _load(value: object, loader: Loader | None) -> Image.Image:
    try:
        if loader is not None:
            image = loader(value)
        elif isinstance(value, bytes):
            image = _plain(value)
        else:
            raise InvalidInput("cannot render this input: send the image's bytes")
    except InvalidInput:
        raise
    except Exception as exc:
        if getattr(exc, "error_type", None) == "InputError" or isinstance(exc, OSError):
            raise InvalidInput(f"cannot render the input: {exc}") from None
        raise
    return image if image.mode == "RGB" else image.convert("RGB")


def _plain(raw: bytes) -> Image.Image:
    """Raw image bytes, oriented like the workers see them (no loader installed)."""
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(raw))
    image.load()
    return ImageOps.exif_transpose(image).convert("RGB")


def colour(detection: dict[str, Any]) -> tuple[int, int, int]:
    """One colour per class: by ``class_id``, else by a hash of the label."""
    key = detection.get("class_id")
    if not isinstance(key, int) or isinstance(key, bool):
        key = zlib.crc32(str(detection.get("label", "")).encode())
    return PALETTE[key % len(PALETTE)]


def draw_detections(image: Image.Image, detections: list[Any]) -> None:
    from PIL import ImageDraw

    width, height = image.size
    draw = ImageDraw.Draw(image)
    font = _font(max(10, min(width, height) // 30))
    line = max(1, round(min(width, height) / 200))
    for found in detections:
        box = _box(found, width, height)
        if box is None:
            continue
        xmin, ymin, xmax, ymax = box
        fill = colour(found)
        draw.rectangle((xmin, ymin, xmax, ymax), outline=fill, width=line)
        text = _caption(found)
        if text:
            _tag(draw, font, text, (xmin, ymin), fill, (width, height))


def draw_classification(image: Image.Image, result: dict[str, Any]) -> None:
    from PIL import ImageDraw

    top = result
    predictions = result.get("predictions")
    if (
        not isinstance(result.get("label"), str)
        and predictions
        and isinstance(predictions[0], dict)
    ):
        top = predictions[0]
    text = _caption({"label": top.get("label"), "confidence": top.get("score")})
    width, height = image.size
    draw = ImageDraw.Draw(image)
    font = _font(max(10, min(width, height) // 20))
    left, upper, _, lower = draw.textbbox((0, 0), text, font=font)
    pad = max(2, (lower - upper) // 4)
    banner = min(height, lower - upper + 2 * pad)
    draw.rectangle((0, 0, width - 1, banner - 1), fill=(0, 0, 0))
    draw.text((pad - left, pad - upper), text, fill=(255, 255, 255), font=font)


def _box(found: object, width: int, height: int) -> tuple[int, int, int, int] | None:
    if not isinstance(found, dict):
        return None
    try:
        xmin, ymin, xmax, ymax = (float(found[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
    except (KeyError, TypeError, ValueError):
        return None
    left, top = max(0, round(xmin)), max(0, round(ymin))
    right, bottom = min(width - 1, round(xmax)), min(height - 1, round(ymax))
    if right < left or bottom < top:
        return None
    return left, top, right, bottom


def _caption(found: dict[str, Any]) -> str:
    label = found.get("label")
    text = "" if label is None else str(label)
    score = found.get("confidence", found.get("score"))
    if isinstance(score, int | float) and not isinstance(score, bool):
        text = f"{text} {score:.2f}".strip()
    return text


def _tag(
    draw: ImageDraw.ImageDraw,
    font: Font,
    text: str,
    at: tuple[int, int],
    fill: tuple[int, int, int],
    size: tuple[int, int],
) -> None:
    """``text`` on a filled tag above the box's corner (inside when there is no room)."""
    left, upper, right, lower = draw.textbbox((0, 0), text, font=font)
    pad = 2
    tag_w, tag_h = right - left + 2 * pad, lower - upper + 2 * pad
    x = max(0, min(at[0], size[0] - tag_w))
    y = at[1] - tag_h if at[1] - tag_h >= 0 else at[1]
    y = max(0, min(y, size[1] - tag_h))
    draw.rectangle((x, y, x + tag_w - 1, y + tag_h - 1), fill=fill)
    ink = (0, 0, 0) if sum(fill) > 382 else (255, 255, 255)
    draw.text((x + pad - left, y + pad - upper), text, fill=ink, font=font)


@cache
def _font(size: int) -> Font:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # no FreeType: the fixed bitmap font
        return ImageFont.load_default()

"""``?render=true``: the call's input image with the algorithm's result drawn on it.

Detections (``{"detections": [{label, class_id, confidence, xmin, ymin, xmax, ymax}]}``)
become boxes with ``label confidence`` on a filled tag, one colour per class; a
classification (``{"predictions": [...], "label", "score"}``) becomes a banner with the top
label and score. Runs in a thread. Needs Pillow (the ``vision`` extra); without it
``?render=true`` is refused with :data:`NEEDS_VISION`.
What is drawn (colours, captions, boxes) is ``modelport.core.overlays``, shared with
``modelport stream``, which draws the same with OpenCV.

The input is decoded by the platform's image *loader*: ``modelport.vision.load_image`` (every
input form: bytes, base64, data URI, JSON object, URL), which the composition root puts on
``Platform.image_loader`` (it refuses URLs and ``data://`` files, which the gateway never
fetches). Without one, only raw image bytes render.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from modelport.core.overlays import banner, box, caption, colour, drawable, ink
from modelport.errors import InvalidInput

try:
    from PIL import Image, ImageDraw, ImageFont, ImageOps

    PILLOW = True
except ImportError:  # the vision extra; nothing here runs without it
    PILLOW = False

if TYPE_CHECKING:
    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

Loader = Callable[[object], "Image.Image"]
"""An input (bytes, text or JSON data) to an RGB PIL image; refusals have
``error_type == "InputError"`` (``modelport.vision.ImageError``)."""

__all__ = [
    "FORMATS",
    "MEDIA",
    "NEEDS_VISION",
    "Loader",
    "colour",
    "draw_classification",
    "draw_detections",
    "drawable",
    "has_pillow",
    "render",
    "render_format",
]

FORMATS = {"true": "JPEG", "1": "JPEG", "jpeg": "JPEG", "jpg": "JPEG", "png": "PNG"}
MEDIA = {"JPEG": b"image/jpeg", "PNG": b"image/png"}
NEEDS_VISION = "rendering needs modelport[vision] (Pillow) installed in the gateway"


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


def has_pillow() -> bool:
    return PILLOW


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

    image = Image.open(io.BytesIO(raw))
    image.load()
    return ImageOps.exif_transpose(image).convert("RGB")


def draw_detections(image: Image.Image, detections: list[Any]) -> None:

    width, height = image.size
    draw = ImageDraw.Draw(image)
    font = _font(max(10, min(width, height) // 30))
    line = max(1, round(min(width, height) / 200))
    for found in detections:
        found_box = box(found, width, height)
        if found_box is None:
            continue
        xmin, ymin, xmax, ymax = found_box
        fill = colour(found)
        draw.rectangle((xmin, ymin, xmax, ymax), outline=fill, width=line)
        text = caption(found)
        if text:
            _tag(draw, font, text, (xmin, ymin), fill, (width, height))


def draw_classification(image: Image.Image, result: dict[str, Any]) -> None:

    text = banner(result)
    width, height = image.size
    draw = ImageDraw.Draw(image)
    font = _font(max(10, min(width, height) // 20))
    left, upper, _, lower = draw.textbbox((0, 0), text, font=font)
    pad = max(2, (lower - upper) // 4)
    strip = min(height, lower - upper + 2 * pad)
    draw.rectangle((0, 0, width - 1, strip - 1), fill=(0, 0, 0))
    draw.text((pad - left, pad - upper), text, fill=(255, 255, 255), font=font)


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
    draw.text((x + pad - left, y + pad - upper), text, fill=ink(fill), font=font)


@cache
def _font(size: int) -> Font:

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # no FreeType: the fixed bitmap font
        return ImageFont.load_default()

"""Images from any input form, decoded one way for every vision algorithm::

    import modelport.vision

    def apply(input):
        pixels = modelport.vision.load_image(input, size_hint=(224, 224))  # HxWx3 uint8 RGB

``load_image`` takes raw image bytes, base64 text (as bytes or ``str``, URL-safe or not,
line-wrapped or not), a ``data:image/...;base64,...`` URI, an ``http(s)://`` URL (see
``fetch``), a ``data://`` file, a JSON object (or its text) with one of the keys ``image``,
``url``, ``base64``, ``data``, or a request object with an ``.input``. The format is sniffed
from the first bytes (JPEG, PNG, WebP, GIF, BMP, TIFF), the EXIF orientation applied, alpha
composited over white, and the pixels converted to ``RGB``, ``BGR`` or ``L`` (grayscale).

Limits, read at each call: ``MODELPORT_MAX_IMAGE_BYTES`` (default 20 MiB) and
``MODELPORT_MAX_IMAGE_PIXELS`` (default 40 megapixels, checked against the header before any
pixel is decoded). Every refusal is an ``ImageError`` (``error_type`` ``InputError``, so the
caller gets the message), of a subclass naming what was wrong. Pillow and numpy are imported
when first needed: ``import modelport`` stays standard-library only.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from typing import TYPE_CHECKING, Literal, overload

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL import Image

    Pixels = npt.NDArray[np.uint8]
    Size = tuple[int, int]

__all__ = [
    "FetchError",
    "ForbiddenAddressError",
    "ImageError",
    "ImageTooLargeError",
    "NotAnImageError",
    "TruncatedImageError",
    "encode_image",
    "load_image",
]

MiB = 1 << 20
DEFAULT_MAX_BYTES = 20 * MiB
DEFAULT_MAX_PIXELS = 40_000_000
_TRANSPOSED = (5, 6, 7, 8)  # EXIF orientations that swap width and height


class ImageError(Exception):
    """An input that is not a usable image; callers see ``InputError`` with the message."""

    error_type = "InputError"


class NotAnImageError(ImageError):
    """The bytes are not in an image format (or the text is none of the accepted forms)."""


class TruncatedImageError(ImageError):
    """The image data ends early or is corrupt."""


class ImageTooLargeError(ImageError):
    """Over ``MODELPORT_MAX_IMAGE_BYTES`` or ``MODELPORT_MAX_IMAGE_PIXELS``."""


class FetchError(ImageError):
    """A URL that could not be fetched: unreachable, timed out, or answered an error."""


class ForbiddenAddressError(FetchError):
    """A URL whose host is (or redirects to) an address workers may not reach."""


def max_bytes() -> int:
    """``MODELPORT_MAX_IMAGE_BYTES``, else 20 MiB."""
    return _limit("MODELPORT_MAX_IMAGE_BYTES", DEFAULT_MAX_BYTES)


def max_pixels() -> int:
    """``MODELPORT_MAX_IMAGE_PIXELS``, else 40 megapixels."""
    return _limit("MODELPORT_MAX_IMAGE_PIXELS", DEFAULT_MAX_PIXELS)


def too_large(limit: int) -> ImageTooLargeError:
    amount = f"{limit // MiB} MiB" if limit % MiB == 0 else f"{limit} bytes"
    return ImageTooLargeError(f"image is over {amount} (MODELPORT_MAX_IMAGE_BYTES)")


@overload
def load_image(
    value: object,
    *,
    mode: str = ...,
    size_hint: Size | None = ...,
    as_array: Literal[True] = ...,
    remote: bool = ...,
) -> Pixels: ...
@overload
def load_image(
    value: object,
    *,
    mode: str = ...,
    size_hint: Size | None = ...,
    as_array: Literal[False],
    remote: bool = ...,
) -> Image.Image: ...
def load_image(
    value: object,
    *,
    mode: str = "RGB",
    size_hint: Size | None = None,
    as_array: bool = True,
    remote: bool = True,
) -> Pixels | Image.Image:
    """The image in ``value`` as an HxWx3 (``RGB``, ``BGR``) or HxW (``L``) uint8 array.

    ``as_array=False`` gives a PIL image instead (``RGB`` or ``L``). ``size_hint=(w, h)`` is
    the size the model needs: a JPEG is then decoded at a reduced scale (1/2, 1/4 or 1/8)
    that stays at least that large, which is several times faster for small model inputs;
    the result is not resized to the hint. ``remote=False`` refuses URLs and ``data://``
    files, in every form and at every depth: only images sent in ``value`` itself are drawn
    (the gateway's ``?render=true``, which must never fetch).
    """
    if mode not in ("RGB", "BGR", "L"):
        raise ValueError(f"mode must be 'RGB', 'BGR' or 'L', not {mode!r}")
    if mode == "BGR" and not as_array:
        raise ValueError("mode 'BGR' needs as_array=True (PIL images are RGB)")
    if size_hint is not None and (len(size_hint) != 2 or min(size_hint) < 1):
        raise ValueError(f"size_hint must be (width, height) of positive ints, not {size_hint}")
    from .fetch import image_bytes  # fetch imports this module: import it once this one is

    image = decode(image_bytes(value, remote=remote), "L" if mode == "L" else "RGB", size_hint)
    if not as_array:
        return image
    import numpy as np

    pixels = np.asarray(image, dtype=np.uint8)
    if mode == "BGR":
        pixels = np.ascontiguousarray(pixels[..., ::-1])
    return pixels


def encode_image(image: object, format: str = "JPEG", quality: int = 90) -> bytes:
    """A uint8 array (HxW, HxWx3 RGB, HxWx4 RGBA) or PIL image encoded as JPEG, PNG, WEBP..."""
    from PIL import Image

    if not isinstance(image, Image.Image):
        import numpy as np

        array = np.asarray(image)
        if array.dtype != np.uint8:
            array = np.clip(array, 0, 255).astype(np.uint8)
        image = Image.fromarray(array)
    if format.upper() in ("JPEG", "JPG") and image.mode not in ("RGB", "L", "CMYK"):
        image = _flatten(image) if _has_alpha(image) else image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG" if format.upper() == "JPG" else format, quality=quality)
    return out.getvalue()


def sniff(raw: bytes) -> str | None:
    """The PIL format name the magic bytes announce, or ``None``."""
    if raw.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "WEBP"
    if raw[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if raw[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if raw[:2] == b"BM" and len(raw) >= 18 and raw[14] in (12, 16, 40, 52, 56, 64, 108, 124):
        return "BMP"
    return None


def decode(raw: bytes, mode: str, size_hint: Size | None = None) -> Image.Image:
    """Sniffed, size-checked, decoded, oriented and converted to ``mode`` (RGB or L)."""
    from PIL import Image, ImageOps

    kind = sniff(raw)
    if kind is None:
        raise not_an_image(raw)
    limit = max_pixels()
    try:
        with warnings.catch_warnings():  # the pixel limit below is ours; PIL's is wider
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(raw), formats=[kind])
    except Image.DecompressionBombError:
        raise ImageTooLargeError(f"image is too large: over {_megapixels(limit)}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise TruncatedImageError(f"truncated image: cannot read the {kind} header") from exc
    stored = image.size
    if kind == "JPEG":
        image.draft(mode, _oriented(image, size_hint))  # decode at 1/2, 1/4, 1/8 scale
    drafted = image.size != stored
    width, height = image.size
    if width * height > limit:
        raise ImageTooLargeError(
            f"image is too large: {width}x{height} pixels is over {_megapixels(limit)}"
        )
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = str(exc) or type(exc).__name__
        message = f"truncated image: the {kind} data is cut or corrupt ({reason})"
        raise TruncatedImageError(message) from exc
    with warnings.catch_warnings():  # a corrupt EXIF block is no reason to refuse the pixels
        warnings.simplefilter("ignore")
        # exif_transpose copies even an upright image: only a turned one goes through it
        if _orientation(image) not in (None, 1):
            with contextlib.suppress(OSError, SyntaxError, ValueError, KeyError, TypeError):
                image = ImageOps.exif_transpose(image)
    image = _convert(image, mode)
    if drafted:  # decoded smaller: say how large it is, for coordinates in the original
        turned = (image.size[0] > image.size[1]) != (width > height)
        image.info["original_size"] = (stored[1], stored[0]) if turned else stored
    return image


def _convert(image: Image.Image, mode: str) -> Image.Image:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = _eight_bit(image)
    if _has_alpha(image):
        image = _flatten(image)
    if image.mode == mode:
        return image
    if image.mode != "RGB" and mode == "L" and image.mode not in ("1", "P"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB... go through RGB
    return image.convert(mode)


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit grayscale scaled to 0..255 (by the range the values use)."""
    import numpy as np
    from PIL import Image

    values = np.asarray(image).astype(np.float64)
    top = float(values.max()) if values.size else 0.0
    scale = 255.0 if top <= 1.0 and image.mode == "F" else 255.0 / 65535.0 if top > 255 else 1.0
    return Image.fromarray(np.clip(values * scale, 0, 255).astype(np.uint8), "L")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def _flatten(image: Image.Image) -> Image.Image:
    """Alpha composited over white."""
    from PIL import Image

    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _oriented(image: Image.Image, size_hint: Size | None) -> Size | None:
    """The hint in the stored orientation: swapped when EXIF turns the image by 90°."""
    if size_hint is None:
        return None
    return (size_hint[1], size_hint[0]) if _orientation(image) in _TRANSPOSED else size_hint


def _orientation(image: Image.Image) -> int | None:
    """The EXIF orientation (1 is upright); ``None`` when absent or unreadable."""
    try:
        value = image.getexif().get(0x0112)
    except (OSError, SyntaxError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, int) else None


def not_an_image(raw: bytes, what: str = "the bytes", reveal: bool = True) -> NotAnImageError:
    """Why ``raw`` is no image; ``reveal=False`` (a stored file) says nothing of its content:
    the message may reach someone who could not read the file."""
    plural = what.endswith("bytes")
    if not raw:
        return NotAnImageError(f"not an image: {what} {'are' if plural else 'is'} empty (0 bytes)")
    if not reveal:
        return NotAnImageError(f"not an image: {what} ({len(raw)} bytes) is in no known format")
    start = raw[:16]
    if start.lstrip()[:1] == b"<":
        looks = "looks like HTML or XML"
    elif start.startswith(b"%PDF"):
        looks = "a PDF"
    elif start.startswith(b"PK\x03\x04"):
        looks = "a zip archive"
    elif is_text(raw[:256]):
        looks = "looks like text"
    else:
        looks = "no known image format"
    verb = "start" if plural else "starts"
    return NotAnImageError(f"not an image: {what} {verb} with {start!r} ({looks})")


def is_text(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # a character cut at the end of the sample is fine
        text = raw[: exc.start].decode("utf-8") if exc.start >= len(raw) - 3 else "\x00"
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def _megapixels(limit: int) -> str:
    return f"{limit / 1e6:g} megapixels (MODELPORT_MAX_IMAGE_PIXELS)"


def _limit(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {text!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be positive, not {value}")
    return value

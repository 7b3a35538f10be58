"""A corpus of hostile inputs: each a precise ``ImageError``, with memory bounded."""

from __future__ import annotations

import base64
import re
import resource
import time

import numpy as np
import pytest

from modelport import vision

from .images import encoded, png_bomb


def refused(value: object, kind: type[vision.ImageError], match: str, **options: object) -> str:
    with pytest.raises(kind, match=match) as caught:
        vision.load_image(value, **options)  # type: ignore[call-overload]
    assert caught.value.error_type == "InputError"
    return str(caught.value)


def test_empty_input() -> None:
    refused(b"", vision.NotAnImageError, r"^not an image: the input is empty \(0 bytes\)$")
    refused("", vision.NotAnImageError, "empty")
    refused(b"  \n", vision.NotAnImageError, r"empty \(3 bytes\)")


def test_truncated_images() -> None:
    jpeg = encoded("JPEG", size=(256, 256), quality=95)
    refused(jpeg[: len(jpeg) // 2], vision.TruncatedImageError, r"^truncated image: the JPEG")
    png = encoded("PNG", size=(256, 256))
    refused(png[: len(png) // 2], vision.TruncatedImageError, r"^truncated image: the PNG")
    refused(b"\xff\xd8\xff", vision.TruncatedImageError, "cannot read the JPEG header")
    refused(png[:20], vision.TruncatedImageError, "cannot read the PNG header")


def test_not_images() -> None:
    text = b"This is a plain text file that someone named photo.jpg\n"
    message = refused(text, vision.NotAnImageError, r"^not an image: the text starts with")
    assert message.endswith("(looks like text)")
    refused(b"<html><body>Not found</body></html>", vision.NotAnImageError, "HTML or XML")
    refused(b"%PDF-1.7\n\x00\x01\x02", vision.NotAnImageError, r"bytes start with .*\(a PDF\)")
    message = refused(b"\x00\x01\x02\x03" * 8, vision.NotAnImageError, "no known image format")
    assert message.startswith("not an image: the bytes start with b'\\x00\\x01")
    refused(12, vision.NotAnImageError, "got int")
    refused({"picture": "x"}, vision.NotAnImageError, "needs one of the keys")
    refused(
        {"image": {"image": {"image": {"image": {"image": "x"}}}}}, vision.NotAnImageError, "nests"
    )
    refused('{"image": ', vision.NotAnImageError, "not valid JSON")
    refused("ftp://example.com/cat.jpg", vision.FetchError, "ftp URLs are not supported")
    refused("file:///etc/passwd", vision.FetchError, "file URLs are not supported")


def test_base64_with_junk() -> None:
    good = base64.b64encode(encoded("PNG")).decode()
    refused(
        good[:40] + "!!junk##" + good[40:],
        vision.NotAnImageError,
        r"invalid base64 \(unexpected b'!' at position 40\)",
    )
    refused(good + "A", vision.NotAnImageError, "not a base64 length")
    junk = base64.b64encode(b"just some bytes, no image at all").decode()
    refused(junk, vision.NotAnImageError, "the base64 data starts with b'just some")
    refused("data:image/png;base64," + junk, vision.NotAnImageError, "the base64 data starts")
    refused(
        "data:image/png,hello%20there",
        vision.NotAnImageError,
        "the data URI starts with b'hello there'",
    )
    refused("data:image/png;base64", vision.NotAnImageError, "needs a comma")


def test_byte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (256, 256, 3), dtype=np.uint8)
    raw = vision.encode_image(noise, "PNG")
    assert len(raw) > 1000
    monkeypatch.setenv("MODELPORT_MAX_IMAGE_BYTES", "1000")
    message = refused(raw, vision.ImageTooLargeError, r"^image is over 1000 bytes")
    refused(base64.b64encode(raw).decode(), vision.ImageTooLargeError, re.escape(message))
    refused(b"x" * 10_000, vision.ImageTooLargeError, "over 1000 bytes")  # oversized text
    monkeypatch.setenv("MODELPORT_MAX_IMAGE_BYTES", str(20 << 20))
    assert vision.load_image(raw).shape == (256, 256, 3)
    monkeypatch.delenv("MODELPORT_MAX_IMAGE_BYTES")
    big = b"\xff\xd8\xff" + bytes(20 << 20)
    refused(big, vision.ImageTooLargeError, r"^image is over 20 MiB")
    monkeypatch.setenv("MODELPORT_MAX_IMAGE_BYTES", "lots")
    with pytest.raises(ValueError, match="MODELPORT_MAX_IMAGE_BYTES must be a whole number"):
        vision.load_image(raw)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@pytest.mark.parametrize("side", [30_000, 10_000, 8_000])
def test_png_bombs_are_refused_before_decoding(side: int) -> None:
    """30000² is past PIL's own limit, 10000² in its warning range, 8000² only past ours."""
    bomb = png_bomb(side, side)
    assert len(bomb) < 200_000
    before, start = peak_rss_mib(), time.monotonic()
    refused(bomb, vision.ImageTooLargeError, r"^image is too large: .*over 40 megapixels")
    assert time.monotonic() - start < 1.0
    assert peak_rss_mib() - before < 200


def test_the_pixel_limit_is_configurable_and_counts_the_draft_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELPORT_MAX_IMAGE_PIXELS", "500000")
    raw = encoded("JPEG", size=(1000, 1000))
    refused(raw, vision.ImageTooLargeError, r"1000x1000 pixels is over 0\.5 megapixels")
    assert vision.load_image(raw, size_hint=(200, 200)).shape == (250, 250, 3)
    monkeypatch.setenv("MODELPORT_MAX_IMAGE_PIXELS", str(10**8))
    assert vision.load_image(png_bomb(1000, 1000), mode="L").shape == (1000, 1000)

"""Images for vision algorithms: ``modelport.vision.load_image(input, size_hint=(224, 224))``.

The same functions workers get when modelport is not installed in the build's environment:
every input form (raw bytes, base64, data URI, http(s) URL, ``data://`` file, JSON object)
decoded one way, with limits on bytes and pixels and guarded URL fetches. Needs the
``vision`` extra (Pillow, numpy) when called.
"""

from modelport.sdk.vision import (
    FetchError,
    ForbiddenAddressError,
    ImageError,
    ImageTooLargeError,
    NotAnImageError,
    TruncatedImageError,
    encode_image,
    load_image,
)

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

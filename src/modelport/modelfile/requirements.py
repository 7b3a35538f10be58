"""What a generated algorithm's environment installs, read partly from the model file."""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import zlib
from pathlib import Path

OPENCV = "opencv-python-headless>=4.10,<5"


def sklearn_version(model: Path) -> str | None:
    """The scikit-learn version that pickled ``model``, when the file names it.

    Estimators pickle ``_sklearn_version``; joblib's compressed files are opened first.
    """
    data = model.read_bytes()
    for opener in (
        lambda raw: raw,
        zlib.decompress,
        gzip.decompress,
        lzma.decompress,
        bz2.decompress,
    ):
        try:
            text = opener(data)
        except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError):
            continue  # not this compression: try the next
        found = re.search(
            rb"_sklearn_version.{1,16}?(\d+\.\d+(?:\.\d+)?(?:\.?post\d+)?)", text, re.S
        )
        if found:
            return found[1].decode("ascii")
    return None


def requirements(model: Path, template: str, features: str | None) -> list[str]:
    """What the generated algorithm's environment installs."""
    if template == "tensor":
        return ["onnxruntime", "numpy"]
    if template in ("image_classification", "object_detection"):
        return ["onnxruntime", "numpy", "pillow"]
    if template == "opencv_dnn":
        return [OPENCV, "numpy", "pillow"]
    out = []
    if template == "sklearn":
        version = sklearn_version(model)
        out += [f"scikit-learn=={version}" if version else "scikit-learn", "joblib"]
    if template == "opencv_svm" or features == "hog-digits":
        out.append(OPENCV)
    out.append("numpy")
    if features not in (None, "raw", "pixels"):
        out.append("pillow")
    return out

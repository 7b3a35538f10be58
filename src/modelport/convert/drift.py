"""How far a converted or optimised model's outputs drift from the original's.

Shared by ``modelport convert`` and ``modelport optimize`` (``modelport.convert.to_onnx`` and
``modelport.convert.optimize``): the numbers, the gate that refuses past a tolerance, the
``<output>.drift.json`` record, and modelport's classifier preprocessing for sample images.
Needs numpy (and Pillow for images): the ``vision`` extra.

>>> import numpy as np
>>> d = compare([np.array([[1.0, 2.0], [3.0, 0.0]])], [np.array([[1.0, 2.5], [1.0, 2.0]])])
>>> d.max_abs_diff, d.top1_agreement
(2.0, 0.5)

A flip between two classes the original model could hardly tell apart is not what the gate is
for: any rounding, FP16's included, flips some of those. Samples where the original's top
class leads its runner-up by less than ``near_tie`` (in probability) are near-ties; the gate
counts agreement on the others, the decisive samples:

>>> before = np.array([[0.50, 0.48, 0.02], [0.9, 0.05, 0.05]])
>>> after = np.array([[0.48, 0.50, 0.02], [0.9, 0.05, 0.05]])
>>> d = compare([before], [after])
>>> d.top1_agreement, d.decisive_samples, d.decisive_agreement
(0.5, 1, 1.0)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from PIL import Image

Array = npt.NDArray[Any]
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CROP_RATIO = 0.875
NEAR_TIE = 0.1  # the original's top class leading by less (in probability): a near-tie


class DriftExceeded(Exception):
    """The converted model's outputs are too far from the original's; nothing was written."""

    def __init__(self, message: str, drift: Drift) -> None:
        super().__init__(message)
        self.message = message
        self.drift = drift


@dataclass
class Drift:
    """Outputs before and after, compared on ``samples`` inputs.

    ``top1_agreement`` is over all samples; ``decisive_agreement`` over the
    ``decisive_samples`` where the original's top class led by ``near_tie`` or more. All are
    ``None`` when the outputs are not class scores, the last three when agreement is on labels
    (scikit-learn's ``predict``), and ``decisive_agreement`` when no sample was decisive.
    """

    samples: int
    max_abs_diff: float
    mean_abs_diff: float
    top1_agreement: float | None
    inputs: str = "random"
    operation: str = ""
    near_tie: float | None = None
    decisive_samples: int | None = None
    decisive_agreement: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gated_agreement(self) -> tuple[float | None, str]:
        """The agreement the gate reads, and what it was counted on."""
        if self.decisive_agreement is not None:
            return self.decisive_agreement, f"the {self.decisive_samples} decisive samples"
        return self.top1_agreement, f"all {self.samples} samples"

    def check(self, tolerance: float | None, min_agreement: float | None) -> None:
        """Raise :class:`DriftExceeded` past the tolerance or under the agreement."""
        self.extra["tolerance"] = tolerance
        self.extra["min_agreement"] = min_agreement
        problems = []
        if tolerance is not None and not self.max_abs_diff <= tolerance:
            problems.append(f"max abs diff {self.max_abs_diff:.3g} > --tolerance {tolerance:g}")
        agreement, counted = self.gated_agreement
        if min_agreement is not None and agreement is not None and agreement < min_agreement:
            problems.append(
                f"top-1 agreement {agreement:.2%} on {counted} < --min-agreement {min_agreement:g}"
            )
        if problems:
            raise DriftExceeded("refused: " + "; ".join(problems) + " (nothing written)", self)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("extra"))
        return data

    def write(self, output: Path) -> Path:
        """``model.onnx`` -> ``model.drift.json`` beside it; its path."""
        path = drift_path(output)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path


def drift_path(output: Path) -> Path:
    return output.with_suffix(".drift.json")


def is_scores(output: Array) -> bool:
    """Class scores: a batch of vectors of two or more classes."""
    return output.ndim == 2 and output.shape[1] > 1


def compare(
    before: Sequence[Array],
    after: Sequence[Array],
    *,
    inputs: str = "random",
    near_tie: float = NEAR_TIE,
) -> Drift:
    """Max and mean absolute difference over all outputs; top-1 agreement on the first, over
    all samples and over the decisive ones (the original's lead at least ``near_tie``)."""
    if len(before) != len(after):
        raise ValueError(f"{len(before)} outputs before, {len(after)} after")
    diffs = []
    for one, other in zip(before, after, strict=True):
        b, a = np.asarray(one, dtype=np.float64), np.asarray(other, dtype=np.float64)
        if b.size != a.size:
            raise ValueError(f"output shapes differ: {b.shape} before, {a.shape} after")
        diffs.append(np.abs(b.reshape(-1) - a.reshape(-1)))
    every = np.concatenate(diffs) if diffs else np.zeros(0)
    if np.isnan(every).any():
        every = np.where(np.isnan(every), np.inf, every)
    first_b, first_a = np.asarray(before[0]), np.asarray(after[0])
    drift = Drift(
        samples=len(first_b),
        max_abs_diff=float(every.max()) if every.size else 0.0,
        mean_abs_diff=float(every.mean()) if every.size else 0.0,
        top1_agreement=None,
        inputs=inputs,
    )
    if is_scores(first_b):
        agree = _agrees(first_b.argmax(1), first_a.reshape(first_b.shape))
        ranked = np.sort(probabilities(first_b), axis=1)
        decisive = ranked[:, -1] - ranked[:, -2] >= near_tie
        drift.top1_agreement = _share(agree)
        drift.near_tie = near_tie
        drift.decisive_samples = int(decisive.sum())
        if decisive.any():
            drift.decisive_agreement = _share(agree[decisive])
    return drift


def top1_agreement(labels: Array, after: Array) -> float:
    """How often ``after`` (labels, or scores to argmax) picks ``labels``."""
    return _share(_agrees(labels, after))


def _agrees(labels: Array, after: Array) -> Array:
    """Per sample, whether ``after`` (labels, or scores to argmax) picks ``labels``."""
    picked = after.argmax(1) if after.ndim == 2 else after.reshape(-1)
    return np.asarray(np.asarray(labels).reshape(-1) == picked)


def _share(agree: Array) -> float:
    """The fraction of samples that agree (1.0 when there are none)."""
    return float(agree.mean()) if len(agree) else 1.0


def probabilities(scores: Array) -> Array:
    """Softmax over the last axis, unless the rows already are probabilities."""
    x = np.asarray(scores, dtype=np.float64)
    if x.min() >= 0 and x.max() <= 1 and np.allclose(x.sum(-1), 1, atol=1e-3):
        return x
    e = np.exp(x - x.max(-1, keepdims=True))
    return np.asarray(e / e.sum(-1, keepdims=True))


def cpu_session(model: Path | bytes, *, optimized: Path | None = None) -> Any:
    """An ONNX Runtime CPU session with its warnings silenced, the one convert's and
    optimize's steps run models on; with ``optimized``, ONNX Runtime's basic graph
    optimisations are applied and the graph they give written there while it loads."""

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if optimized is not None:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(optimized)
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def image_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(2, "not a folder", str(folder))
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise FileNotFoundError(2, "no images (.png, .jpg, ...) in the folder", str(folder))
    return files


def load_images(
    folder: Path, width: int, height: int, *, layout: str = "NCHW", limit: int | None = None
) -> Array:
    """The images in ``folder`` as a float32 batch, preprocessed like modelport's classifier:
    the shorter side resized to size/0.875, the centre cropped, ImageNet mean and std."""

    arrays = []
    for path in image_files(folder)[:limit]:
        with Image.open(path) as opened:
            picture = opened.convert("RGB")
        w, h = picture.size
        r = max(width, height) / CROP_RATIO / min(w, h)
        rw, rh = max(width, round(w * r)), max(height, round(h * r))
        left, top = (rw - width) // 2, (rh - height) // 2
        sx, sy = w / rw, h / rh  # resample only the box the crop keeps, as the classifier does
        box = (left * sx, top * sy, (left + width) * sx, (top + height) * sy)
        picture = picture.resize((width, height), Image.Resampling.BILINEAR, box=box)
        arrays.append(np.asarray(picture, dtype=np.float32) / 255.0)
    mean, std = np.asarray(IMAGENET_MEAN, np.float32), np.asarray(IMAGENET_STD, np.float32)
    batch = (np.stack(arrays) - mean) / std
    if layout == "NCHW":
        batch = batch.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(batch, dtype=np.float32)


def parse_shape(text: str) -> tuple[int, ...]:
    """``"1,3,224,224"`` -> ``(1, 3, 224, 224)``.

    >>> parse_shape("1, 3,64,64")
    (1, 3, 64, 64)
    """
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"expected comma-separated sizes like 1,3,224,224, got {text!r}") from None
    if not shape or any(n <= 0 for n in shape):
        raise ValueError(f"sizes must be positive, got {text!r}")
    return shape

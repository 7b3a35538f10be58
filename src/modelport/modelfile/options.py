"""What a model file's deploy flags say: ``ModelOptions`` (checked, and turned into the
generated algorithm's ``settings.json``), ``--mean``/``--std`` numbers, and the default name."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelport.core.names import check_algorithm_name
from modelport.errors import InvalidInput

TASKS = {
    "image-classification": "image_classification",
    "object-detection": "object_detection",
    "tensor": "tensor",
}
FORMATS = ("ssd", "yolo")
RESIZES = ("crop", "stretch", "letterbox")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True, slots=True)
class ModelOptions:
    """What ``settings.json`` tells the generated algorithm; ``None`` means the task's default."""

    task: str
    name: str
    labels: list[str] | None = None
    top_k: int = 5
    input_size: int | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    scale: float | None = None  # ONNX images: the divisor (255); features: the range's top (1)
    channels: str = "RGB"
    layout: str | None = None
    resize: str | None = None
    format: str = "ssd"
    threshold: float = 0.4
    iou: float = 0.45
    box_order: str = "yxyx"
    class_offset: int = 0
    max_detections: int = 100
    batch_size: int = 16
    batch_wait_ms: int = 5
    # one worker per core (at most 4): decoding one image overlaps inference on another
    replicas: int = field(default_factory=lambda: min(4, os.cpu_count() or 1))
    features: str | None = None
    config: Path | None = None  # cv2.dnn: the network's description (.pbtxt, .prototxt)

    def settings(self, model_file: str) -> dict[str, Any]:
        """The generated algorithm's ``settings.json``."""
        detection = self.task == "object-detection"
        default_mean = (0.0, 0.0, 0.0) if detection else IMAGENET_MEAN
        default_std = (1.0, 1.0, 1.0) if detection else IMAGENET_STD
        out: dict[str, Any] = {
            "task": self.task,
            "model": model_file,
            "labels": "labels.txt",
            "input_size": self.input_size,
            "resize": self.resize or ("stretch" if detection else "crop"),
            "crop_ratio": 0.875,
            "scale": 255.0 if self.scale is None else self.scale,
            "mean": list(self.mean or default_mean),
            "std": list(self.std or default_std),
            "channels": self.channels,
            "layout": self.layout,
        }
        if detection:
            out.update(
                format=self.format,
                threshold=self.threshold,
                iou=self.iou,
                box_order=self.box_order,
                class_offset=self.class_offset,
                max_detections=self.max_detections,
            )
        else:
            out["top_k"] = self.top_k
        return out

    def check(self) -> None:
        check_algorithm_name(self.name)
        if self.scale is not None and not self.scale > 0:
            raise InvalidInput("--scale must be positive")
        if self.task not in TASKS:
            raise InvalidInput(f"unknown task {self.task!r}: use {' or '.join(TASKS)}")
        choices = {
            "format": (self.format, FORMATS),
            "resize": (self.resize or "crop", RESIZES),
            "channels": (self.channels, ("RGB", "BGR")),
            "layout": (self.layout or "NCHW", ("NCHW", "NHWC")),
            "box order": (self.box_order, ("yxyx", "xyxy")),
        }
        for what, (value, allowed) in choices.items():
            if value not in allowed:
                raise InvalidInput(f"unknown {what} {value!r}: use {' or '.join(allowed)}")
        for what, values in (("mean", self.mean), ("std", self.std)):
            if values is not None and len(values) not in (1, 3):
                raise InvalidInput(f"--{what} takes 1 or 3 numbers, got {len(values)}")
        if self.std is not None and 0.0 in self.std:
            raise InvalidInput("--std values must not be 0")
        if self.top_k < 1 or (self.input_size is not None and self.input_size < 1):
            raise InvalidInput("--top-k and --input-size must be positive")
        if not 0.0 <= self.threshold <= 1.0 or not 0.0 <= self.iou <= 1.0:
            raise InvalidInput("--threshold and --iou must be between 0 and 1")


def parse_floats(text: str) -> tuple[float, ...]:
    """``"0.485,0.456,0.406"`` as numbers.

    >>> parse_floats("0.5, 0.25,1")
    (0.5, 0.25, 1.0)
    """
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InvalidInput(f"expected comma-separated numbers, got {text!r}") from None


def default_name(model: Path) -> str:
    """An algorithm name from a model file's name.

    >>> default_name(Path("models/mobilenet-v2.onnx"))
    'mobilenet_v2'
    """
    name = re.sub(r"\W+", "_", model.stem).strip("_")
    return name if name[:1].isalpha() else f"model_{name}".rstrip("_")

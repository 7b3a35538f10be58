"""Deploy a model file with no code: generate an algorithm folder around it.

``modelport deploy mobilenet_v2.onnx --task image-classification --labels imagenet.txt``
writes a normal algorithm folder (``modelport.yaml``, the model, ``labels.txt``,
``settings.json``, ``algorithm.py`` and ``onnx_model.py`` from the templates in
``modelport/templates/image_classification`` or ``object_detection``) and deploys it like
any other folder, so builds, environments, batching and versions work unchanged.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> model = folder / "m.onnx"
>>> _ = model.write_bytes(b"onnx")
>>> options = ModelOptions(task="image-classification", name="tiny", labels=["a", "b"])
>>> sorted(p.name for p in generate(model, options, folder / "tiny").iterdir())
['algorithm.py', 'labels.txt', 'model.onnx', 'modelport.yaml', 'onnx_model.py', 'settings.json']
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from modelport.core.names import check_algorithm_name
from modelport.errors import InvalidInput

TASKS = {"image-classification": "image_classification", "object-detection": "object_detection"}
FORMATS = ("ssd", "yolo")
RESIZES = ("crop", "stretch", "letterbox")
MODEL_SUFFIXES = (".onnx",)
SHARED = ("image_classification", "onnx_model.py.tmpl")  # used by both tasks
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
    scale: float = 255.0
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
            "scale": self.scale,
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


def is_model_file(path: Path) -> bool:
    """Whether ``path`` is a model file to wrap, not an algorithm folder."""
    return path.is_file() and path.suffix.lower() in MODEL_SUFFIXES


def parse_floats(text: str) -> tuple[float, ...]:
    """``"0.485,0.456,0.406"`` as numbers.

    >>> parse_floats("0.5, 0.25,1")
    (0.5, 0.25, 1.0)
    """
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise InvalidInput(f"expected comma-separated numbers, got {text!r}") from None


def read_labels(path: Path) -> list[str]:
    """Labels from a text file (one a line), a JSON list, or a JSON object of index → name.

    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "labels.json"
    >>> _ = file.write_text('{"1": "dog", "0": "cat"}')
    >>> read_labels(file)
    ['cat', 'dog']
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise InvalidInput(f"no labels file {path}") from None
    if path.suffix.lower() != ".json":
        return [line.strip() for line in text.splitlines() if line.strip()]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from None
    if isinstance(data, list):
        return [_label(item) for item in data]
    if isinstance(data, dict):
        try:
            pairs = sorted((int(key), _label(value)) for key, value in data.items())
        except ValueError:
            raise InvalidInput(f"{path}: the keys must be class indexes") from None
        labels = [str(i) for i in range(pairs[-1][0] + 1)] if pairs else []
        for index, name in pairs:
            labels[index] = name
        return labels
    raise InvalidInput(f"{path}: expected a list of labels or an object of index to label")


def _label(value: Any) -> str:
    if isinstance(value, list) and value:  # e.g. ["n01440764", "tench"]: the name is last
        value = value[-1]
    return " ".join(str(value).split())


def generate(model: Path, options: ModelOptions, target: Path) -> Path:
    """Write the algorithm folder for ``model`` into ``target`` (created); ``target``."""
    options.check()
    if not model.is_file():
        raise InvalidInput(f"no model file {model}")
    target.mkdir(parents=True, exist_ok=True)
    model_file = "model" + model.suffix.lower()
    shutil.copyfile(model, target / model_file)
    drift = model.with_suffix(".drift.json")  # written by `modelport convert` / `optimize`
    if drift.is_file():
        shutil.copyfile(drift, target / "drift.json")  # the build keeps the measured drift
    labels = options.labels or []
    (target / "labels.txt").write_text("".join(f"{label}\n" for label in labels), "utf-8")
    settings = options.settings(model_file)
    (target / "settings.json").write_text(json.dumps(settings, indent=2) + "\n", "utf-8")
    what = "classifier" if options.task == "image-classification" else "detector"
    values = {
        "name": options.name,
        "description": json.dumps(f"{model.name} as an image {what} (generated)"),
        "batch_size": str(options.batch_size),
        "batch_wait_ms": str(options.batch_wait_ms),
    }
    root = resources.files("modelport").joinpath("templates")
    sources = [f for f in root.joinpath(TASKS[options.task]).iterdir() if f.is_file()]
    if not any(f.name == SHARED[1] for f in sources):
        sources.append(root.joinpath(*SHARED))
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        (target / source.name.removesuffix(".tmpl")).write_text(text, "utf-8")
    return target


def default_name(model: Path) -> str:
    """An algorithm name from a model file's name.

    >>> default_name(Path("models/mobilenet-v2.onnx"))
    'mobilenet_v2'
    """
    name = re.sub(r"\W+", "_", model.stem).strip("_")
    return name if name[:1].isalpha() else f"model_{name}".rstrip("_")

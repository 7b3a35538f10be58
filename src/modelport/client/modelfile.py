"""Deploy a model file with no code: generate an algorithm folder around it.

``modelport deploy mobilenet_v2.onnx --task image-classification --labels imagenet.txt``
writes a normal algorithm folder (``modelport.yaml``, the model, ``labels.txt``,
``settings.json``, ``algorithm.py`` and ``onnx_model.py`` from the templates in
``modelport/templates/image_classification`` or ``object_detection``) and deploys it like
any other folder, so builds, environments, batching and versions work unchanged.

A TF frozen graph ``.pb`` or Caffe ``.caffemodel`` detector runs on cv2.dnn
(``templates/opencv_dnn``, with ``--config``, generated for TF-OD-API SSDs; see
:mod:`modelport.client.opencv_dnn`).

``--task tensor`` wraps an ONNX model as tensors in, tensors out (``templates/tensor``). A
scikit-learn ``.joblib`` (``templates/sklearn``) or OpenCV ``cv2.ml`` SVM ``.dat``
(``templates/opencv_svm``) is served behind a feature pipeline (``--features``: ``raw``,
``image:WxH-gray[-inverted]`` or ``hog-digits``). Loading a ``.joblib`` unpickles it, which
runs code from the file: deploying one trusts it exactly as loading it locally would.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> model = folder / "m.onnx"
>>> _ = model.write_bytes(b"onnx")
>>> options = ModelOptions(task="image-classification", name="tiny", labels=["a", "b"])
>>> tiny = generate(model, options, folder / "tiny")
>>> sorted(p.name for p in tiny.iterdir())  # doctest: +NORMALIZE_WHITESPACE
['algorithm.py', 'images.py', 'labels.txt', 'model.onnx', 'modelport.yaml', 'onnx_model.py',
 'settings.json']
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import re
import shutil
import zlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from modelport.client.opencv_dnn import is_dnn_model, with_background, write_config
from modelport.core.names import check_algorithm_name
from modelport.errors import InvalidInput

TASKS = {
    "image-classification": "image_classification",
    "object-detection": "object_detection",
    "tensor": "tensor",
}
FORMATS = ("ssd", "yolo")
RESIZES = ("crop", "stretch", "letterbox")
MODEL_SUFFIXES = (".onnx", ".joblib", ".dat", ".pb", ".caffemodel")
FEATURES = ("raw", "pixels", "image:WxH-gray[-inverted]", "hog-digits")
IMAGE_FEATURES = re.compile(r"image:([1-9]\d{0,3})x([1-9]\d{0,3})-gray(-inverted)?")
OPENCV = "opencv-python-headless>=4.10,<5"
# files a template takes from another: the ONNX session and image preprocessing, the detector
SHARED = {
    "image_classification": [("image_classification", "onnx_model.py.tmpl")],
    "object_detection": [("image_classification", "onnx_model.py.tmpl")],
    "opencv_dnn": [("object_detection", "algorithm.py.tmpl")],
    "opencv_svm": [("sklearn", "features.py.tmpl")],
}
IMAGES = ("image_classification", "images.py.tmpl")
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


def template_of(model: Path, options: ModelOptions) -> str:
    """The template folder for ``model`` with ``options`` (checked together).

    >>> template_of(Path("digits.joblib"), ModelOptions(task="tensor", name="d"))
    'sklearn'
    >>> template_of(Path("svm.dat"), ModelOptions(task="tensor", name="s", features="hog-digits"))
    'opencv_svm'
    """
    options.check()
    suffix = model.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        kinds = ", ".join(MODEL_SUFFIXES)
        raise InvalidInput(f"{model.name}: not a model file modelport can deploy ({kinds})")
    if options.config is not None and not is_dnn_model(model):
        raise InvalidInput("--config is for cv2.dnn models (.pb, .caffemodel)")
    if is_dnn_model(model):
        if options.task != "object-detection" or options.format != "ssd":
            raise InvalidInput(
                f"{model.name}: cv2.dnn models deploy as --task object-detection --format ssd"
            )
        if options.features is not None:
            raise InvalidInput("--features is for .joblib and .dat models")
        return "opencv_dnn"
    if suffix == ".onnx":
        if options.features is not None:
            raise InvalidInput("--features is for .joblib and .dat models, not ONNX")
        return TASKS[options.task]
    if options.task == "object-detection":
        raise InvalidInput(f"{model.name}: use --task tensor or image-classification")
    feature_spec(model, options)  # checks --features
    return "sklearn" if suffix == ".joblib" else "opencv_svm"


def feature_spec(model: Path, options: ModelOptions) -> str:
    """The feature pipeline: ``--features``, else the task's default.

    >>> feature_spec(Path("svm.dat"), ModelOptions(task="image-classification", name="s"))
    'hog-digits'
    >>> feature_spec(Path("m.joblib"), ModelOptions(task="tensor", name="m"))
    'raw'
    """
    spec = options.features
    if spec is None:
        if options.task == "tensor":
            return "raw"
        if model.suffix.lower() == ".dat":
            return "hog-digits"
        raise InvalidInput(
            f"{model.name} classifies images only behind a feature pipeline: pass --features"
            " image:WxH-gray[-inverted] (or --task tensor for plain feature vectors)"
        )
    if spec in ("raw", "pixels", "hog-digits") or IMAGE_FEATURES.fullmatch(spec):
        return spec
    raise InvalidInput(f"unknown --features {spec!r}: use {' or '.join(FEATURES)}")


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


def generate(model: Path, options: ModelOptions, target: Path) -> Path:
    """Write the algorithm folder for ``model`` into ``target`` (created); ``target``."""
    if not model.is_file():
        options.check()
        raise InvalidInput(f"no model file {model}")
    template = template_of(model, options)
    classic = template in ("sklearn", "opencv_svm")
    features = feature_spec(model, options) if classic else None
    target.mkdir(parents=True, exist_ok=True)
    model_file = "model" + model.suffix.lower()
    shutil.copyfile(model, target / model_file)
    drift = model.with_suffix(".drift.json")  # written by `modelport convert` / `optimize`
    if drift.is_file():
        shutil.copyfile(drift, target / "drift.json")  # the build keeps the measured drift
    labels = options.labels or []
    if template == "opencv_dnn":
        config, size, num_classes = write_config(model, options.config, target, options.input_size)
        labels = with_background(labels, num_classes)
    (target / "labels.txt").write_text("".join(f"{label}\n" for label in labels), "utf-8")
    if template == "tensor":
        settings: dict[str, Any] = {"task": "tensor", "model": model_file}
    elif classic:
        scale = 1.0 if options.scale is None else options.scale
        settings = {
            "task": options.task,
            "model": model_file,
            "labels": "labels.txt",
            "features": features,
            "scale": scale,
        }
    else:
        settings = options.settings(model_file)
    if template == "opencv_dnn":  # raw pixels unless told: TF-OD-API graphs scale their own
        scale = 1.0 if options.scale is None else options.scale
        settings.update(config=config, input_size=size, scale=scale, layout="NCHW")
    (target / "settings.json").write_text(json.dumps(settings, indent=2) + "\n", "utf-8")
    what = {
        "image_classification": "an image classifier",
        "object_detection": "an image detector",
        "opencv_dnn": "an image detector on cv2.dnn",
        "tensor": "a tensor model",
        "sklearn": f"a scikit-learn model (features {features})",
        "opencv_svm": f"an OpenCV SVM (features {features})",
    }[template]
    values = {
        "name": options.name,
        "description": json.dumps(f"{model.name} as {what} (generated)"),
        "batch_size": str(options.batch_size),
        "replicas": str(options.replicas),
        "batch_wait_ms": str(options.batch_wait_ms),
        "requirements": ", ".join(json.dumps(r) for r in requirements(model, template, features)),
        "features": str(features),
        "runtime": "dnn_model" if template == "opencv_dnn" else "onnx_model",
        "engine": "OpenCV's dnn module" if template == "opencv_dnn" else "an ONNX model",
    }
    root = resources.files("modelport").joinpath("templates")
    sources = [f for f in root.joinpath(template).iterdir() if f.is_file()]
    shared = SHARED.get(template, [])
    if template in ("image_classification", "object_detection", "opencv_dnn"):
        shared = [*shared, IMAGES]
    for folder, name in shared:
        if not any(f.name == name for f in sources):
            sources.append(root.joinpath(folder, name))
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

"""Which model files modelport deploys, which template serves each (with the options that
fit it), and the feature pipeline a classic (``.joblib``, ``.dat``) model sits behind."""

from __future__ import annotations

import re
from pathlib import Path

from modelport.errors import InvalidInput
from modelport.modelfile.opencv_dnn import is_dnn_model
from modelport.modelfile.options import TASKS, ModelOptions

MODEL_SUFFIXES = (".onnx", ".joblib", ".dat", ".pb", ".caffemodel")
FEATURES = ("raw", "pixels", "image:WxH-gray[-inverted]", "hog-digits")
IMAGE_FEATURES = re.compile(r"image:([1-9]\d{0,3})x([1-9]\d{0,3})-gray(-inverted)?")


def is_model_file(path: Path) -> bool:
    """Whether ``path`` is a model file to wrap, not an algorithm folder."""
    return path.is_file() and path.suffix.lower() in MODEL_SUFFIXES


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

"""Writing the algorithm folder around a model file, from ``modelfile/templates``.

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

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from modelport.errors import InvalidInput
from modelport.modelfile.kinds import feature_spec, template_of
from modelport.modelfile.opencv_dnn import with_background, write_config
from modelport.modelfile.options import ModelOptions
from modelport.modelfile.requirements import requirements

# files a template takes from another: the ONNX session and image preprocessing, the detector
SHARED = {
    "image_classification": [("image_classification", "onnx_model.py.tmpl")],
    "object_detection": [("image_classification", "onnx_model.py.tmpl")],
    "opencv_dnn": [("object_detection", "algorithm.py.tmpl")],
    "opencv_svm": [("sklearn", "features.py.tmpl")],
}
IMAGES = ("image_classification", "images.py.tmpl")


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
    root = resources.files("modelport.modelfile").joinpath("templates")
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

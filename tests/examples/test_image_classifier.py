"""examples/image-classifier: its README, run as written, builds a folder-per-class dataset
from scikit-image's photos, trains a small CNN, converts it to ONNX, deploys it with no code,
publishes it with a demo page, and answers the held-out gravel patch as gravel through the CLI
and signed out, as anyone with the demo link would."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.examples.readme import Block, run_readme
from tests.fixtures.server import Live

pytestmark = pytest.mark.slow

LABELS = ["brick", "grass", "gravel"]


def block(blocks: list[Block], command: str) -> str:
    """The output of the one block whose script contains ``command``."""
    (found,) = [b for b in blocks if command in b.script]
    return found.output


def documents(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def assert_gravel(result: dict[str, Any]) -> None:
    """`predict`-style: the label, its index and every class's probability, best first."""
    assert (result["label"], result["index"]) == ("gravel", 2), result
    predictions = result["predictions"]
    assert sorted(p["label"] for p in predictions) == LABELS
    assert all(LABELS[p["index"]] == p["label"] for p in predictions)
    scores = [p["score"] for p in predictions]
    assert scores == sorted(scores, reverse=True) and sum(scores) == pytest.approx(1, abs=1e-3)
    assert result["score"] == scores[0] > 0.5


def test_readme(live: Live, tmp_path: Path) -> None:
    blocks = run_readme("image-classifier", live, tmp_path)
    folder = tmp_path / "image-classifier"

    for split, count in (("train", 120), ("valid", 20)):
        for label in LABELS:
            assert len(list((folder / "textures" / split / label).glob("*.png"))) == count

    accuracy = re.search(r"held-out accuracy: ([\d.]+)", block(blocks, "python train.py"))
    assert accuracy and float(accuracy[1]) >= 0.9
    assert (folder / "labels.txt").read_text() == "brick\ngrass\ngravel\n"
    converted = block(blocks, "modelport convert")
    assert re.search(r"top-1 agreement\s+100\.00%\n", converted), converted
    assert re.search(r"decisive \(lead >= 0\.1\)\s+100\.00% of \d+\n", converted), converted

    published = block(blocks, "modelport publish")
    assert "Published admin/textures 0.1.0 (public)" in published
    assert f"Demo:  {live.url}/demo/admin/textures" in published

    assert_gravel(json.loads(block(blocks, "modelport call admin/textures -f gravel.jpg")))

    signed_out, demo = documents(block(blocks, "curl"))  # no Authorization header
    assert_gravel(signed_out["result"])
    assert signed_out["metadata"]["content_type"] == "json"
    assert demo["version"] == "0.1.0"
    assert demo["interface"] == {"input": "image", "output": "classification"}
    assert f"Open {live.url}/demo/admin/textures" in block(blocks, "curl")

    algorithm = live.http.get("/v1/algorithms/admin/textures").json()
    assert algorithm["settings"]["demo"] is True
    page = httpx.get(f"{live.url}/demo/admin/textures")  # signed out, as from the link
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]

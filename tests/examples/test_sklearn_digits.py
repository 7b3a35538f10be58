"""examples/sklearn-digits: its README, run as written, trains the classifier, uploads it,
deploys a classifier that calls a preprocessing algorithm, and answers the picture of a 2 with
2 through the CLI and the demo's curl commands, by version and by build hash."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sklearn

from tests.examples.readme import Block, run_readme
from tests.fixtures.server import Live

pytestmark = pytest.mark.slow


def block(blocks: list[Block], command: str) -> str:
    """The output of the one block whose script contains ``command``."""
    (found,) = [b for b in blocks if command in b.script]
    return found.output


def answers(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_readme(live: Live, tmp_path: Path) -> None:
    blocks = run_readme("sklearn-digits", live, tmp_path)

    trained = block(blocks, "python train.py")
    accuracy = re.search(r"held-out accuracy: ([\d.]+)", trained)
    assert accuracy and float(accuracy[1]) >= 0.9
    pin = f"scikit-learn=={sklearn.__version__}"
    assert pin in trained
    folder = tmp_path / "sklearn-digits"
    assert (folder / "digits_recognition" / "requirements.txt").read_text() == pin + "\n"

    assert "Published admin/image_preprocess 1.0.0" in block(blocks, "deploy image_preprocess/")

    published = block(blocks, "modelport build digits_recognition/")
    build = published.splitlines()[0]
    assert re.fullmatch(r"[0-9a-f]{40}", build), published
    assert f"Published admin/digits_recognition 1.0.0 (private) from build {build}" in published

    assert (
        block(blocks, 'modelport call admin/digits_recognition/1.0.0 -i \'{"base64"').strip() == "2"
    )

    by_version = answers(block(blocks, "digits_recognition?timeout=300"))
    by_hash = answers(block(blocks, "digits_recognition/${BUILD}?timeout=300"))
    for answer in by_version + by_hash:
        assert answer["result"] == 2
        assert answer["metadata"]["content_type"] == "json"
    assert len(by_version) == len(by_hash) == 1

    refused = block(blocks, '\'{"image": "x"}\'')
    assert refused.startswith('InputError: expected {"url": "https://..."} or {"base64": "..."}')

    # the nested call really happened: image_preprocess was called once per digits call
    stats = live.http.get("/v1/algorithms/admin/image_preprocess").json()["stats"]
    assert stats["calls"] >= 3, stats

"""examples/opencv-digits: its README, run as written, trains the HOG + SVM, uploads it,
deploys, publishes 1.0.0 and answers the known digits through the CLI, curl and the
unmodified ``algorithmia`` client."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.examples.readme import Block, run_readme
from tests.fixtures.server import Live

pytestmark = pytest.mark.slow


def block(blocks: list[Block], command: str) -> str:
    """The output of the one block whose script contains ``command``."""
    (found,) = [b for b in blocks if command in b.script]
    return found.output


def predictions(text: str) -> list[int]:
    return [int(d) for d in re.findall(r"""["']prediction["']:\s*(\d+)""", text)]


def test_readme(live: Live, tmp_path: Path) -> None:
    blocks = run_readme("opencv-digits", live, tmp_path)

    accuracy = re.search(r"held-out accuracy: ([\d.]+)", block(blocks, "python train.py"))
    assert accuracy and float(accuracy[1]) >= 0.9
    assert (tmp_path / "opencv-digits" / "svm_data.dat").read_text().startswith("%YAML")

    listing = block(blocks, "modelport data ls")
    assert "svm_data.dat" in listing and "zero.png" in listing

    published = block(blocks, "modelport publish")
    assert re.search(r"Deployed admin/opencv_digits build [0-9a-f]{40}", published)
    assert "Published admin/opencv_digits 1.0.0" in published

    # data:// zero.png (label 0), base64 two.png and raw two.png (label 2)
    assert predictions(block(blocks, "modelport call admin/opencv_digits/1.0.0 -i")) == [0, 2, 2]

    refused = block(blocks, "--url http://127.0.0.1")
    assert refused.startswith("InputError: forbidden address: 127.0.0.1 is loopback"), refused

    answers = [
        json.loads(line) for line in block(blocks, "curl").splitlines() if line.startswith("{")
    ]
    assert [a["result"] for a in answers] == [{"prediction": 0}, {"prediction": 2}]
    assert all(a["metadata"]["content_type"] == "json" for a in answers)

    assert block(blocks, "import Algorithmia").strip() == "{'prediction': 0}"

    versions = live.http.get("/v1/algorithms/admin/opencv_digits/versions").json()["results"]
    assert [v["version_info"]["semantic_version"] for v in versions] == ["1.0.0"]

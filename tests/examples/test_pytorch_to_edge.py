"""examples/pytorch-to-edge: its README, run as written, exports the divide-by-two model and
gets half its input back, trains and exports a digits CNN, makes it FP16 with its drift
printed, and streams a generated clip through the API into an annotated video and JSON lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.examples.readme import Block, run_readme
from tests.fixtures.server import Live

pytestmark = pytest.mark.slow
cv2 = pytest.importorskip("cv2")
pytest.importorskip("torch")


def block(blocks: list[Block], command: str) -> str:
    """The output of the one block whose script contains ``command``."""
    (found,) = [b for b in blocks if command in b.script]
    return found.output


def first_json(text: str) -> object:
    """The first JSON object in a block's output (stderr's progress lines follow it)."""
    return json.JSONDecoder().raw_decode(text[text.index("{") :])[0]


def test_readme(live: Live, tmp_path: Path) -> None:
    blocks = run_readme("pytorch-to-edge", live, tmp_path)
    folder = tmp_path / "pytorch-to-edge"

    halved = {"outputs": {"output": [[[[1.0, 2.0], [3.0, 4.0]]]]}}
    called = block(blocks, "modelport call admin/divide")
    assert first_json(called) == halved
    curl = block(blocks, "curl")
    assert first_json(curl)["result"] == halved  # type: ignore[index]

    optimised = block(blocks, "modelport optimize")
    drift = re.search(r"max abs diff\s+([\d.e+-]+)", optimised)
    assert drift and float(drift[1]) < 0.05, optimised
    assert re.search(r"top-1 agreement\s+(9\d|100)\.\d+%", optimised), optimised
    assert "Drift recorded in digits_cnn.fp16.drift.json" in optimised

    truth = json.loads((folder / "truth.json").read_text())
    capture = cv2.VideoCapture(str(folder / "annotated.mp4"))
    frames = 0
    while capture.read()[0]:
        frames += 1
    capture.release()
    assert frames == len(truth) == 80

    lines = [json.loads(x) for x in (folder / "out.jsonl").read_text().splitlines()]
    assert [x["frame"] for x in lines] == list(range(len(truth)))
    assert all(x["result"]["label"] in "0123456789" for x in lines)
    right = sum(x["result"]["label"] == str(t) for x, t in zip(lines, truth, strict=True))
    assert right >= 0.8 * len(truth), right
    streamed = block(blocks, "modelport stream")
    assert f"Streamed {len(truth)} frames" in streamed and "frames/s" in streamed
    print(streamed.strip().splitlines()[-1] if streamed.strip() else "")

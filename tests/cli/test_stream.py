"""``modelport stream`` and the ordered pipeline under it, against a stand-in server.

The clip's frames are flat grey levels that name their own index, so the stand-in server
knows which frame each JPEG is, answers in a shuffled order (random delays, several calls in
flight) and fails some frames; the video and JSON lines must still come out in frame order.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from modelport.cli.main import main
from modelport.client.calls import AlgorithmError
from modelport.stream.pipeline import ordered

cv2 = pytest.importorskip("cv2")

SIZE = (64, 48)  # width, height
FRAMES = 12


def level(index: int) -> int:
    return 10 + 18 * index


def index_of(jpeg: bytes) -> int:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    return round((float(image.mean()) - 10) / 18)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10.0, SIZE)
    for i in range(FRAMES):
        writer.write(np.full((SIZE[1], SIZE[0], 3), level(i), np.uint8))
    writer.release()
    return path


class Server:
    """Answers ``POST /v1/algo/...`` with the frame's index as a classification, after a
    random delay; frames in ``failing`` get an algorithm error."""

    def __init__(self, failing: frozenset[int] = frozenset(), interrupt_at: int | None = None):
        self.failing = failing
        self.interrupt_at = interrupt_at
        self.lock = threading.Lock()
        self.running = self.most = self.calls = 0
        self.rng = random.Random(7)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/algo/alice/classifier"
        assert request.headers["content-type"] == "application/octet-stream"
        index = index_of(request.content)
        if index == self.interrupt_at:
            raise KeyboardInterrupt
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
            delay = self.rng.uniform(0, 0.03)
        time.sleep(delay)
        with self.lock:
            self.running -= 1
        if index in self.failing:
            error = {"message": f"frame {index} is bad", "error_type": "InputError"}
            return httpx.Response(200, json={"error": error})
        result = {"label": f"frame{index}", "score": 0.5, "predictions": []}
        return httpx.Response(200, json={"result": result, "metadata": {"content_type": "json"}})


def stream(server: Server, *args: str | Path) -> tuple[int, str]:
    import contextlib
    import io

    err = io.StringIO()
    argv = ["stream", "--algo", "alice/classifier", *map(str, args)]
    with contextlib.redirect_stderr(err):
        code = main(argv, transport=httpx.MockTransport(server))
    return code, err.getvalue()


def read_video(path: Path) -> list[Any]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    return frames


def test_results_come_back_in_frame_order_with_calls_in_flight(clip: Path, tmp_path: Path):
    server = Server(failing=frozenset({3, 7}))
    out, lines = tmp_path / "annotated.mp4", tmp_path / "out.jsonl"
    code, err = stream(server, "--source", clip, "--out", out, "--jsonl", lines)
    assert code == 0, err
    assert server.most > 1  # calls overlapped
    records = [json.loads(line) for line in lines.read_text().splitlines()]
    assert [r["frame"] for r in records] == list(range(FRAMES))
    assert [r["time"] for r in records[:3]] == [0.0, 0.1, 0.2]
    for r in records:
        if r["frame"] in (3, 7):
            assert r["error"] == {
                "error_type": "InputError",
                "message": f"frame {r['frame']} is bad",
            }
            assert "result" not in r
        else:
            assert r["result"]["label"] == f"frame{r['frame']}"
    frames = read_video(out)
    assert len(frames) == FRAMES
    assert frames[0].shape == (SIZE[1], SIZE[0], 3)
    # the banner is drawn on frames with a result, not on failed ones
    assert frames[5][:4].mean() < 30  # a black strip on top
    assert abs(float(frames[5][-8:].mean()) - level(5)) < 12
    assert abs(float(frames[3][:4].mean()) - level(3)) < 12
    assert f"Streamed {FRAMES} frames" in err and "2 failed" in err and "frames/s" in err


def test_every_and_max_frames(clip: Path, tmp_path: Path):
    server = Server()
    lines = tmp_path / "out.jsonl"
    code, err = stream(
        server, "--source", clip, "--jsonl", lines, "--every", "3", "--max-frames", "3"
    )
    assert code == 0, err
    assert [json.loads(x)["frame"] for x in lines.read_text().splitlines()] == [0, 3, 6]
    assert server.calls == 3


def test_fps_limit_paces_a_file(clip: Path, tmp_path: Path):
    started = time.monotonic()
    code, err = stream(Server(), "--source", clip, "--max-frames", "4", "--fps-limit", "20")
    assert code == 0, err
    assert time.monotonic() - started >= 3 / 20


def test_every_frame_failing_exits_1(clip: Path, tmp_path: Path):
    code, err = stream(
        Server(failing=frozenset(range(FRAMES))), "--source", clip, "--jsonl", tmp_path / "x"
    )
    assert code == 1
    assert f"{FRAMES} failed" in err


def test_ctrl_c_finishes_the_files(clip: Path, tmp_path: Path):
    server = Server(interrupt_at=6)
    out, lines = tmp_path / "annotated.mp4", tmp_path / "out.jsonl"
    code, err = stream(server, "--source", clip, "--out", out, "--jsonl", lines, "--in-flight", "1")
    assert code == 130
    assert "Interrupted after 6 frames" in err
    assert len(read_video(out)) == 6  # a finished, readable file
    assert len(lines.read_text().splitlines()) == 6


def test_a_missing_or_unreadable_source_is_a_clear_error(tmp_path: Path):
    code, err = stream(Server(), "--source", tmp_path / "nope.mp4", "--out", tmp_path / "o.mp4")
    assert code == 2
    assert "nope.mp4: no such file" in err
    junk = tmp_path / "junk.mp4"
    junk.write_text("not a video")
    code, err = stream(Server(), "--source", junk)
    assert code == 2
    assert "junk.mp4: cannot open it as a video" in err
    code, err = stream(Server(), "--source", "camera:x")
    assert code == 2
    assert "expected camera:N" in err
    assert not (tmp_path / "o.mp4").exists()


def test_without_opencv_the_error_says_what_to_install(clip: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "cv2", None)
    code, err = stream(Server(), "--source", clip)
    assert code == 2
    assert "pip install 'modelport[video]'" in err


def test_an_unknown_algorithm_stops_the_stream(clip: Path, tmp_path: Path):
    def missing(request: httpx.Request) -> httpx.Response:
        body = {"error": {"code": "algorithm_not_found", "message": "no algorithm alice/x"}}
        return httpx.Response(404, json=body)

    code, err = stream(missing, "--source", clip, "--out", tmp_path / "o.mp4")  # type: ignore[arg-type]
    assert code == 2
    assert "no algorithm alice/x" in err


def test_ordered_keeps_order_and_bounds_what_is_in_flight():
    lock = threading.Lock()
    state = {"running": 0, "most": 0}
    rng = random.Random(3)
    delays = [rng.uniform(0, 0.02) for _ in range(40)]

    def call(i: int) -> int:
        with lock:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
        time.sleep(delays[i])
        with lock:
            state["running"] -= 1
        if i % 10 == 9:
            raise AlgorithmError("odd one", "InputError")
        return i * i

    answers = list(ordered(call, range(40), in_flight=4))
    assert [a.index for a in answers] == list(range(40))
    assert [a.result for a in answers if a.ok] == [i * i for i in range(40) if i % 10 != 9]
    assert [a.error for a in answers if not a.ok] == [
        {"error_type": "InputError", "message": "odd one"}
    ] * 4
    assert 1 < state["most"] <= 4


def test_ordered_raises_what_would_fail_every_input_and_stops_reading():
    read: list[int] = []

    def items():
        for i in range(100):
            read.append(i)
            yield i

    def call(i: int) -> int:
        if i == 2:
            raise PermissionError("bad key")
        return i

    with pytest.raises(PermissionError):
        list(ordered(call, items(), in_flight=3))
    assert len(read) < 10

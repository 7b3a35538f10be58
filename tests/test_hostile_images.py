"""Hostile images through a real gateway and worker: each a precise InputError, and the
server, the worker and its memory survive (a normal image works after each)."""

from __future__ import annotations

import base64
import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from modelport.adapters.runtime.pool import WORKER
from modelport.cli.main import main
from tests.fixtures.server import Live
from tests.modelfile.models import colour_classifier, image
from tests.vision.images import png_bomb

pytestmark = pytest.mark.slow
LABELS = ["hostile-red", "hostile-green", "hostile-blue", "hostile-other"]
PEAK_LIMIT_KB = 600 * 1024
RED = (230, 20, 20)
JPEG = image(RED, size=(256, 192))


@pytest.fixture(scope="module")
def classifier(live: Live, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tiny colour classifier as a no-code model-file deployment: its call path."""
    folder = tmp_path_factory.mktemp("hostile")
    labels = folder / "labels.txt"
    labels.write_text("".join(f"{label}\n" for label in LABELS))
    model = colour_classifier(folder / "colours.onnx")
    argv = ["build", str(model), "--task", "image-classification", "--labels", str(labels)]
    argv += ["--name", "admin/hostile_colours", "--api", live.url, "--key", live.key]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, "--home", str(folder / "cli-home")])
    assert code == 0, (out.getvalue(), err.getvalue())
    return f"admin/hostile_colours/{out.getvalue().strip()}"


def post(live: Live, algorithm: str, body: bytes | dict[str, Any] | str) -> Any:
    if isinstance(body, bytes):
        headers = {"Content-Type": "application/octet-stream"}
        r = live.http.post(f"/v1/algo/{algorithm}", content=body, headers=headers)
    else:
        r = live.http.post(f"/v1/algo/{algorithm}", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    return data.get("result", data)


def worker_peaks() -> dict[int, int]:
    """VmHWM (kB) of this deployment's workers: processes running the worker script whose
    ``--source`` folder holds our labels."""
    peaks = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            if str(WORKER) not in argv or "--source" not in argv:
                continue
            source = Path(argv[argv.index("--source") + 1])
            if (source / "labels.txt").read_text().split() != LABELS:
                continue
            status = (entry / "status").read_text()
        except (OSError, IndexError):
            continue  # gone, or not ours
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks[int(entry.name)] = int(line.split()[1])
    return peaks


def hostile_corpus() -> list[tuple[str, bytes | dict[str, Any] | str, tuple[str, ...]]]:
    """(what, body, words the error message must contain)."""
    good = base64.b64encode(JPEG).decode()
    return [
        ("truncated JPEG", JPEG[: len(JPEG) // 2], ("truncated",)),
        ("0 bytes", b"", ("not an image", "empty")),
        ("30000x30000 PNG bomb", png_bomb(30_000, 30_000), ("too large", "pixels")),
        ("text named .jpg", b"This is a text file that someone named cat.jpg\n", ("not an image",)),
        ("base64 with junk", good[:40] + "!!junk##" + good[40:], ("not an image", "base64")),
        ("loopback URL", {"url": "http://127.0.0.1:1/x.jpg"}, ("forbidden address", "loopback")),
        (
            "cloud metadata URL",
            {"url": "http://169.254.169.254/latest/meta-data"},
            ("forbidden address", "link-local"),
        ),
    ]


def test_hostile_images_are_input_errors_and_the_worker_survives(
    live: Live, classifier: str
) -> None:
    assert post(live, classifier, JPEG)["label"] == "hostile-red"
    pids = set(worker_peaks())
    assert pids, "no worker process found for the deployment"
    for what, body, words in hostile_corpus():
        result = post(live, classifier, body)
        error = result.get("error") if isinstance(result, dict) else None
        assert error, (what, result)
        assert error["error_type"] == "InputError", (what, error)
        message = error["message"].lower()
        for word in words:
            assert word in message, (what, word, error["message"])
        after = post(live, classifier, JPEG)  # the server and the worker are still up
        assert after.get("label") == "hostile-red", (what, after)
    peaks = worker_peaks()
    assert set(peaks) == pids, f"the worker was restarted: {pids} -> {set(peaks)}"
    for pid, peak in peaks.items():
        assert peak < PEAK_LIMIT_KB, f"worker {pid} peaked at {peak // 1024} MB"

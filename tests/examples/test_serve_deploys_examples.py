"""``scripts/serve``'s background step: ``python examples/readme.py deploy NAME`` runs an
example's README once per home, against the server whose credentials it finds there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelport.config import Settings
from tests.fixtures.server import free_port, serving

pytestmark = pytest.mark.slow
RUNNER = Path(__file__).resolve().parents[2] / "examples" / "readme.py"


def deploy(home: Path, *names: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODELPORT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, str(RUNNER), "deploy", *names],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_an_example_is_deployed_once_per_home(tmp_path: Path) -> None:
    with serving(Settings(home=tmp_path, port=free_port())) as live:
        first = deploy(tmp_path, "opencv-digits")
        assert first.returncode == 0, first.stderr
        assert "example opencv-digits deployed in" in first.stderr
        assert (tmp_path / "examples" / "opencv-digits.done").is_file()
        assert (
            "Published admin/opencv_digits 1.0.0"
            in (tmp_path / "logs" / "examples" / "opencv-digits.log").read_text()
        )
        r = live.http.post("/v1/algo/admin/opencv_digits/1.0.0",
                           json={"image": "data://admin/opencv_digits/zero.png"})  # fmt: skip
        assert r.json()["result"] == {"prediction": 0}, r.text
        again = deploy(tmp_path, "opencv-digits")  # a restart: nothing runs twice
        assert (again.returncode, again.stderr) == (0, "")

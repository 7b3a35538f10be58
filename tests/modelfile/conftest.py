from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelport.cli.main import main
from tests.fixtures.server import Live

Deploy = Callable[..., str]
Call = Callable[..., Any]


@pytest.fixture(scope="session")
def deploy_model(live: Live, tmp_path_factory: pytest.TempPathFactory) -> Deploy:
    """``deploy_model(path, "--task", ...)``: ``modelport build`` (its stdout, the hash)."""
    home = tmp_path_factory.mktemp("cli-home")

    def run(path: Path, *flags: str, verb: str = "build") -> str:
        out, err = io.StringIO(), io.StringIO()
        argv = [verb, str(path), *flags, "--api", live.url, "--key", live.key]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, "--home", str(home)])
        assert code == 0, (out.getvalue(), err.getvalue())
        return out.getvalue().strip()

    return run


@pytest.fixture(scope="session")
def call(live: Live) -> Call:
    """``call("admin/name/sha", body)``: the result, or the error dict, of one call."""

    def run(algorithm: str, body: Any) -> Any:
        if isinstance(body, bytes):
            r = live.http.post(
                f"/v1/algo/{algorithm}",
                content=body,
                headers={"Content-Type": "application/octet-stream"},
            )
        else:
            r = live.http.post(f"/v1/algo/{algorithm}", json=body)
        assert r.status_code == 200, r.text
        data = r.json()
        return data.get("result", data)

    return run

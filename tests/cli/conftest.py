from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelport.cli.main import main
from tests.client.fake_api import ADDRESS, FakeApi


@pytest.fixture(autouse=True)
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A home whose credentials.json names alice on the fake server; no MODELPORT_* leaks in."""
    for name in ("MODELPORT_API_KEY", "MODELPORT_API"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    creds = {"api_address": ADDRESS, "api_key": "secret", "user": "alice"}
    (home / "credentials.json").write_text(json.dumps(creds))
    monkeypatch.setenv("MODELPORT_HOME", str(home))
    return home


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@dataclass
class Result:
    code: int
    out: bytes
    err: str

    @property
    def text(self) -> str:
        return self.out.decode()


class TtyInput(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


Cli = Callable[..., Result]


@pytest.fixture
def cli(
    api: FakeApi, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """``cli("call", "alice/digits", stdin=b"...")``: run main() against the fake server."""

    def run(*argv: str, stdin: bytes | None = b"") -> Result:
        fake = io.TextIOWrapper(io.BytesIO(stdin)) if stdin is not None else TtyInput(io.BytesIO())
        monkeypatch.setattr(sys, "stdin", fake)
        code = main(list(argv), transport=api.transport)
        out, err = capsysbinary.readouterr()
        return Result(code, out, err.decode())

    return run

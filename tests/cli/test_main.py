from __future__ import annotations

from pathlib import Path

import pytest

from modelport.cli.main import main
from modelport.cli.output import Progress, duration, seconds, table
from modelport.cli.serve import settings_from
from modelport.config import Settings
from tests.cli.conftest import Cli


def test_help_and_no_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "modelport deploy digits/" in capsys.readouterr().out
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_an_unknown_verb_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fly"]) == 2
    assert "invalid choice: 'fly'" in capsys.readouterr().err


def test_serve_builds_settings_and_calls_the_app(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[tuple[Settings, bool]] = []
    monkeypatch.setattr(
        "modelport.app.serve",
        lambda settings, *, examples=True: seen.append((settings, examples)),
    )
    monkeypatch.setenv("MODELPORT_PORT", "9001")
    assert (
        cli("serve", "--home", str(tmp_path / "h"), "--host", "0.0.0.0", "--no-examples").code == 0
    )
    settings, examples = seen[0]
    assert (settings.home, settings.host, settings.port, examples) == (
        tmp_path / "h",
        "0.0.0.0",
        9001,
        False,
    )
    assert cli("serve", "--port", "9002").code == 0
    assert (seen[1][0].port, seen[1][1]) == (9002, True)


def test_bad_settings_are_one_line(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPORT_PORT", "eighty")
    result = cli("serve")
    assert result.code == 2
    assert result.err.startswith("modelport: error: invalid settings: port:")


def test_settings_from_leaves_unset_flags_to_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MODELPORT_HOST", "10.0.0.1")
    import argparse

    assert settings_from(argparse.Namespace(home=None, host=None, port=None)).host == "10.0.0.1"


def test_table_aligns_columns() -> None:
    assert table(["A", "LONGER"], [["xyz", None], ["1", 2]]).splitlines() == [
        "A    LONGER",
        "xyz  -",
        "1    2",
    ]


def test_durations() -> None:
    assert seconds(0.04) == "0.0s"
    assert seconds(125) == "2m05s"
    assert duration("2026-11-21T17:00:00.000Z", "2026-11-21T17:01:03.000Z") == "1m03s"
    assert duration("2026-11-21T17:00:00.000Z", None) == "-"


class Sink:
    def __init__(self, tty: bool) -> None:
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass


def test_progress_lines_without_a_terminal() -> None:
    sink = Sink(tty=False)
    progress = Progress(sink, "digits/")  # type: ignore[arg-type]
    progress.upload(0, 2048)
    progress.upload(2048, 2048)
    progress.build({"status": "in-progress", "commit_sha": "a" * 40})
    progress.build({"status": "in-progress", "commit_sha": "a" * 40})
    progress.build({"status": "succeeded", "commit_sha": "a" * 40})
    lines = sink.text.splitlines()
    assert lines[0] == "Uploaded digits/ (2.0 KiB)"
    assert lines[1] == f"Building digits/ {'a' * 12}..."
    assert lines[2].startswith(f"Build {'a' * 12} succeeded (")
    assert len(lines) == 3


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    sink = Sink(tty=True)
    progress = Progress(sink, "digits/")  # type: ignore[arg-type]
    progress.upload(1024, 2048)
    assert sink.text.endswith("Uploading digits/  1.0 KiB / 2.0 KiB  50%")
    progress.close()
    assert sink.text.endswith("\n")

"""What a worker runs is what was built: the build's files are checked against its hash."""

from __future__ import annotations

import sys
from pathlib import Path

from modelport.adapters.runtime.pool import LocalRunner
from modelport.core.manifest import Manifest
from modelport.core.ports import Deployment
from modelport.core.sources import SourceFile, folder_hash, tree_hash
from modelport.services.sources import write_tree
from tests.adapters.runtime.harness import request, run, value

FILES = {
    "algorithm.py": SourceFile(
        b"from lib.answer import ANSWER\n\ndef apply(x):\n    return ANSWER\n"
    ),
    "lib/answer.py": SourceFile(b"ANSWER = 42\n"),
    "run.sh": SourceFile(b"#!/bin/sh\n", executable=True),
}


def test_a_tree_on_disk_hashes_as_it_did_when_uploaded(tmp_path: Path) -> None:
    write_tree(FILES, tmp_path / "build")
    assert folder_hash(tmp_path / "build") == tree_hash(FILES)
    (tmp_path / "build" / "lib" / "answer.py").write_bytes(b"ANSWER = 43\n")
    assert folder_hash(tmp_path / "build") != tree_hash(FILES)
    (tmp_path / "build" / "lib" / "answer.py").unlink()
    (tmp_path / "build" / "lib" / "answer.py").symlink_to("/etc/passwd")
    assert folder_hash(tmp_path / "build") is None


def test_a_build_changed_on_disk_is_not_run(tmp_path: Path) -> None:
    source = tmp_path / "build"
    write_tree(FILES, source)
    build = Deployment(
        "tests/verified@1", Path(sys.executable), source, Manifest(name="t"), tree_hash(FILES)
    )

    async def body(runner: LocalRunner) -> None:
        assert value(await runner.call(build, request(1))) == 42
        (source / "lib" / "answer.py").write_bytes(b"ANSWER = 'tampered'\n")
        await runner.stop(build.key)  # the next call starts a worker, which checks first
        result = await runner.call(build, request(1))
        assert result.error is not None and result.error.error_type == "LoadingError"
        assert "no longer match its hash" in result.error.message

    run(body)

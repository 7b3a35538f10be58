"""One suite for every ``Blobs``: on disk and in memory."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from modelport.adapters.blobs import DiskBlobs, MemoryBlobs
from modelport.core.ports import Blobs
from modelport.errors import InvalidInput, NotFound

KEY = "sources/0123456789abcdef0123456789abcdef01234567.tar.gz"


@pytest.fixture(params=["disk", "memory"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Blobs:
    return DiskBlobs(tmp_path / "blobs") if request.param == "disk" else MemoryBlobs()


def test_put_get_exists_delete(blobs: Blobs) -> None:
    assert not blobs.exists(KEY)
    blobs.put(KEY, b"\x00\x01binary\xff")
    assert blobs.exists(KEY)
    assert blobs.get(KEY) == b"\x00\x01binary\xff"
    blobs.put(KEY, b"replaced")
    assert blobs.get(KEY) == b"replaced"
    blobs.delete(KEY)
    assert not blobs.exists(KEY)
    blobs.delete(KEY)  # deleting a missing blob does nothing


def test_empty_blob(blobs: Blobs) -> None:
    blobs.put("empty", b"")
    assert blobs.exists("empty")
    assert blobs.get("empty") == b""


def test_get_missing_raises_not_found(blobs: Blobs) -> None:
    with pytest.raises(NotFound, match="missing/key"):
        blobs.get("missing/key")
    blobs.put("a/b", b"x")
    with pytest.raises(NotFound):
        blobs.get("a")  # a folder on disk, not a blob
    with pytest.raises(NotFound):
        blobs.get("a/b/c")  # below a blob
    assert not blobs.exists("a")


UNSAFE = ["", "/etc/passwd", "../x", "a/../../x", "a/..", "./a", "a/./b", ".", "a//b", "a/",
          "a\\b", "..\\x", "a\x00b"]  # fmt: skip


@pytest.mark.parametrize("key", UNSAFE)
def test_unsafe_keys_are_refused(blobs: Blobs, key: str) -> None:
    with pytest.raises(InvalidInput):
        blobs.put(key, b"x")
    with pytest.raises(InvalidInput):
        blobs.get(key)
    with pytest.raises(InvalidInput):
        blobs.exists(key)
    with pytest.raises(InvalidInput):
        blobs.delete(key)


def test_disk_layout_and_no_temp_files_left(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    blobs = DiskBlobs(root)
    blobs.put(KEY, b"one")
    blobs.put(KEY, b"two")
    blobs.put("builds/x/log.txt", b"log")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert files == ["builds/x/log.txt", KEY]
    assert (root / KEY).read_bytes() == b"two"


def test_failed_write_keeps_the_old_blob_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "blobs"
    blobs = DiskBlobs(root)
    blobs.put(KEY, b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        blobs.put(KEY, b"new")
    monkeypatch.undo()
    assert blobs.get(KEY) == b"old"
    assert [p.name for p in (root / "sources").iterdir()] == [Path(KEY).name]


def test_concurrent_writers_never_leave_a_torn_blob(blobs: Blobs) -> None:
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=blobs.put, args=(KEY, p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert blobs.get(KEY) in payloads


def test_memory_blobs_copy_what_they_are_given() -> None:
    blobs = MemoryBlobs()
    data = bytearray(b"abc")
    blobs.put("k", data)  # type: ignore[arg-type]
    data[0] = ord("z")
    assert blobs.get("k") == b"abc"

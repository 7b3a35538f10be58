"""``DiskBlobs`` beyond the shared suite: the files it leaves, and writers killed mid-write."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modelport.adapters.blobs import DiskBlobs

KEY = "data/alice/models/m.bin"
OLD = b"old model " * 1000

# A writer that we SIGKILL mid-write. "stall" modes freeze it inside the fsync that comes
# before the rename (deterministic); "race" kills it whenever the kill lands.
CHILD = r"""
import os, sys, time
from pathlib import Path
from modelport.adapters.blobs import DiskBlobs

blobs, how = DiskBlobs(Path(sys.argv[1])), sys.argv[2]
real_fsync = os.fsync

def stalled_fsync(fd):
    real_fsync(fd)
    print("writing", flush=True)
    time.sleep(600)

if how.startswith("stall"):
    os.fsync = stalled_fsync
new = b"new!" * (16 << 20)  # 64 MiB
if how.endswith("put_file"):
    source = blobs.staging() / ".upload-1.tmp"
    source.write_bytes(new)
    blobs.put_file(sys.argv[3], source)
else:
    if how == "race":
        print("writing", flush=True)
    blobs.put(sys.argv[3], new)
"""


def visible_files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".staging" not in p.relative_to(root).parts
    )


def kill_mid_write(root: Path, how: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(root), how, KEY],
                             stdout=subprocess.PIPE, env=env)  # fmt: skip
    assert child.stdout is not None
    with child.stdout:
        assert child.stdout.readline() == b"writing\n"
        child.send_signal(signal.SIGKILL)
        assert child.wait(30) == -signal.SIGKILL


@pytest.mark.parametrize("how", ["stall-put", "stall-put_file", "race-put"])
def test_a_writer_killed_mid_write_leaves_the_old_file(tmp_path: Path, how: str) -> None:
    root = tmp_path / "blobs"
    DiskBlobs(root).put(KEY, OLD)
    kill_mid_write(root, how.replace("race-put", "race"))
    blobs = DiskBlobs(root)
    got = blobs.get(KEY)
    if how.startswith("stall"):
        assert got == OLD
    else:  # the kill may land after the rename: either whole file, never a part
        assert got in (OLD, b"new!" * (16 << 20))
    assert visible_files(root) == [KEY]
    folders, files = blobs.list("data/alice/models")
    assert (folders, [(f.key, f.size) for f in files]) == ([], [("m.bin", len(got))])
    assert blobs.list("") == (["data"], [])


def test_old_staging_leftovers_are_swept_recent_ones_kept(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    DiskBlobs(root).put(KEY, OLD)
    kill_mid_write(root, "stall-put")
    staging = root / ".staging"
    (leftover,) = staging.iterdir()
    (staging / ".deleting-x").mkdir()
    (staging / ".deleting-x" / "f").write_bytes(b"x")
    recent = staging / ".upload-2.tmp"
    recent.write_bytes(b"an upload in progress")
    hours_ago = time.time() - 7200
    for path in (leftover, staging / ".deleting-x"):
        os.utime(path, (hours_ago, hours_ago))
    assert DiskBlobs(root).staging() == staging
    assert [p.name for p in staging.iterdir()] == [recent.name]


def test_disk_layout_and_no_temp_files_left(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    blobs = DiskBlobs(root)
    blobs.put(KEY, b"one")
    blobs.put(KEY, b"two")
    blobs.put_file("builds/x/log.txt", _staged(blobs, b"log"))
    blobs.make_folder("data/alice/empty/")
    assert visible_files(root) == ["builds/x/log.txt", KEY]
    assert (root / KEY).read_bytes() == b"two"
    assert (root / "data/alice/empty").is_dir()
    assert list((root / ".staging").iterdir()) == []
    assert blobs.staging() == root / ".staging"


def test_temp_files_of_other_writers_are_never_listed(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    blobs = DiskBlobs(root)
    blobs.put("d/f", b"x")
    (root / "d" / ".f.abc123.tmp").write_bytes(b"half")  # an older writer's temp file
    (root / "d" / ".hidden").write_bytes(b"a user's dot file")
    assert [f.key for f in blobs.list("d")[1]] == [".hidden", "f"]
    assert blobs.delete_tree("d") == 2


def test_failed_write_keeps_the_old_blob_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "blobs"
    blobs = DiskBlobs(root)
    blobs.put(KEY, b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        blobs.put(KEY, b"new")
    monkeypatch.undo()
    assert blobs.get(KEY) == b"old"
    assert visible_files(root) == [KEY]
    assert list((root / ".staging").iterdir()) == []


def test_put_file_from_another_filesystem_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = DiskBlobs(tmp_path / "blobs")
    source = tmp_path / "elsewhere.bin"
    source.write_bytes(b"x" * 3_000_000)
    real_replace = os.replace

    def cross_device_once(src: str | Path, dst: str | Path) -> None:
        if Path(src) == source:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", cross_device_once)
    info = blobs.put_file(KEY, source)
    assert info.size == 3_000_000 and not source.exists()
    assert blobs.get(KEY) == b"x" * 3_000_000
    assert visible_files(tmp_path / "blobs") == [KEY]


def test_repr_names_the_root(tmp_path: Path) -> None:
    assert repr(DiskBlobs(tmp_path)) == f"DiskBlobs({str(tmp_path)!r})"


def _staged(blobs: DiskBlobs, data: bytes) -> Path:
    path = blobs.staging() / ".upload-test.tmp"
    path.write_bytes(data)
    return path

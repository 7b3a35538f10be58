"""One suite for every ``Blobs``: in memory, on disk, and on a real S3 server (SeaweedFS)."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelport.adapters.blobs import DiskBlobs, MemoryBlobs
from modelport.core.ports import BlobInfo, Blobs
from modelport.errors import Conflict, InvalidInput, NotFound

KEY = "sources/0123456789abcdef0123456789abcdef01234567.tar.gz"
MiB = 1 << 20


@pytest.fixture(params=["memory", "disk", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Blobs:
    if request.param == "memory":
        return MemoryBlobs()
    if request.param == "disk":
        return DiskBlobs(tmp_path / "blobs")
    s3: Blobs = request.getfixturevalue("s3_blobs")
    return s3


def staged(blobs: Blobs, data: bytes, name: str = "upload.part") -> Path:
    """A file in the store's staging folder, as the HTTP layer spools an upload."""
    path = blobs.staging() / name
    path.write_bytes(data)
    return path


def stamp(blobs: Blobs, key: str) -> datetime:
    info = blobs.stat(key)
    assert info is not None
    return info.modified


def is_recent(moment: datetime) -> bool:
    assert moment.tzinfo is not None and moment.utcoffset() == timedelta(0)
    return abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


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
    assert blobs.stat("empty") == BlobInfo("empty", 0, stamp(blobs, "empty"))


def test_missing_and_folders_are_not_found(blobs: Blobs) -> None:
    with pytest.raises(NotFound, match="missing/key"):
        blobs.get("missing/key")
    with pytest.raises(NotFound):
        blobs.open("missing/key")
    assert blobs.stat("missing/key") is None
    blobs.put("a/b", b"x")
    for folder_or_below_file in ("a", "a/b/c"):
        with pytest.raises(NotFound):
            blobs.get(folder_or_below_file)
        with pytest.raises(NotFound):
            blobs.open(folder_or_below_file)
        assert blobs.stat(folder_or_below_file) is None
        assert not blobs.exists(folder_or_below_file)
    blobs.delete("a")  # a folder, not a blob: nothing happens
    assert blobs.folder_exists("a") and blobs.get("a/b") == b"x"


def test_put_file_consumes_the_source(blobs: Blobs) -> None:
    source = staged(blobs, b"model bytes")
    info = blobs.put_file("data/alice/models/m.bin", source)
    assert not source.exists()
    assert (info.key, info.size) == ("data/alice/models/m.bin", 11)
    assert is_recent(info.modified)
    assert blobs.stat("data/alice/models/m.bin") == info
    assert blobs.get("data/alice/models/m.bin") == b"model bytes"
    assert blobs.folder_exists("data/alice/models/")  # parents are made


def test_replacing_keeps_the_old_bytes_until_the_new_are_in_place(blobs: Blobs) -> None:
    old, new = b"o" * 300_000, b"n" * 200_000
    blobs.put(KEY, old)
    with blobs.open(KEY) as reading:  # a reader that started before the replace
        first = reading.read(1000)
        seen: set[bytes] = set()
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                seen.add(blobs.get(KEY))

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            for i in range(3):
                blobs.put_file(KEY, staged(blobs, new if i % 2 == 0 else old))
        finally:
            stop.set()
            watcher.join()
        assert first + reading.read() == old
    assert seen <= {old, new}  # never a torn or empty blob
    assert blobs.get(KEY) == new


def test_open_streams_a_large_file_in_chunks(blobs: Blobs, request: pytest.FixtureRequest) -> None:
    size = 12 * MiB if "s3" in request.node.callspec.id else 20 * MiB  # S3: one multipart
    data = hashlib.sha256(b"seed").digest() * (size // 32)
    blobs.put_file("data/alice/big/weights.bin", staged(blobs, data))
    digest, total, reads = hashlib.sha256(), 0, 0
    with blobs.open("data/alice/big/weights.bin") as stream:
        while chunk := stream.read(MiB):
            assert len(chunk) <= MiB
            digest.update(chunk)
            total, reads = total + len(chunk), reads + 1
    assert total == size and reads >= size // MiB
    assert digest.digest() == hashlib.sha256(data).digest()
    assert blobs.stat("data/alice/big/weights.bin").size == size  # type: ignore[union-attr]


def test_stat(blobs: Blobs) -> None:
    blobs.put("d/f.txt", b"12345")
    info = blobs.stat("d/f.txt")
    assert info is not None
    assert (info.key, info.size) == ("d/f.txt", 5)
    assert is_recent(info.modified)
    assert blobs.stat("d") is None
    assert blobs.stat("d/g.txt") is None


def test_list_folders_and_files(blobs: Blobs) -> None:
    blobs.put("d/b.bin", b"bbb")
    blobs.put_file("d/a.txt", staged(blobs, b"a"))
    blobs.put("d/sub/x", b"x")
    blobs.put("d/sub/deeper/y", b"yy")
    blobs.make_folder("d/empty")
    folders, files = blobs.list("d")
    assert folders == ["empty", "sub"]
    assert [(f.key, f.size) for f in files] == [("a.txt", 1), ("b.bin", 3)]
    assert all(is_recent(f.modified) for f in files)
    assert blobs.list("d/") == (folders, files)
    assert blobs.list("d/sub/") == (["deeper"], [BlobInfo("x", 1, stamp(blobs, "d/sub/x"))])
    assert [f.key for f in blobs.list("d/sub/deeper")[1]] == ["y"]
    assert blobs.list("d/empty") == ([], [])
    assert blobs.list("") == (["d"], [])  # no staging, no markers, no temp files


def test_list_sorts_by_name(blobs: Blobs) -> None:
    names = ["b", "A", "a.txt", "a", "Z-1", "_x", "ü"]
    for name in names:
        blobs.put(f"s/{name}", name.encode())
        blobs.make_folder(f"s/dir-{name}")
    folders, files = blobs.list("s")
    assert [f.key for f in files] == sorted(names)
    assert folders == sorted(f"dir-{n}" for n in names)


def test_list_missing_folder_or_a_file_is_not_found(blobs: Blobs) -> None:
    assert blobs.list("") == ([], [])  # the root always exists
    with pytest.raises(NotFound):
        blobs.list("nowhere")
    blobs.put("f", b"x")
    with pytest.raises(NotFound):
        blobs.list("f")


def test_make_folder_and_folder_exists(blobs: Blobs) -> None:
    assert blobs.folder_exists("")
    assert not blobs.folder_exists("p")
    blobs.make_folder("p/q/r/")
    assert blobs.folder_exists("p") and blobs.folder_exists("p/q/") and blobs.folder_exists("p/q/r")
    blobs.make_folder("p/q")  # again: fine
    assert blobs.list("p/q") == (["r"], [])
    blobs.put("p/file", b"x")
    assert not blobs.folder_exists("p/file")
    with pytest.raises(Conflict):
        blobs.make_folder("p/file")
    with pytest.raises(Conflict):
        blobs.make_folder("p/file/below")


def test_a_folder_stays_when_its_last_file_goes(blobs: Blobs) -> None:
    blobs.put("c/only/f", b"x")
    blobs.delete("c/only/f")
    assert blobs.folder_exists("c/only")
    assert blobs.list("c/only") == ([], [])
    assert blobs.list("c") == (["only"], [])


def test_a_name_is_a_file_or_a_folder_never_both(blobs: Blobs) -> None:
    blobs.make_folder("t/dir")
    with pytest.raises(Conflict, match="folder"):
        blobs.put("t/dir", b"x")
    with pytest.raises(Conflict, match="folder"):
        blobs.put_file("t/dir", staged(blobs, b"x"))
    blobs.put("t/file", b"x")
    with pytest.raises(Conflict):
        blobs.put("t/file/below", b"y")
    with pytest.raises(Conflict):
        blobs.put_file("t/file/below/deeper", staged(blobs, b"y"))
    assert blobs.list("t") == (["dir"], [BlobInfo("file", 1, blobs.stat("t/file").modified)])  # type: ignore[union-attr]


def test_delete_tree_counts_files(blobs: Blobs) -> None:
    blobs.put("r/keep", b"k")
    blobs.put("r/gone/a", b"a")
    blobs.put("r/gone/b", b"b")
    blobs.put("r/gone/sub/c", b"c")
    blobs.make_folder("r/gone/sub/empty")
    assert blobs.delete_tree("r/gone/") == 3
    assert not blobs.folder_exists("r/gone")
    assert not blobs.exists("r/gone/a")
    assert blobs.list("r") == ([], [BlobInfo("keep", 1, blobs.stat("r/keep").modified)])  # type: ignore[union-attr]
    blobs.make_folder("r/empty")
    assert blobs.delete_tree("r/empty") == 0
    assert blobs.list("r")[0] == []
    with pytest.raises(NotFound):
        blobs.delete_tree("r/gone")
    with pytest.raises(NotFound):
        blobs.delete_tree("r/keep")  # a file, not a folder


UNSAFE = ["", "/etc/passwd", "../x", "a/../../x", "a/..", "./a", "a/./b", ".", "a//b", "a/",
          "a\\b", "..\\x", "a\x00b", ".staging/x", "a/.b.tmp"]  # fmt: skip
UNSAFE_FOLDERS = ["/etc", "../x", "a/..", "./a", ".", "a//b", "a//", "a\\b", "a\x00b",
                  ".staging", ".staging/", "x/.y.tmp/"]  # fmt: skip


@pytest.mark.parametrize("key", UNSAFE)
def test_unsafe_keys_are_refused(blobs: Blobs, key: str) -> None:
    source = staged(blobs, b"x")
    for call in (
        lambda: blobs.put(key, b"x"),
        lambda: blobs.put_file(key, source),
        lambda: blobs.get(key),
        lambda: blobs.open(key),
        lambda: blobs.stat(key),
        lambda: blobs.exists(key),
        lambda: blobs.delete(key),
    ):
        with pytest.raises(InvalidInput):
            call()


@pytest.mark.parametrize("prefix", UNSAFE_FOLDERS)
def test_unsafe_folders_are_refused(blobs: Blobs, prefix: str) -> None:
    for call in (
        lambda: blobs.list(prefix),
        lambda: blobs.make_folder(prefix),
        lambda: blobs.folder_exists(prefix),
        lambda: blobs.delete_tree(prefix),
    ):
        with pytest.raises(InvalidInput):
            call()


def test_the_root_is_neither_made_nor_deleted(blobs: Blobs) -> None:
    with pytest.raises(InvalidInput):
        blobs.make_folder("")
    with pytest.raises(InvalidInput):
        blobs.delete_tree("/")


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

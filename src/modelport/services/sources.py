"""Reading an uploaded source archive safely, and laying a tree out on disk."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from modelport.core.sources import SourceFile
from modelport.errors import InvalidInput, PayloadTooLarge

MAX_FILES = 10_000


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if (
        not name
        or path.is_absolute()
        or "\\" in name
        or "\0" in name
        or any(part in ("..", "") for part in name.split("/"))
        or len(name) > 1024
    ):
        raise InvalidInput(f"unsafe path in source archive: {name!r}")
    return str(path)


def read_archive(data: bytes, *, max_bytes: int) -> dict[str, SourceFile]:
    """The regular files of a gzip (or plain) tar; refuses links, devices and path tricks.

    The headers are walked first in small reads (``check_headers``), so a bomb (an extended
    header declaring a gigabyte, more unpacked bytes than ``max_bytes``) is refused before
    ``tarfile``, which reads such a header whole, allocates anything."""
    limit = max_bytes + (MAX_FILES + 1) * 3 * BLOCK  # the files, and their headers
    check_headers(_unpacked(data), limit)
    files: dict[str, SourceFile] = {}
    total = 0
    try:
        with tarfile.open(fileobj=_unpacked(data), mode="r|") as tar:
            for count, member in enumerate(tar):
                if count >= MAX_FILES:  # folders count too: tarfile keeps every entry it reads
                    raise PayloadTooLarge(f"source archive has more than {MAX_FILES} entries")
                if member.isdir():
                    continue
                if not member.isfile():
                    raise InvalidInput(
                        f"source archive may hold only files and folders: {member.name!r} is not"
                    )
                name = _safe_name(member.name.removeprefix("./"))
                total += member.size
                if total > max_bytes:
                    raise _too_large(max_bytes)
                handle = tar.extractfile(member)
                assert handle is not None  # a regular file always has one
                files[name] = SourceFile(handle.read(), bool(member.mode & 0o100))
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise InvalidInput(f"source upload is not a readable tar archive: {exc}") from None
    if not files:
        raise InvalidInput("source archive is empty")
    return files


BLOCK = 512
MAX_HEADER_BYTES = 1 << 20  # a PAX or GNU long-name header's own payload
_EXTENDED = {b"x", b"g", b"L", b"K"}  # PAX (per file, global), GNU long name and link


def check_headers(stream: io.BufferedIOBase, limit: int) -> None:
    """Walk a tar stream's headers, reading at most a block at a time: ``PayloadTooLarge`` for
    an extended header over ``MAX_HEADER_BYTES`` or more than ``limit`` bytes in all."""
    seen = 0
    try:
        while len(block := stream.read(BLOCK)) == BLOCK and block != bytes(BLOCK):
            size = _size(block[124:136])
            if block[156:157] in _EXTENDED and size > MAX_HEADER_BYTES:
                raise PayloadTooLarge(
                    f"source archive has a {size}-byte extended header (the limit is"
                    f" {MAX_HEADER_BYTES})"
                )
            padded = -(-size // BLOCK) * BLOCK
            seen += BLOCK + padded
            if seen > limit:
                raise _too_large(limit)
            while padded > 0:  # skipped in blocks, never read whole
                skipped = len(stream.read(min(padded, 1 << 16)))
                if not skipped:
                    return  # truncated: tarfile says so
                padded -= skipped
    except (EOFError, OSError, zlib.error) as exc:
        raise InvalidInput(f"source upload is not a readable tar archive: {exc}") from None


def _size(field: bytes) -> int:
    if field[0] & 0x80:  # base-256, for sizes octal cannot hold (8 GiB and more)
        return int.from_bytes(field[1:], "big")
    try:
        return int(field.strip(b"\0 ") or b"0", 8)
    except ValueError:
        raise InvalidInput("source upload is not a readable tar archive: bad size") from None


def _unpacked(data: bytes) -> io.BufferedIOBase:
    """The tar stream: gunzipped as it is read, for a gzip archive."""
    raw = io.BytesIO(data)
    return gzip.GzipFile(fileobj=raw, mode="rb") if data[:2] == b"\x1f\x8b" else raw


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"source tree is over {limit // 2**20} MiB unpacked; keep model files out of the"
        " source folder"
    )


def write_tree(files: dict[str, SourceFile], target: Path) -> None:
    """Write the tree to ``target`` atomically: a reader sees all of it or none."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".staging-"))
    try:
        # Readable by sandboxed workers' unprivileged uid, whatever the umask; the home
        # folder above keeps other users of the host out, the sandbox other tenants.
        staging.chmod(0o755)
        for name, entry in files.items():
            path = staging / name
            for folder in reversed(path.relative_to(staging).parents[:-1]):
                (staging / folder).mkdir(mode=0o755, exist_ok=True)
                (staging / folder).chmod(0o755)
            path.write_bytes(entry.data)
            path.chmod(0o755 if entry.executable else 0o644)
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.exists():
            raise

"""Reading an uploaded source archive safely, and laying a tree out on disk."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
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
    """The regular files of a gzip (or plain) tar; refuses links, devices and path tricks."""
    files: dict[str, SourceFile] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
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
                    raise PayloadTooLarge(
                        f"source tree is over {max_bytes // 2**20} MiB unpacked; keep model files"
                        " out of the source folder"
                    )
                handle = tar.extractfile(member)
                assert handle is not None  # a regular file always has one
                files[name] = SourceFile(handle.read(), bool(member.mode & 0o100))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise InvalidInput(f"source upload is not a readable tar archive: {exc}") from None
    if not files:
        raise InvalidInput("source archive is empty")
    return files


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

"""Pack an algorithm's folder into the gzip tar that ``POST .../builds`` takes.

The archive is deterministic: the same files give the same bytes (sorted names, zeroed
times and owners, normalised modes), so an unchanged folder uploads to the same build.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "algorithm.py").write_text("def apply(input):\\n    return input\\n")
>>> pack(folder) == pack(folder)
True
"""

from __future__ import annotations

import fnmatch
import gzip
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from modelport.errors import InvalidInput, PayloadTooLarge

EXCLUDED = (
    ".git",
    "__pycache__",
    "*.pyc",
    ".venv",
    "venv",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
)
MAX_ARCHIVE_BYTES = 100 * 2**20


@dataclass(frozen=True, slots=True)
class Entry:
    """One member: ``name`` inside the archive, ``path`` on disk, ``link`` for kept symlinks."""

    name: str
    path: Path
    size: int = 0
    link: str | None = None
    is_dir: bool = False


def excluded(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDED)


def collect(folder: Path) -> list[Entry]:
    """The folder's members in archive order, skipping ``EXCLUDED`` names.

    Symlinks must stay inside the folder: a link to a file is stored as that file's
    content, a link to a folder as a relative link.
    """
    root = folder.resolve()
    if not root.is_dir():
        raise InvalidInput(f"{folder} is not a folder")
    entries: list[Entry] = []
    _walk(root, root, entries)
    return entries


def _walk(root: Path, current: Path, entries: list[Entry]) -> None:
    with os.scandir(current) as it:
        children = sorted(it, key=lambda e: e.name)
    for child in children:
        if excluded(child.name):
            continue
        path = Path(child.path)
        name = path.relative_to(root).as_posix()
        if child.is_symlink():
            entries.append(_symlink(root, path, name))
        elif child.is_dir():
            entries.append(Entry(name, path, is_dir=True))
            _walk(root, path, entries)
        elif child.is_file():
            entries.append(Entry(name, path, size=child.stat().st_size))


def _symlink(root: Path, path: Path, name: str) -> Entry:
    target = path.resolve()
    if not target.is_relative_to(root):
        raise InvalidInput(
            f"{name} is a symlink to {target}, outside {root}: copy the file into the folder"
        )
    if not target.exists():
        raise InvalidInput(f"{name} is a broken symlink (to {target})")
    if target.is_dir():
        return Entry(name, path, link=os.path.relpath(target, path.parent), is_dir=True)
    return Entry(name, target, size=target.stat().st_size)


def pack(folder: Path, *, max_bytes: int = MAX_ARCHIVE_BYTES) -> bytes:
    """The folder as deterministic ``.tar.gz`` bytes; PayloadTooLarge when over ``max_bytes``."""
    entries = collect(folder)
    total = sum(e.size for e in entries)
    if total > 4 * max_bytes:  # do not spend minutes compressing what will be refused
        raise _too_large(folder, entries, total, max_bytes, compressed=False)
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for entry in entries:
            _add(tar, entry)
    data = buffer.getvalue()
    if len(data) > max_bytes:
        raise _too_large(folder, entries, len(data), max_bytes, compressed=True)
    return data


def _add(tar: tarfile.TarFile, entry: Entry) -> None:
    info = tarfile.TarInfo(entry.name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    if entry.link is not None:
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, entry.link, 0o777
        tar.addfile(info)
    elif entry.is_dir:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
    else:
        info.size = entry.size
        info.mode = 0o755 if os.access(entry.path, os.X_OK) else 0o644
        with entry.path.open("rb") as f:
            tar.addfile(info, f)


def _too_large(
    folder: Path, entries: list[Entry], size: int, max_bytes: int, *, compressed: bool
) -> PayloadTooLarge:
    biggest = sorted((e for e in entries if e.size), key=lambda e: -e.size)[:3]
    listed = ", ".join(f"{e.name} ({human_size(e.size)})" for e in biggest)
    what = "packs to" if compressed else "holds"
    return PayloadTooLarge(
        f"{folder} {what} {human_size(size)}, over the {human_size(max_bytes)} upload limit;"
        f" largest files: {listed}. Keep model files in a data collection (data://...)"
        " and load them in load()"
    )


def human_size(n: float) -> str:
    """A byte count for people.

    >>> human_size(1536)
    '1.5 KiB'
    """
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover - the loop always returns

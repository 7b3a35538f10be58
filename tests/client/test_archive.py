from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from modelport import errors
from modelport.client.archive import pack


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: m for m in tar.getmembers()}


def read(data: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        f = tar.extractfile(name)
        assert f is not None
        return f.read()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "digits"
    (root / "pkg").mkdir(parents=True)
    (root / "modelport.yaml").write_text("name: digits\n")
    (root / "algorithm.py").write_text("def apply(input):\n    return input\n")
    (root / "pkg" / "model.bin").write_bytes(b"\x00" * 10)
    return root


def test_the_folder_is_packed_with_relative_names(folder: Path) -> None:
    data = pack(folder)
    assert list(members(data)) == ["algorithm.py", "modelport.yaml", "pkg", "pkg/model.bin"]
    assert read(data, "pkg/model.bin") == b"\x00" * 10


def test_caches_and_environments_are_left_out(folder: Path) -> None:
    for junk in (
        ".git",
        "__pycache__",
        ".venv",
        "venv",
        ".pytest_cache",
        ".mypy_cache",
        "pkg/__pycache__",
    ):
        (folder / junk).mkdir()
        (folder / junk / "x").write_text("junk")
    (folder / "algorithm.pyc").write_bytes(b"junk")
    (folder / "pkg" / "mod.pyc").write_bytes(b"junk")
    assert list(members(pack(folder))) == ["algorithm.py", "modelport.yaml", "pkg", "pkg/model.bin"]


def test_packing_is_deterministic(folder: Path, tmp_path: Path) -> None:
    first = pack(folder)
    os.utime(folder / "algorithm.py", (0, 1_000_000))
    assert pack(folder) == first
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    for name in ("modelport.yaml", "algorithm.py"):
        (copy / name).write_bytes((folder / name).read_bytes())
    (copy / "pkg").mkdir()
    (copy / "pkg" / "model.bin").write_bytes(b"\x00" * 10)
    assert pack(copy) == first


def test_metadata_is_normalised(folder: Path) -> None:
    (folder / "run.sh").write_text("#!/bin/sh\n")
    (folder / "run.sh").chmod(0o700)
    info = members(pack(folder))
    assert (info["run.sh"].mode, info["algorithm.py"].mode, info["pkg"].mode) == (
        0o755,
        0o644,
        0o755,
    )
    assert {(m.mtime, m.uid, m.gid, m.uname) for m in info.values()} == {(0, 0, 0, "")}


def test_symlinks_inside_the_folder_are_kept(folder: Path) -> None:
    (folder / "link.bin").symlink_to("pkg/model.bin")
    (folder / "alias").symlink_to("pkg")
    data = pack(folder)
    info = members(data)
    assert info["link.bin"].isfile() and read(data, "link.bin") == b"\x00" * 10
    assert info["alias"].issym() and info["alias"].linkname == "pkg"


def test_symlinks_out_of_the_folder_are_refused(folder: Path, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("password")
    (folder / "leak").symlink_to(tmp_path / "secret")
    with pytest.raises(errors.InvalidInput, match=r"leak is a symlink to .* outside"):
        pack(folder)


def test_broken_symlinks_are_refused(folder: Path) -> None:
    (folder / "gone").symlink_to("nowhere")
    with pytest.raises(errors.InvalidInput, match="gone is a broken symlink"):
        pack(folder)


def test_a_folder_over_the_limit_is_refused_with_the_biggest_files(folder: Path) -> None:
    (folder / "weights.bin").write_bytes(os.urandom(50_000))
    with pytest.raises(
        errors.PayloadTooLarge, match=r"weights\.bin \(48\.8 KiB\).*data collection"
    ):
        pack(folder, max_bytes=20_000)


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(errors.InvalidInput, match="is not a folder"):
        pack(tmp_path / "missing")

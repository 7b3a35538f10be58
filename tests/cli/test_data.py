from __future__ import annotations

from pathlib import Path

import pytest

from modelport.cli.output import when
from tests.cli.conftest import Cli
from tests.client.test_data_fake import ACLS, STAMP, FakeData

BIG = 3 * 2**19  # 1.5 MiB: over the progress threshold


@pytest.fixture
def api() -> FakeData:
    return FakeData().collection("digits", files={"svm.dat": b"0123456789", "models/a": b""})


def test_mkdir_creates_collections_and_folders(cli: Cli, api: FakeData) -> None:
    result = cli("data", "mkdir", "data://.my/models", "--acl", "private")
    assert (result.code, result.text, result.err) == (
        0,
        "Created data://alice/models (private)\n",
        "",
    )
    assert api.acls["alice/models"] == ACLS["private"]
    assert cli("data", "mkdir", "data://.my/models/v1").text == "Created data://alice/models/v1\n"
    assert "alice/models/v1" in api.folders
    again = cli("data", "mkdir", "data://.my/models")
    assert (again.code, again.err) == (2, "modelport: error: data://alice/models already exists\n")
    bad = cli("data", "mkdir", "data://.my/models", "--acl", "friends")
    assert bad.code == 2 and "invalid choice: 'friends'" in bad.err


def test_cp_uploads_keeping_the_name_for_folders(cli: Cli, api: FakeData, tmp_path: Path) -> None:
    source = tmp_path / "labels.json"
    source.write_bytes(b'{"0": "zero"}')
    for dst in ("data://.my/digits/", "data://.my/digits", "data://.my/digits/models"):
        result = cli("data", "cp", str(source), dst)
        assert result.code == 0, result.err
        assert result.err == ""  # small files show no progress
    assert api.files["alice/digits/labels.json"] == b'{"0": "zero"}'
    assert api.files["alice/digits/models/labels.json"] == b'{"0": "zero"}'
    assert result.text == f"Copied {source} to data://alice/digits/models/labels.json (13 B)\n"
    renamed = cli("data", "cp", str(source), "data://.my/digits/renamed.json")
    assert renamed.code == 0 and "alice/digits/renamed.json" in api.files


def test_cp_shows_progress_for_big_files(cli: Cli, api: FakeData, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * BIG)
    up = cli("data", "cp", str(source), "data://.my/digits/")
    assert up.code == 0, up.err
    assert up.err == "Uploaded big.bin (1.5 MiB)\n"  # not a terminal: only the last line
    assert len(api.files["alice/digits/big.bin"]) == BIG
    down = cli("data", "cp", "data://.my/digits/big.bin", str(tmp_path / "copy.bin"))
    assert down.code == 0, down.err
    assert down.err == "Downloaded big.bin (1.5 MiB)\n"
    assert (tmp_path / "copy.bin").read_bytes() == b"x" * BIG


def test_cp_downloads_into_folders_keeping_the_name(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("data", "cp", "data://.my/digits/svm.dat", ".")
    assert (result.code, result.err) == (0, "")
    assert result.text == "Copied data://.my/digits/svm.dat to svm.dat (10 B)\n"
    (tmp_path / "sub").mkdir()
    assert cli("data", "cp", "data://.my/digits/svm.dat", "sub").code == 0
    assert cli("data", "cp", "data://.my/digits/svm.dat", "sub/other.dat").code == 0
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["other.dat", "svm.dat"]
    assert (tmp_path / "svm.dat").read_bytes() == b"0123456789"


@pytest.mark.parametrize(
    ("src", "dst", "message"),
    [
        ("data://.my/digits/svm.dat", "data://.my/digits/b", "does not copy from data:// to"),
        ("a.txt", "b.txt", "one of SRC and DST must be a data:// URI"),
        ("missing.txt", "data://.my/digits/", "missing.txt: No such file or directory"),
        ("data://.my/digits/nope", "out", "data://alice/digits/nope does not exist"),
        ("data://.my/digits/svm.dat", "no/such/dir/", "no/such/dir is not a folder"),
    ],
)
def test_cp_refusals_are_one_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, src: str, dst: str, message: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = cli("data", "cp", src, dst)
    assert result.code == 2
    assert result.err.startswith("modelport: error: ") and message in result.err
    assert result.err.count("\n") == 1
    assert list(work.iterdir()) == []


def test_ls_prints_folders_first(cli: Cli, api: FakeData) -> None:
    result = cli("data", "ls", "data://.my/digits")
    assert result.code == 0, result.err
    assert result.text.splitlines() == [
        "NAME     SIZE  MODIFIED",
        "models/  -     -",
        f"svm.dat  10 B  {when(STAMP)}",
    ]
    assert cli("data", "ls").text.splitlines() == ["NAME     SIZE  MODIFIED", "digits/  -     -"]
    unsafe = cli("data", "ls", "data://.my/digits/models/a/..")
    assert unsafe.code == 2 and "invalid data URI" in unsafe.err
    file = cli("data", "ls", "data://.my/digits/svm.dat")
    assert file.err == "modelport: error: data://.my/digits/svm.dat is a file, not a folder\n"
    api.folders.add("alice/digits/empty")
    assert cli("data", "ls", "data://.my/digits/empty").err == "data://.my/digits/empty is empty\n"


def test_cat_writes_the_bytes(cli: Cli, api: FakeData) -> None:
    api.files["alice/digits/blob"] = bytes(range(256))
    result = cli("data", "cat", "data://.my/digits/blob")
    assert (result.code, result.out) == (0, bytes(range(256)))
    missing = cli("data", "cat", "data://.my/digits/nope")
    assert (missing.code, missing.out) == (2, b"")
    assert missing.err == "modelport: error: data://alice/digits/nope does not exist\n"


def test_acl_prints_and_sets(cli: Cli, api: FakeData) -> None:
    assert cli("data", "acl", "data://.my/digits").text == "my-algorithms\n"
    result = cli("data", "acl", "data://.my/digits", "--public")
    assert result.text == "data://.my/digits is now public: anyone with an API key may read it\n"
    assert api.acls["alice/digits"] == ACLS["public"]
    assert cli("data", "acl", "data://.my/digits/models").text == "public\n"
    both = cli("data", "acl", "data://.my/digits", "--public", "--private")
    assert both.code == 2 and "not allowed with argument" in both.err
    folder = cli("data", "acl", "data://.my/digits/models", "--private")
    assert folder.code == 2 and folder.err.startswith("modelport: error: ACLs belong to")


def test_rm_and_rmdir(cli: Cli, api: FakeData) -> None:
    assert cli("data", "rm", "data://.my/digits/svm.dat").text == (
        "Deleted data://.my/digits/svm.dat\n"
    )
    assert "alice/digits/svm.dat" not in api.files
    gone = cli("data", "rm", "data://.my/digits/svm.dat")
    assert (gone.code, gone.err) == (
        2,
        "modelport: error: data://alice/digits/svm.dat does not exist\n",
    )
    full = cli("data", "rmdir", "data://.my/digits")
    assert (full.code, full.err) == (
        2,
        "modelport: error: data://.my/digits is not empty:"
        " modelport data rmdir data://.my/digits --force\n",
    )
    assert cli("data", "rmdir", "data://.my/digits", "--force").text == (
        "Deleted data://.my/digits\n"
    )
    assert (api.files, api.folders) == ({}, set())


def test_data_without_a_verb_prints_its_usage(cli: Cli) -> None:
    result = cli("data")
    assert result.code == 2
    assert "modelport data cp svm.dat data://.my/digits/" in result.err

"""Requirements are checked before anything installs them: nothing names the server's files."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelport.core.manifest import Manifest
from modelport.errors import InvalidInput
from modelport.services.requirements import checked, requirements_of


@pytest.fixture
def source(tmp_path: Path) -> Path:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "tool-1.0-py3-none-any.whl").write_bytes(b"PK")
    (tmp_path / "outside.whl").write_bytes(b"PK")
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "vendor").symlink_to(tmp_path / "vendor")  # a link out of the folder
    (folder / "wheels").mkdir()
    (folder / "wheels" / "mine-1.0-py3-none-any.whl").write_bytes(b"PK")
    return folder


@pytest.mark.parametrize(
    "line",
    [
        "numpy",
        "numpy>=2,<3",
        "scikit-learn==1.5.*; python_version >= '3.9'",
        "opencv-python-headless[contrib]<5",
        "tool @ https://example.com/tool-1.0-py3-none-any.whl",
        "https://example.com/tool-1.0.tar.gz",
        "--extra-index-url https://download.pytorch.org/whl/cpu",
    ],
)
def test_packages_urls_and_https_indexes_pass_unchanged(source: Path, line: str) -> None:
    assert checked(line, source) == line


def test_a_file_of_the_source_folder_is_named_by_its_absolute_path(source: Path) -> None:
    wheel = source / "wheels" / "mine-1.0-py3-none-any.whl"
    assert checked("./wheels/mine-1.0-py3-none-any.whl", source) == str(wheel.resolve())
    assert checked("wheels/mine-1.0-py3-none-any.whl", source) == str(wheel.resolve())
    assert checked("--index-url=https://pypi.org/simple", source) == (
        "--index-url https://pypi.org/simple"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("-r /etc/shadow", "options other than"),
        ("--requirement=/etc/shadow", "options other than"),
        ("-e .", "options other than"),
        ("--find-links /root", "options other than"),
        ("--index-url http://10.0.0.1/simple", "options other than"),
        ("-c constraints.txt", "options other than"),
        ("/etc/passwd", "outside the source folder"),
        ("../outside.whl", "outside the source folder"),
        ("./vendor/tool-1.0-py3-none-any.whl", "outside the source folder"),
        ("~/.modelport/builds/x.whl", "not in the source folder"),
        ("file:///root/.modelport/secret.key", "only https:// URLs"),
        ("tool @ file:///etc/passwd", "only https:// URLs"),
        ("git+ssh://git@host/repo.git", "only https:// URLs"),
        ("tool @ ./wheels/mine-1.0-py3-none-any.whl", "relative path alone"),
        ("./wheels/missing.whl", "not in the source folder"),
    ],
)
def test_what_would_reach_the_servers_files_is_refused(
    source: Path, line: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        checked(line, source, "requirements.txt")
    assert raised.value.message.startswith("requirements.txt: ")


def test_requirements_come_from_the_manifest_or_its_file(source: Path) -> None:
    lines = "# pinned\nnumpy>=2\n\n./wheels/mine-1.0-py3-none-any.whl\n"
    (source / "requirements.txt").write_text(lines)
    found = requirements_of(Manifest(name="x", entrypoint="a.py:apply"), source)
    assert found == ("numpy>=2", str((source / "wheels/mine-1.0-py3-none-any.whl").resolve()))
    inline = Manifest(name="x", entrypoint="a.py:apply", requirements=("-r /etc/shadow",))
    with pytest.raises(InvalidInput, match=r"modelport\.yaml's requirements: '-r /etc/shadow'"):
        requirements_of(inline, source)
    outside = Manifest(name="x", entrypoint="a.py:apply", requirements_file="../outside.whl")
    with pytest.raises(InvalidInput, match="outside the source folder"):
        requirements_of(outside, source)

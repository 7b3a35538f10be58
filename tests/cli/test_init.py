from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelport.cli.scaffold import scaffold
from modelport.client import pack, read_manifest
from tests.cli.conftest import Cli


@pytest.mark.parametrize(
    ("template", "files"),
    [
        (
            "algorithm",
            [
                "README.md",
                "algorithm.py",
                "modelport.yaml",
                "pytest.ini",
                "requirements.txt",
                "test_algorithm.py",
            ],
        ),
        (
            "handler",
            [
                "README.md",
                "handler.py",
                "modelport.yaml",
                "pytest.ini",
                "requirements.txt",
                "test_handler.py",
            ],
        ),
    ],
)
def test_init_scaffolds_a_folder_whose_own_tests_pass(
    cli: Cli, tmp_path: Path, template: str, files: list[str]
) -> None:
    """Made inside a clone of modelport, as the README does, and tested with a plain pytest:
    the clone's own pytest settings (a timeout option, warnings as errors) do not apply."""
    shutil.copy(Path(__file__).parents[2] / "pyproject.toml", tmp_path / "pyproject.toml")
    result = cli("init", "digits", "--template", template, "--dir", str(tmp_path))
    assert result.code == 0, result.err
    folder = tmp_path / "digits"
    assert sorted(p.name for p in folder.iterdir()) == files
    assert "digits" in (folder / "README.md").read_text()
    manifest = read_manifest(folder)
    assert (manifest.name, manifest.timeout, manifest.memory, manifest.replicas) == (
        "digits",
        30,
        2**30,
        1,
    )
    assert manifest.sample_input == {"x": 1}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:timeout"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_the_algorithm_template_matches_its_sample(tmp_path: Path) -> None:
    folder = scaffold("digits", tmp_path)[0].parent
    namespace: dict[str, object] = {}
    exec((folder / "algorithm.py").read_text(), namespace)
    load, apply = namespace["load"], namespace["apply"]
    assert callable(load) and callable(apply)
    assert apply({"x": 1}, load()) == read_manifest(folder).sample_output


def test_a_scaffold_packs_cleanly(tmp_path: Path) -> None:
    folder = scaffold("digits", tmp_path)[0].parent
    assert len(pack(folder)) < 4096


def test_init_refuses_an_existing_folder(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "digits").mkdir()
    result = cli("init", "digits", "--dir", str(tmp_path))
    assert result.code == 2
    assert "already exists" in result.err


def test_init_refuses_a_bad_name(cli: Cli, tmp_path: Path) -> None:
    result = cli("init", "my-model", "--dir", str(tmp_path))
    assert result.code == 2
    assert "invalid algorithm name 'my-model'" in result.err
    assert "('my_model' would do)" in result.err
    assert not (tmp_path / "my-model").exists()

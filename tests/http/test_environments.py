"""Build environments: created once per requirements set, shared by later builds."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from tests.fixtures.server import Live


def make_wheel(folder: Path, name: str = "mp_tiny", version: str = "1.0") -> Path:
    """A minimal pure-Python wheel, so the test installs a real requirement offline."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": "VALUE = 42\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


USES_TINY = {
    "algorithm.py": """
        import mp_tiny

        def apply(input):
            return mp_tiny.VALUE
    """
}


def logs(live: Live, name: str, sha: str) -> str:
    r = live.http.get(f"/v1/algorithms/admin/{name}/builds/{sha}/logs")
    return str(r.json()["logs"])


def test_second_build_with_the_same_requirements_reuses_the_environment(
    live: Live, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path)
    vendored = {f"vendor/{wheel.name}": wheel.read_bytes()}  # shipped in the source folder
    requirements = {"requirements.txt": f"./vendor/{wheel.name}\n", **vendored}
    first = live.deploy("env_a", {**USES_TINY, **requirements})
    assert first["status"] == "succeeded", logs(live, "env_a", first["commit_sha"])
    assert "installing" in logs(live, "env_a", first["commit_sha"])
    # compiled once at install: workers cannot write bytecode into a read-only environment
    assert list(live.settings.envs_path.glob("*/lib/python*/site-packages/__pycache__/mp_tiny*"))
    second = live.deploy("env_a", {**USES_TINY, **requirements, "version.txt": "2"})
    assert second["status"] == "succeeded"
    second_logs = logs(live, "env_a", second["commit_sha"])
    assert "cached" in second_logs and "installing" not in second_logs
    for name, build in [("env_a", first), ("env_a", second)]:
        r = live.http.post(f"/v1/algo/admin/{name}/{build['commit_sha']}", json={})
        assert r.json()["result"] == 42


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        ("./nothing-1.0-py3-none-any.whl\n", "is not in the source folder"),
        ("/etc/passwd\n", "is outside the source folder"),
        ("-r /etc/shadow\n", "options other than --index-url"),
        ("not a requirement ===\n", "environment install failed"),
    ],
)
def test_a_requirement_that_cannot_install_fails_the_build(
    live: Live, requirements: str, expected: str
) -> None:
    build = live.deploy("env_bad", {**USES_TINY, "requirements.txt": requirements})
    assert build["status"] == "failed"
    assert expected in logs(live, "env_bad", build["commit_sha"])

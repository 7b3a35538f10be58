"""Deploy a folder: check its manifest, create the algorithm if needed, upload, build.

>>> build = deploy(Client(), Path("digits"))                   # doctest: +SKIP
>>> build["status"], build["call_url"]                          # doctest: +SKIP
('succeeded', 'http://127.0.0.1:8080/v1/algo/admin/digits/3f2a...')
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from modelport.client.archive import pack
from modelport.core.manifest import Manifest
from modelport.core.names import check_owner
from modelport.errors import BuildFailed, InvalidInput, InvalidManifest, ModelportError, NotFound

if TYPE_CHECKING:
    from modelport.client.client import Client

MANIFEST = "modelport.yaml"


def source_folder(path: Path) -> Path:
    """The algorithm folder for a folder or its ``modelport.yaml``."""
    return path.parent if path.name == MANIFEST and path.is_file() else path


def read_manifest(path: Path) -> Manifest:
    """Read and validate ``modelport.yaml`` in ``path`` (a folder or the file itself)."""
    folder = source_folder(path)
    file = folder / MANIFEST
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a folder")
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidManifest(
            f"no {MANIFEST} in {folder}: run `modelport init NAME` to start an algorithm"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidManifest(f"{file} is not valid YAML{line}: {problem}") from None
    try:
        return Manifest.from_mapping(data)
    except InvalidManifest as exc:
        raise InvalidManifest(f"{file}: {exc.message}") from None


def deploy(
    client: Client,
    path: Path,
    *,
    owner: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_status: Callable[[dict[str, Any]], None] | None = None,
    poll: float = 0.5,
) -> dict[str, Any]:
    """Deploy ``path`` as ``owner/<manifest name>``; the finished build, or BuildFailed."""
    manifest = read_manifest(path)
    owner = owner or client.user
    if not owner:
        raise InvalidInput(
            "no owner to deploy as: pass an owner (--owner), or run against a server"
            " whose credentials.json names a user"
        )
    check_owner(owner)
    name = manifest.name
    try:
        client.algorithm(owner, name)
    except NotFound:
        client.create_algorithm(owner, name, summary=manifest.description)
    archive = pack(source_folder(path))
    build = client.upload_build(owner, name, archive, progress=progress)
    sha = build_sha(build)
    if build.get("status") == "in-progress":
        build = client.wait_for_build(owner, name, sha, poll=poll, on_status=on_status)
    elif on_status is not None:
        on_status(build)
    if build.get("status") != "succeeded":
        logs = _logs(client, owner, name, sha, build)
        raise BuildFailed(
            f"build {sha} of {owner}/{name} {build.get('status', 'failed')}", logs=logs, build=build
        )
    return build


def build_sha(build: dict[str, Any]) -> str:
    """The 40-hex hash a build is called and published by."""
    sha = build.get("commit_sha") or build.get("build_id")
    if not isinstance(sha, str) or not sha:
        raise ModelportError(f"the server's build has no commit_sha: {build}")
    return sha


def _logs(client: Client, owner: str, name: str, sha: str, build: dict[str, Any]) -> str:
    try:
        return client.build_logs(owner, name, sha)
    except NotFound:
        return str(build.get("logs") or "")

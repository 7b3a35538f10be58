"""Deploying the example algorithms bundled with modelport (``modelport serve`` does this)."""

from __future__ import annotations

import asyncio
import io
import logging
import tarfile
from importlib import resources
from importlib.abc import Traversable

from modelport.core.model import BuildStatus
from modelport.core.versions import Callability
from modelport.errors import AlgorithmNotFound, ModelportError
from modelport.services.platform import Platform
from modelport.services.principal import Principal

log = logging.getLogger("modelport.examples")


def folder_archive(root: Traversable, replace: dict[str, str] | None = None) -> bytes:
    """A folder of package data as a gzip tar (files only, sorted; ``.tmpl`` suffixes dropped)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        stack = [("", root)]
        while stack:
            prefix, folder = stack.pop()
            for entry in sorted(folder.iterdir(), key=lambda e: e.name):
                if entry.name in ("__pycache__",) or entry.name.endswith(".pyc"):
                    continue
                if entry.is_dir():
                    stack.append((f"{prefix}{entry.name}/", entry))
                    continue
                data = entry.read_bytes()
                for old, new in (replace or {}).items():
                    data = data.replace(old.encode(), new.encode())
                info = tarfile.TarInfo(prefix + entry.name.removesuffix(".tmpl"))
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def example_folders() -> list[Traversable]:
    root = resources.files("modelport").joinpath("examples")
    return sorted(
        (e for e in root.iterdir() if e.is_dir() and e.joinpath("modelport.yaml").is_file()),
        key=lambda e: e.name,
    )


async def deploy_examples(platform: Platform, owner: str) -> None:
    """Build and publish (1.0.0, public) each bundled example not yet published."""
    account = await asyncio.to_thread(platform.store.account_by_name, owner)
    if account is None:
        return
    caller = Principal(account, frozenset({"admin"}))
    for folder in example_folders():
        try:
            await _deploy(platform, caller, owner, folder)
        except ModelportError as exc:
            log.warning("example %s not deployed: %s", folder.name, exc.message)


async def _deploy(platform: Platform, caller: Principal, owner: str, folder: Traversable) -> None:
    registry, builds = platform.registry, platform.builds
    try:
        algorithm = await asyncio.to_thread(registry.get, owner, folder.name)
    except AlgorithmNotFound:
        algorithm = await asyncio.to_thread(
            registry.create, caller, owner, folder.name, {"summary": "bundled example"}
        )
    if await asyncio.to_thread(registry.versions, algorithm):
        return
    build = await asyncio.to_thread(builds.upload, algorithm, folder_archive(folder))
    algorithm = await asyncio.to_thread(registry.set_source, algorithm, build.commit_sha)
    if build.status != BuildStatus.SUCCEEDED:
        build = await asyncio.wrap_future(builds.submit(algorithm, build.commit_sha))
    if build.status != BuildStatus.SUCCEEDED:
        log.warning("example %s failed to build:\n%s", folder.name, build.logs)
        return
    await platform.calls.publish(
        caller, algorithm, "major", callability=Callability.PUBLIC, commit_sha=build.commit_sha
    )
    log.info("example %s/%s published as 1.0.0", owner, folder.name)

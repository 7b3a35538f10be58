"""Shared pieces of the runtime tests: deployments of the one-file test algorithms, calls."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from modelport.adapters.runtime.pool import LocalRunner
from modelport.core.calls import CallRequest, CallResult, ContentType
from modelport.core.manifest import Manifest
from modelport.core.ports import Deployment

ALGORITHMS = Path(__file__).parent / "algorithms"


def deployment(entrypoint: str, **manifest: Any) -> Deployment:
    """A build of one test algorithm, run by this interpreter."""
    suffix = ",".join(f"{k}={v}" for k, v in sorted(manifest.items()))
    key = f"tests/{entrypoint.split('.', maxsplit=1)[0]}@{suffix or 'default'}"
    manifest.setdefault("timeout", 10.0)
    return Deployment(
        key,
        Path(sys.executable),
        ALGORITHMS,
        Manifest(name="test", entrypoint=entrypoint, **manifest),
    )


def request(
    value: Any,
    content_type: ContentType = ContentType.JSON,
    timeout: float = 10.0,
    stdout: bool = False,
    token: str = "",
) -> CallRequest:
    if isinstance(value, bytes):
        body = value
    elif content_type is ContentType.TEXT:
        body = str(value).encode()
    else:
        body = json.dumps(value).encode()
    return CallRequest(content_type, body, timeout, stdout, token)


def value(result: CallResult) -> Any:
    assert result.error is None, result.error
    return json.loads(result.result_json)


def interpreters() -> list[Path]:
    """Other Pythons on this machine (pyenv's, say), 3.8 and newer, to host workers."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(root.glob("3.*/bin/python3")) if root.is_dir() else []
    return [p for p in found if p.parent.parent.name.split(".")[1].isdigit()
            and int(p.parent.parent.name.split(".")[1]) >= 8]  # fmt: skip


def bare_pythons() -> list[Path]:
    """This interpreter's base (outside the virtual environment) and the others found: like
    users' environments, they have no modelport installed (a test skips one that has)."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    base = Path(sys.base_prefix, "bin", version)
    found = {p.resolve(): p for p in [base, *interpreters()] if p.exists()}
    return list(found.values())


def children() -> set[int]:
    """Child processes of this process, zombies included (they are not reaped yet)."""
    me, found = os.getpid(), set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == me:
            found.add(int(entry.name))
    return found


def run(body: Callable[[LocalRunner], Awaitable[None]], **settings: Any) -> None:
    """Run ``body`` with a fresh runner, close it, and check that no worker outlives it."""
    settings.setdefault("worker_idle_ttl", 60.0)
    settings.setdefault("worker_start_timeout", 20.0)
    settings.setdefault("worker_threads", 1)
    before = children()

    async def main() -> None:
        runner = LocalRunner(**settings)
        try:
            await body(runner)
        finally:
            await runner.close()
        assert runner.workers() == {"starting": 0, "idle": 0, "busy": 0}

    asyncio.run(main())
    assert children() - before == set()

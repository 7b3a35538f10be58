"""One virtual environment per (python, requirements) set, created with uv, shared by builds.

The environment's folder is named by the hash of its inputs and marked ready only after
every install step succeeded, so a crash mid-install never leaves a half environment that
later builds would trust. A file lock serialises concurrent builds asking for the same set.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from uv import find_uv_bin

from modelport.core.ports import Log
from modelport.errors import EnvironmentFailed

_READY = ".modelport-ready"
# what an installer needs from the server's environment: paths, caches, TLS roots, proxies
_PASSED = frozenset(
    {
        "HOME",
        "PATH",
        "XDG_CACHE_HOME",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
    }
)


class UvEnvironments:
    """``Environments`` port on uv.

    >>> envs = UvEnvironments(Path("/tmp/envs"), default_python="python3")
    >>> python = envs.ensure(None, ["six"], log=print)  # doctest: +SKIP
    """

    def __init__(
        self,
        root: Path,
        *,
        default_python: str,
        find_links: str | None = None,
        install_timeout: float = 1800.0,
    ) -> None:
        self._root = root
        self._default_python = default_python
        self._find_links = find_links
        self._timeout = install_timeout
        self._uv = find_uv_bin()

    def key(self, python: str | None, requirements: Sequence[str]) -> str:
        spec = {"python": python or self._default_python, "requirements": sorted(requirements)}
        return hashlib.sha1(json.dumps(spec).encode()).hexdigest()  # noqa: S324 - a cache key

    def ensure(self, python: str | None, requirements: Sequence[str], log: Log) -> Path:
        key = self.key(python, requirements)
        folder = self._root / key
        interpreter = folder / "bin" / "python"
        if (folder / _READY).exists():
            log(f"environment {key[:12]} cached")
            return interpreter
        self._root.mkdir(parents=True, exist_ok=True)
        with open(self._root / f"{key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if (folder / _READY).exists():
                log(f"environment {key[:12]} cached")
                return interpreter
            shutil.rmtree(folder, ignore_errors=True)
            try:
                self._create(folder, python or self._default_python, requirements, log)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            (folder / _READY).write_text(json.dumps(sorted(requirements)))
        return interpreter

    def _create(self, folder: Path, python: str, requirements: Sequence[str], log: Log) -> None:
        log(f"creating environment {folder.name[:12]} with python {python}")
        self._run([self._uv, "venv", "--quiet", "--python", python, str(folder)], log)
        if not requirements:
            return
        log("installing " + " ".join(requirements))
        req_file = folder / "requirements.txt"
        req_file.write_text("\n".join(requirements) + "\n")
        cmd = [
            self._uv,
            "pip",
            "install",
            "--python",
            str(folder / "bin" / "python"),
            "-r",
            str(req_file),
        ]
        if self._find_links:
            cmd += ["--find-links", self._find_links]
        self._run(cmd, log)

    def _run(self, cmd: list[str], log: Log) -> None:
        env = {k: v for k, v in os.environ.items() if k in _PASSED or k.startswith("UV_")}
        env.setdefault("UV_PYTHON_DOWNLOADS", "never")
        try:
            proc = subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=self._timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise EnvironmentFailed(
                f"environment install timed out after {self._timeout:.0f} s"
            ) from None
        for line in (proc.stdout + proc.stderr).splitlines():
            log(line)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise EnvironmentFailed(
                "environment install failed: " + (" | ".join(tail) or f"exit {proc.returncode}")
            )

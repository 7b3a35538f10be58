"""One virtual environment per (python, requirements) set, created with uv, shared by builds.

The environment's folder is named by the hash of its inputs and marked ready only after
every install step succeeded, so a crash mid-install never leaves a half environment that
later builds would trust. A file lock serialises concurrent builds asking for the same set.

Installing a wheel runs none of its code, but building a package from source runs its build
backend, code of the tenant's choosing. With a ``Confinement`` (the workers' sandbox), wheels
are installed first with ``--no-build``, from the shared cache; only if a requirement must be
built is the install run again inside the sandbox, as its unprivileged uid, seeing nothing of
the server but the environment being made and a scratch cache of its own, deleted after (a
build cannot poison the shared cache other tenants' installs read). uv never reads a
configuration file (``--no-config``): a tenant's ``uv.toml`` or ``pyproject.toml`` sets
nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from uv import find_uv_bin

from modelport.core.ports import Log
from modelport.core.sources import folder_hash
from modelport.errors import EnvironmentFailed

_READY = ".modelport-ready"
_NEEDS_BUILD = "Building source distributions is disabled"  # uv's words under --no-build
OUTPUT_LIMIT = 2**20  # of an install's output, kept for the build log
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


@dataclass(frozen=True, slots=True)
class Confinement:
    """Where package builds run: ``wrap(argv, reads, writes)`` is ``argv`` in a sandbox that
    sees ``reads`` read-only and ``writes`` writable (with the network, for the index);
    ``uid`` is who it runs as, when it changes (the gateway is root), so the folders it
    writes are handed to that uid first and taken back after."""

    wrap: Callable[[list[str], list[Path], list[Path]], list[str]]
    uid: int | None = None


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
        confinement: Confinement | None = None,
    ) -> None:
        self._root = root
        self._default_python = default_python
        self._find_links = find_links
        self._timeout = install_timeout
        self._uv = find_uv_bin()
        self._confinement = confinement

    def key(self, python: str | None, requirements: Sequence[str]) -> str:
        """The hash of the interpreter and the requirements, files named by their content (a
        wheel shipped in two builds' source folders makes one environment)."""
        named = sorted(_content(r) for r in requirements)
        spec = {"python": python or self._default_python, "requirements": named}
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
        venv = [self._uv, "venv", "--quiet", "--no-config", "--python", python, str(folder)]
        self._check(self._run(venv), log)
        if not requirements:
            return
        log("installing " + " ".join(requirements))
        req_file = folder / "requirements.txt"
        req_file.write_text("\n".join(requirements) + "\n")
        cmd = [self._uv, "pip", "install", "--no-config", "--python", str(folder / "bin/python")]
        # bytecode now, once: workers cannot write it (the environment is read-only to them),
        # and compiling scikit-learn's modules at every import cost a cold start 3 s here
        cmd += ["--compile-bytecode", "-r", str(req_file)]
        if self._find_links:
            cmd += ["--find-links", self._find_links]
        if self._confinement is None:  # no sandbox: builds run as the server (docs/security.md)
            self._check(self._run(cmd), log)
            return
        done = self._run([*cmd, "--no-build"])  # wheels only: no package's code runs
        if done.code != 0 and _NEEDS_BUILD in done.output:
            log("a requirement is built from source: installing in the sandbox")
            done = self._confined(self._confinement, cmd, folder, requirements)
        self._check(done, log)

    def _confined(
        self, confinement: Confinement, cmd: list[str], folder: Path, requirements: Sequence[str]
    ) -> Ran:
        """``cmd`` in the sandbox, writing only ``folder`` and a scratch cache of its own."""
        scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=self._root))
        reads = [Path(self._uv), Path(os.path.realpath(folder / "bin/python")).parent.parent]
        reads += [Path(r) for r in requirements if Path(r).is_absolute()]  # the build's files
        if self._find_links and Path(self._find_links).is_dir():
            reads.append(Path(self._find_links))
        try:
            if confinement.uid is not None:
                _chown_tree(folder, confinement.uid)
                os.chown(scratch, confinement.uid, confinement.uid)
            argv = confinement.wrap(cmd, reads, [folder, scratch])
            return self._run(argv, {"UV_CACHE_DIR": str(scratch / "cache")})
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            if confinement.uid is not None:
                _chown_tree(folder, os.getuid())  # read-only to every worker from now on

    def _run(self, cmd: list[str], extra: dict[str, str] | None = None) -> Ran:
        """``cmd``'s exit code and the end of its output (``OUTPUT_LIMIT``): a package build
        that prints without end costs the server nothing."""
        env = {k: v for k, v in os.environ.items() if k in _PASSED or k.startswith("UV_")}
        env.setdefault("UV_PYTHON_DOWNLOADS", "never")
        env.update(extra or {})
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=self._root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            proc.kill()

        timer = threading.Timer(self._timeout, expire)
        timer.start()
        kept = bytearray()
        try:
            assert proc.stdout is not None
            while chunk := os.read(proc.stdout.fileno(), 1 << 16):
                kept += chunk
                if len(kept) > 2 * OUTPUT_LIMIT:
                    del kept[:-OUTPUT_LIMIT]
            code = proc.wait()
        finally:
            timer.cancel()
            if proc.stdout is not None:
                proc.stdout.close()
        if expired.is_set():
            raise EnvironmentFailed(f"environment install timed out after {self._timeout:.0f} s")
        return Ran(code, kept[-OUTPUT_LIMIT:].decode("utf-8", "replace"))

    def _check(self, ran: Ran, log: Log) -> None:
        for line in ran.output.splitlines():
            log(line)
        if ran.code != 0:
            tail = ran.output.strip().splitlines()[-5:]
            raise EnvironmentFailed(
                "environment install failed: " + (" | ".join(tail) or f"exit {ran.code}")
            )


class Ran(NamedTuple):
    code: int
    output: str  # stdout and stderr together, its end


def _content(requirement: str) -> str:
    """A requirement as the environment's key sees it: a file (an absolute path, as checked
    requirements name the build's own files) by its content's hash, the rest as written."""
    path = Path(requirement)
    if not path.is_absolute():
        return requirement
    if path.is_dir():
        return f"folder:{folder_hash(path)}:{path.name}"
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return f"file:{digest.hexdigest()}:{path.name}"  # the name: uv reads a wheel's tags in it


def _chown_tree(folder: Path, uid: int) -> None:
    """Give ``folder`` and all in it to ``uid`` (links themselves, not what they point to)."""
    os.lchown(folder, uid, uid)
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, uid)

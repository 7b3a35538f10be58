"""Limits the kernel holds for a worker's whole process tree: memory and a process count.

``RLIMIT_DATA`` (the worker's ``--memory``) caps each process's heap on its own; a cgroup
counts the tree together: children, shared memory (``/dev/shm``) and the sandbox's tmpfs
``/tmp`` are charged to it, so none of them escapes the manifest's ``memory``, and
``pids.max`` stops a fork bomb. Each worker gets a cgroup of its own under ``modelport/``,
removed once the worker has exited.

Both layouts are handled: cgroup v2 (one hierarchy; ``memory.max``, ``pids.max``) and v1
(``memory/`` and ``pids/`` controllers; ``memory.limit_in_bytes``, ``pids.max``), where this
process may create groups (root, or a delegated subtree). Where neither is writable
(``Cgroups.find()`` answers None), only ``RLIMIT_DATA`` holds: docs/security.md.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
GROUP = "modelport"
_numbers = itertools.count()


@dataclass(frozen=True, slots=True)
class Group:
    """One worker's cgroup (a folder per hierarchy): ``join(argv)`` starts ``argv`` in it."""

    folders: tuple[Path, ...]

    def join(self, argv: list[str]) -> list[str]:
        """``argv`` run by a shell that first moves itself into the group, so every process
        the worker starts is counted from its first instruction."""
        script = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; '
        script += 'exec "$@"'
        procs = [str(f / "cgroup.procs") for f in self.folders]
        return ["/bin/sh", "-c", script, "sh", *procs, "--", *argv]

    def remove(self) -> bool:
        """Remove the group; False while processes remain in it (the kernel refuses)."""
        for folder in self.folders:
            with contextlib.suppress(FileNotFoundError):
                try:
                    folder.rmdir()
                except OSError:
                    return False
        return True

    def remove_when_empty(self, tries: int = 50, pause: float = 0.02) -> bool:
        """Remove the group once its processes have exited: the kernel may take a moment to
        empty it after the last one is reaped (blocking: call it in a thread)."""
        for _ in range(tries):
            if self.remove():
                return True
            time.sleep(pause)
        return False


@dataclass(frozen=True, slots=True)
class Cgroups:
    """Where this host lets modelport make cgroups: ``Cgroups.find()``, then ``make(...)``."""

    memory: Path  # the parent of workers' groups in the hierarchy with the memory controller
    pids: Path
    v2: bool

    @classmethod
    def find(cls, root: Path = ROOT) -> Cgroups | None:
        """The layout of this host, with ``modelport/`` made in it; None when not writable."""
        if (root / "cgroup.controllers").exists():  # v2 mounted at the root
            parent = root / GROUP
            if not _made(parent) or not _enable(root, parent):
                return None
            return cls(parent, parent, True)
        memory, pids = root / "memory" / GROUP, root / "pids" / GROUP
        v1 = (root / "memory").is_dir() and (root / "pids").is_dir()
        return cls(memory, pids, False) if v1 and _made(memory) and _made(pids) else None

    def make(self, memory: int, processes: int) -> Group:
        """A new group for one worker: at most ``memory`` bytes and ``processes`` tasks."""
        name = f"worker-{os.getpid()}-{next(_numbers)}"
        if self.v2:
            folder = self.memory / name
            folder.mkdir()
            _write(folder / "memory.max", memory)
            _write(folder / "memory.swap.max", 0, optional=True)
            _write(folder / "pids.max", processes)
            return Group((folder,))
        memory_folder, pids_folder = self.memory / name, self.pids / name
        memory_folder.mkdir()
        pids_folder.mkdir()
        _write(memory_folder / "memory.limit_in_bytes", memory)
        _write(memory_folder / "memory.memsw.limit_in_bytes", memory, optional=True)
        _write(pids_folder / "pids.max", processes)
        return Group((memory_folder, pids_folder))


def _made(folder: Path) -> bool:
    try:
        folder.mkdir(exist_ok=True)
        return os.access(folder, os.W_OK)
    except OSError:
        return False


def _enable(root: Path, parent: Path) -> bool:
    """v2: the memory and pids controllers handed down to ``parent``'s children."""
    try:
        for folder in (root, parent):
            enabled = (folder / "cgroup.subtree_control").read_text().split()
            missing = [c for c in ("memory", "pids") if c not in enabled]
            if missing:
                _write(folder / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
        return True
    except OSError:
        return False


def _write(path: Path, value: object, *, optional: bool = False) -> None:
    """``optional``: a file that exists only with swap accounting."""
    try:
        path.write_text(f"{value}\n")
    except FileNotFoundError:
        if not optional:
            raise

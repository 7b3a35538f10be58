"""Workers in a bubblewrap sandbox: their own mount, PID, IPC and UTS namespaces, as nobody.

A sandboxed worker sees, read-only, the system's programs and libraries (``/usr``), a few
files of ``/etc`` with no secrets in them, its Python runtime, its environment, its build's
folder and modelport's stdlib-only worker and SDK; a private size-capped ``/tmp`` (also its
``HOME`` and data cache) and ``/dev/shm``; its own ``/proc`` and ``/dev``. Nothing of
``MODELPORT_HOME`` (database, secret key, credentials, blobs, other builds, logs), no other
process: the gateway cannot be seen, traced or signalled. When the gateway runs as root,
the worker runs as an unprivileged uid with no capabilities (``setpriv``, before Python
starts, so nothing in the environment runs as root); otherwise bubblewrap makes a user
namespace and the worker keeps the gateway's uid, which the namespaces already keep away
from the gateway's files.

The sandbox's first process is bubblewrap's, and ``--die-with-parent`` ties the rest to it:
killing the worker's process group (a timeout, a stop) ends every process the algorithm
started. A worker killed by signal N exits with 128 + N through bubblewrap (``exit_status``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

# What programs commonly read from /etc; none holds a secret (shadow, ssh keys stay out).
ETC = (
    "/etc/alternatives",
    "/etc/ca-certificates",
    "/etc/fonts",
    "/etc/group",
    "/etc/host.conf",
    "/etc/hosts",
    "/etc/ld.so.cache",
    "/etc/localtime",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/resolv.conf",
    "/etc/ssl",
)
TOP_LEVEL = ("/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin")  # symlinks into /usr or not
DATA_CACHE = "/tmp/modelport-data"
NOBODY = 65534


def bubblewrap() -> str | None:
    """The ``bwrap`` program, or None when it is not installed."""
    return shutil.which("bwrap")


@dataclass(frozen=True, slots=True)
class Sandbox:
    """How workers are wrapped: ``Sandbox("/usr/bin/bwrap").wrap(argv, reads=[...], cwd=src)``."""

    bwrap: str
    uid: int = NOBODY  # used when the gateway runs as root
    tmp_bytes: int = 1 << 30  # the private /tmp's size (tmpfs: memory as it fills)

    def wrap(
        self,
        argv: list[str],
        *,
        reads: list[Path],
        cwd: Path,
        isolated: bool,
        writes: list[Path] | None = None,
    ) -> list[str]:
        """``argv`` run inside the sandbox, seeing ``reads`` (folders or files) read-only and
        ``writes`` (folders) writable.

        ``isolated``: the sandbox has a network of its own, empty but for loopback
        (``network: isolated``); the worker reaches the gateway through the channel it
        inherits, a socket no network namespace stands in the way of."""
        out = [self.bwrap, "--die-with-parent", "--unshare-pid", "--unshare-ipc"]
        if isolated:
            out += ["--unshare-net"]
        out += ["--unshare-uts", "--unshare-cgroup-try", "--hostname", "worker"]
        out += ["--ro-bind", "/usr", "/usr"]
        for path in TOP_LEVEL:
            if os.path.islink(path):
                out += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                out += ["--ro-bind", path, path]
        out += ["--proc", "/proc", "--dev", "/dev"]
        for tmp in ("/tmp", "/dev/shm"):  # shm: semaphores (multiprocessing, joblib)
            out += ["--size", str(self.tmp_bytes), "--perms", "1777", "--tmpfs", tmp]
        # after /tmp, since a build may be under it
        binds = [p for p in ETC if os.path.exists(p)] + list(dict.fromkeys(str(p) for p in reads))
        writable = [str(w) for w in writes or []]
        for folder in _parents(binds + writable):  # bubblewrap would make them 0700
            out += ["--perms", "0755", "--dir", folder]
        for path in binds:
            out += ["--ro-bind", path, path]
        for path in writable:
            out += ["--bind", path, path]
        out += ["--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp"]
        out += ["--setenv", "MODELPORT_DATA_CACHE", DATA_CACHE]
        out += ["--chdir", str(cwd)]
        if os.geteuid() == 0:
            # bubblewrap runs as root (no user namespace: real uids), then nobody runs Python
            out += ["--", "setpriv", f"--reuid={self.uid}", f"--regid={self.uid}"]
            out += ["--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
        else:
            out += ["--unshare-user"]
        return [*out, "--", *argv]


def _parents(paths: list[str]) -> list[str]:
    """The folders above ``paths`` that the sandbox must make, outermost first."""
    made = {"/", "/usr", "/tmp", "/proc", "/dev", "/dev/shm"}
    out: dict[str, None] = {}
    for path in paths:
        for folder in reversed([str(p) for p in Path(path).parents]):
            if folder not in made and not folder.startswith("/usr/"):
                out[folder] = None
    return list(out)


def exit_status(code: int) -> int:
    """A sandboxed worker's exit code as ``Popen.returncode`` would give it unsandboxed:
    bubblewrap exits with 128 + N for a child killed by signal N."""
    return -(code - 128) if 128 < code < 128 + 65 else code


def python_prefix(python: Path) -> Path:
    """The installation an environment's interpreter belongs to (``…/versions/3.11.7`` for
    ``env/bin/python -> …/versions/3.11.7/bin/python3.11``), which the sandbox must show."""
    return Path(os.path.realpath(python)).parent.parent

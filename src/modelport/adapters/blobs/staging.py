"""Staging folders: where uploads are spooled before a store takes them with ``put_file``.

A process killed mid-upload leaves its file behind; ``sweep`` removes such leftovers once
they are old enough that no live writer can still own them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import weakref
from pathlib import Path

STALE_AFTER = 3600.0  # seconds before a leftover in staging counts as abandoned


def sweep(folder: Path, older_than: float = STALE_AFTER) -> None:
    """Remove entries of ``folder`` not modified for ``older_than`` seconds."""
    cutoff = time.time() - older_than
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)


def private_folder(owner: object) -> Path:
    """A new temp folder, only for this user, removed when ``owner`` is garbage-collected."""
    path = Path(tempfile.mkdtemp(prefix="modelport-staging-"))
    weakref.finalize(owner, shutil.rmtree, path, ignore_errors=True)
    return path

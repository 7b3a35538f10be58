"""Blob stores: opaque bytes by key, on disk (``DiskBlobs``) or in memory (``MemoryBlobs``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelport.adapters.blobs.disk import DiskBlobs
from modelport.adapters.blobs.keys import check_key
from modelport.adapters.blobs.memory import MemoryBlobs

__all__ = ["DiskBlobs", "MemoryBlobs", "check_key"]

if TYPE_CHECKING:
    from modelport.core.ports import Blobs

    # mypy proves here that both classes implement the port.
    def _implements_blobs(disk: DiskBlobs, memory: MemoryBlobs) -> tuple[Blobs, Blobs]:
        return disk, memory

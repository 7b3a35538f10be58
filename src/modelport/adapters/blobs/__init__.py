"""Blob stores: files by key, on disk (``DiskBlobs``), in memory (``MemoryBlobs``) or on S3.

``S3Blobs`` lives in ``modelport.adapters.blobs.s3`` and needs the ``s3`` extra (boto3), so
importing this package never imports boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelport.adapters.blobs.disk import DiskBlobs
from modelport.adapters.blobs.keys import check_folder, check_key
from modelport.adapters.blobs.memory import MemoryBlobs

__all__ = ["DiskBlobs", "MemoryBlobs", "check_folder", "check_key"]

if TYPE_CHECKING:
    from modelport.adapters.blobs.s3 import S3Blobs
    from modelport.core.ports import Blobs

    # mypy proves here that every store implements the port.
    def _implements_blobs(
        disk: DiskBlobs, memory: MemoryBlobs, s3: S3Blobs
    ) -> tuple[Blobs, Blobs, Blobs]:
        return disk, memory, s3

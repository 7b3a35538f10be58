"""``S3Blobs``: blobs as objects in an S3 bucket (AWS, SeaweedFS, MinIO...), on boto3.

Folders follow the disk store's rules: a zero-byte marker object ``folder/`` makes a folder
exist while empty, writing a file creates markers for its parents, and a name is never both
a file and a folder. Objects written by other tools (without markers) are read all the same.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, cast

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from modelport.adapters.blobs.keys import (
    check_folder,
    check_key,
    check_subfolder,
    is_temp_name,
    parents,
)
from modelport.adapters.blobs.s3_client import (
    BlobStoreError,
    connect,
    error_code,
    errors,
    failure,
    is_missing,
    safe_url,
)
from modelport.adapters.blobs.staging import private_folder, sweep
from modelport.core.ports import BlobInfo
from modelport.errors import Conflict, NotFound

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import (
        CreateBucketConfigurationTypeDef,
        HeadObjectOutputTypeDef,
        ObjectIdentifierTypeDef,
    )

_MiB = 1 << 20
_TRANSFER = TransferConfig(multipart_threshold=8 * _MiB, multipart_chunksize=8 * _MiB,
                           max_concurrency=4)  # fmt: skip
_Names = list[str]  # (``list`` is a method name inside the class)
_Listing = tuple[_Names, list[BlobInfo]]


class S3Blobs:
    """Each key is an object ``prefix + key`` in ``bucket``; the bucket is made if missing.

    >>> blobs = S3Blobs("modelport", endpoint_url="http://127.0.0.1:8333")  # doctest: +SKIP
    >>> blobs.put("sources/0a1b.tar.gz", b"...")  # doctest: +SKIP
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        prefix: str = "",
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        staging: Path | None = None,
    ) -> None:
        self.bucket, self.endpoint_url = bucket, endpoint_url
        self.prefix = f"{check_subfolder(prefix)}/" if prefix.strip("/") else ""
        self._staging, self._staging_lock, self._swept = staging, threading.Lock(), False
        self._client = connect(endpoint_url=endpoint_url, region=region,
                               access_key=access_key, secret_key=secret_key)  # fmt: skip
        try:
            self._ensure_bucket(region)
        except BaseException:
            self._client.close()
            raise

    def __repr__(self) -> str:
        url = safe_url(self.endpoint_url)
        return f"S3Blobs({self.bucket!r}, endpoint_url={url!r}, prefix={self.prefix!r})"

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

    def __enter__(self) -> S3Blobs:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def staging(self) -> Path:
        """A local folder for uploads on their way to S3: the one given, else a private temp one.

        Leftovers of killed uploads in a given folder are swept after an hour.
        """
        with self._staging_lock:
            if self._staging is None:
                self._staging, self._swept = private_folder(self), True
            self._staging.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self._swept:
                self._swept = True
                sweep(self._staging)
            return self._staging

    def put(self, key: str, data: bytes) -> None:
        missing = self._prepare_file(check_key(key))
        with errors("write", repr(key)):
            self._client.put_object(Bucket=self.bucket, Key=self._object(key), Body=data)
        self._make_markers(missing)

    def put_file(self, key: str, source: Path) -> BlobInfo:
        """Upload ``source`` (multipart when large, streamed from disk), then delete it."""
        try:
            missing = self._prepare_file(check_key(key))
            with errors("upload", repr(key)):
                self._client.upload_file(str(source), self.bucket, self._object(key),
                                         Config=_TRANSFER)  # fmt: skip
        finally:
            source.unlink(missing_ok=True)  # consumed even on failure: staging never fills up
        self._make_markers(missing)
        info = self.stat(key)
        if info is None:
            raise BlobStoreError(f"S3 lost {key!r} right after the upload")
        return info

    def get(self, key: str) -> bytes:
        with self.open(key) as f:
            return f.read()

    def open(self, key: str) -> BinaryIO:
        """The object's body as a stream (``read(n)``); close it when done."""
        with errors("read", repr(key), missing=f"blob {key!r} not found"):
            reply = self._client.get_object(Bucket=self.bucket, Key=self._object(check_key(key)))
        return cast(BinaryIO, reply["Body"])

    def stat(self, key: str) -> BlobInfo | None:
        reply = self._head(check_key(key))
        return BlobInfo(key, reply["ContentLength"], _utc(reply["LastModified"])) if reply else None

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def delete(self, key: str) -> None:
        """Delete the blob; deleting a missing one (or a folder) does nothing."""
        with errors("delete", repr(key)):
            self._client.delete_object(Bucket=self.bucket, Key=self._object(check_key(key)))

    def list(self, prefix: str) -> _Listing:
        """Sub-folder names and files (``key`` = the file's name) of a folder, sorted by name."""
        folder = check_folder(prefix)
        start = self._object(f"{folder}/") if folder else self.prefix
        folders: list[str] = []
        files: list[BlobInfo] = []
        found = not folder  # the root always exists
        pages = self._client.get_paginator("list_objects_v2")
        with errors("list", repr(prefix)):
            for page in pages.paginate(Bucket=self.bucket, Prefix=start, Delimiter="/"):
                for common in page.get("CommonPrefixes", []):
                    folders.append(common.get("Prefix", "")[len(start) : -1])
                for obj in page.get("Contents", []):
                    name = obj.get("Key", "")[len(start) :]
                    found = True
                    if name and not is_temp_name(name):  # "" is the folder's own marker
                        modified = _utc(obj.get("LastModified", datetime.now(UTC)))
                        files.append(BlobInfo(name, obj.get("Size", 0), modified))
        if not (found or folders):
            raise NotFound(f"folder {prefix!r} not found")
        return sorted(folders), sorted(files, key=lambda f: f.key)

    def make_folder(self, prefix: str) -> None:
        """Create a folder (and its parents) as marker objects; an existing folder is fine."""
        folder = check_subfolder(prefix)
        if self._has(f"{folder}/"):
            return
        if self._has(folder):
            raise Conflict(f"cannot create folder {folder!r}: a file is in the way")
        self._make_markers([folder, *self._missing_parents(folder)])

    def folder_exists(self, prefix: str) -> bool:
        folder = check_folder(prefix)
        return not folder or self._any_under(f"{folder}/")

    def delete_tree(self, prefix: str) -> int:
        """Delete every object under the folder, its marker too; return how many files went."""
        folder = check_subfolder(prefix)
        start = self._object(f"{folder}/")
        keys: list[str] = []
        pages = self._client.get_paginator("list_objects_v2")
        with errors("list", repr(prefix)):
            for page in pages.paginate(Bucket=self.bucket, Prefix=start):
                keys.extend(obj.get("Key", "") for obj in page.get("Contents", []))
        if not keys:
            raise NotFound(f"folder {prefix!r} not found")
        # Children before their folder's marker: servers that keep real directories
        # (SeaweedFS) then drop each one, instead of listing it empty forever.
        keys.sort(reverse=True)
        for i in range(0, len(keys), 1000):  # the most one DeleteObjects request takes
            batch: list[ObjectIdentifierTypeDef] = [{"Key": k} for k in keys[i : i + 1000]]
            with errors("delete in", repr(prefix)):
                reply = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            failed = reply.get("Errors", [])
            if failed:
                first = failed[0]
                raise BlobStoreError(f"S3 could not delete {len(failed)} objects in {prefix!r}, "
                                     f"{first.get('Key')!r}: {first.get('Code')}")  # fmt: skip
        return sum(1 for k in keys if not k.endswith("/"))

    # -- the tree rules ----------------------------------------------------------------------

    def _prepare_file(self, key: str) -> _Names:
        """Refuse a key that is a folder or lies below a file; return parents to mark."""
        if self._any_under(f"{key}/"):
            raise Conflict(f"cannot store {key!r}: it is a folder")
        return self._missing_parents(key)

    def _missing_parents(self, key: str) -> _Names:
        missing: _Names = []
        for parent in parents(key):
            if self._has(f"{parent}/"):
                break  # a marker: its parents were checked when it was made
            if self._has(parent):
                raise Conflict(f"cannot use {key!r}: {parent!r} is a file, not a folder")
            missing.append(parent)
        return missing

    def _make_markers(self, folders: _Names) -> None:
        for folder in reversed(folders):  # top down
            with errors("create folder", repr(folder)):
                self._client.put_object(Bucket=self.bucket, Key=self._object(f"{folder}/"))

    def _has(self, key: str) -> bool:
        return self._head(key) is not None

    def _head(self, key: str) -> HeadObjectOutputTypeDef | None:
        with errors("look up", repr(key)):
            try:
                return self._client.head_object(Bucket=self.bucket, Key=self._object(key))
            except ClientError as e:
                if is_missing(e):
                    return None
                raise

    def _any_under(self, start: str) -> bool:
        with errors("list", repr(start)):
            reply = self._client.list_objects_v2(
                Bucket=self.bucket, Prefix=self._object(start), MaxKeys=1
            )
        return bool(reply.get("Contents"))

    def _object(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _ensure_bucket(self, region: str) -> None:
        what = repr(self.bucket)
        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as e:
            if not is_missing(e) and error_code(e) != "NoSuchBucket":
                raise failure(e, "open bucket", what) from e
        except BotoCoreError as e:
            raise BlobStoreError(f"S3 could not open bucket {what}: {e}") from e
        with errors("create bucket", what):
            try:
                if region == "us-east-1":  # the one region that refuses a LocationConstraint
                    self._client.create_bucket(Bucket=self.bucket)
                else:
                    where = cast("CreateBucketConfigurationTypeDef", {"LocationConstraint": region})
                    self._client.create_bucket(Bucket=self.bucket, CreateBucketConfiguration=where)
            except ClientError as e:
                if error_code(e) == "BucketAlreadyOwnedByYou":
                    return
                if error_code(e) != "BucketAlreadyExists":
                    raise
                self._client.head_bucket(Bucket=self.bucket)  # made meanwhile: is it ours?


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)

"""The boto3 side of ``S3Blobs``: one configured client, and S3 errors as modelport errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import boto3
from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from modelport.errors import NotFound, StorageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MISSING = {"404", "NoSuchKey", "NotFound"}


BlobStoreError = StorageError  # the object store refused or failed a request


def connect(
    *, endpoint_url: str | None, region: str, access_key: str | None, secret_key: str | None
) -> S3Client:
    """An S3 client with path-style addressing; without keys, boto3's default chain applies."""
    config = Config(
        s3={"addressing_style": "path"},
        retries={"mode": "standard", "max_attempts": 4},
        connect_timeout=10,
        read_timeout=120,
        # S3-compatible servers differ on the newer default checksums; send them when required
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # A session of our own: boto3's default session is shared, mutable module state.
    session = boto3.session.Session()
    try:
        return session.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )
    except (BotoCoreError, ValueError) as e:  # ValueError: a malformed endpoint URL
        raise BlobStoreError(f"S3 client for {safe_url(endpoint_url) or 'AWS'}: {e}") from e


def is_missing(error: ClientError) -> bool:
    """Whether S3 said 404 about an object (not about the bucket)."""
    info = error.response.get("Error", {})
    if info.get("Code") == "NoSuchBucket":
        return False
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return info.get("Code") in _MISSING or status == 404


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextlib.contextmanager
def errors(action: str, what: str, *, missing: str | None = None) -> Iterator[None]:
    """Turn boto3 errors into ``NotFound`` (when ``missing`` is given) or ``BlobStoreError``.

    Messages name the action and the object, never credentials.
    """
    try:
        yield
    except ClientError as e:
        if missing is not None and is_missing(e):
            raise NotFound(missing) from e
        raise failure(e, action, what) from e
    except (BotoCoreError, Boto3Error) as e:
        raise BlobStoreError(f"S3 could not {action} {what}: {e}") from e


def failure(error: ClientError, action: str, what: str) -> BlobStoreError:
    """A clear ``BlobStoreError`` for an S3 error reply."""
    info = error.response.get("Error", {})
    detail = f"{info.get('Code', '?')}: {info.get('Message', '')}".rstrip(": ")
    return BlobStoreError(f"S3 could not {action} {what}: {detail}")


def safe_url(url: str | None) -> str | None:
    """The endpoint without any ``user:password@`` part, for ``repr`` and messages."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))

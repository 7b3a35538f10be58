"""``S3Blobs`` beyond the shared suite: what lands in the bucket, big uploads, errors, secrets."""

from __future__ import annotations

import gc
import hashlib
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from modelport.errors import ModelportError, NotFound

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from modelport.adapters.blobs.s3 import S3Blobs
    from tests.fixtures.s3 import S3Endpoint

MiB = 1 << 20


def raw_keys(client: S3Client, bucket: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def test_objects_and_folder_markers_in_the_bucket(s3_blobs: S3Blobs, s3_client: S3Client) -> None:
    s3_blobs.put("data/alice/models/m.bin", b"m")
    s3_blobs.make_folder("data/alice/empty")
    assert raw_keys(s3_client, s3_blobs.bucket) == [
        "data/", "data/alice/", "data/alice/empty/", "data/alice/models/",
        "data/alice/models/m.bin",
    ]  # fmt: skip
    assert s3_blobs.list("data/alice") == (["empty", "models"], [])  # markers are not files
    s3_blobs.delete_tree("data/")
    assert raw_keys(s3_client, s3_blobs.bucket) == []
    assert s3_blobs.list("") == ([], [])  # no folder left behind, even on SeaweedFS


def test_a_large_upload_is_multipart_and_streams_back(
    s3_blobs: S3Blobs, s3_client: S3Client
) -> None:
    data = hashlib.sha256(b"weights").digest() * (12 * MiB // 32)
    source = s3_blobs.staging() / f"{uuid.uuid4().hex}.part"
    source.write_bytes(data)
    info = s3_blobs.put_file("big/weights.bin", source)
    assert info.size == len(data) and not source.exists()
    head = s3_client.head_object(Bucket=s3_blobs.bucket, Key="big/weights.bin")
    assert head["ETag"].strip('"').endswith("-2")  # two 8 MiB-sized parts
    digest = hashlib.sha256()
    with s3_blobs.open("big/weights.bin") as stream:
        while chunk := stream.read(MiB):
            digest.update(chunk)
    assert digest.digest() == hashlib.sha256(data).digest()


def test_objects_written_by_other_tools_are_read(s3_blobs: S3Blobs, s3_client: S3Client) -> None:
    s3_client.put_object(Bucket=s3_blobs.bucket, Key="foreign/deep/f.txt", Body=b"abc")
    assert s3_blobs.folder_exists("foreign") and s3_blobs.folder_exists("foreign/deep/")
    assert s3_blobs.list("") == (["foreign"], [])
    assert [(f.key, f.size) for f in s3_blobs.list("foreign/deep")[1]] == [("f.txt", 3)]
    assert s3_blobs.delete_tree("foreign") == 1


def test_listing_and_deleting_past_one_page(s3_blobs: S3Blobs, s3_client: S3Client) -> None:
    names = [f"f{i:04d}" for i in range(1003)]
    s3_blobs.make_folder("many")
    with ThreadPoolExecutor(16) as pool:
        put = s3_client.put_object
        list(pool.map(lambda n: put(Bucket=s3_blobs.bucket, Key=f"many/{n}", Body=b"x"), names))
    s3_blobs.make_folder("many/sub")
    folders, files = s3_blobs.list("many/")
    assert folders == ["sub"] and [f.key for f in files] == names
    assert s3_blobs.delete_tree("many") == 1003
    assert raw_keys(s3_client, s3_blobs.bucket) == []


def test_a_prefix_keeps_the_store_in_its_part_of_the_bucket(
    s3_blobs: S3Blobs, s3_server: S3Endpoint, s3_client: S3Client
) -> None:
    from modelport.adapters.blobs.s3 import S3Blobs

    s3_blobs.put("outside", b"o")
    with S3Blobs(
        s3_blobs.bucket, endpoint_url=s3_server.url, prefix="tenant/a/",
        access_key=s3_server.access_key, secret_key=s3_server.secret_key,
    ) as inner:  # fmt: skip
        assert inner.prefix == "tenant/a/"
        inner.put("x/y", b"y")
        assert inner.list("") == (["x"], [])
        assert inner.get("x/y") == b"y"
        assert not inner.exists("outside")
        assert inner.delete_tree("x") == 1
    assert raw_keys(s3_client, s3_blobs.bucket) == ["outside"]  # the prefix is no folder


def test_the_bucket_is_made_once_and_reused(s3_server: S3Endpoint, s3_client: S3Client) -> None:
    from modelport.adapters.blobs.s3 import S3Blobs
    from tests.fixtures.s3 import remove_bucket

    bucket = f"mp-test-{uuid.uuid4().hex[:16]}"

    def connect() -> S3Blobs:
        return S3Blobs(
            bucket, endpoint_url=s3_server.url, region=s3_server.region,
            access_key=s3_server.access_key, secret_key=s3_server.secret_key,
        )  # fmt: skip

    try:
        with connect() as first:
            first.put("k", b"v")
        with connect() as second:
            assert second.get("k") == b"v"
    finally:
        remove_bucket(s3_client, bucket)


def test_errors_name_the_problem_never_the_secret(s3_server: S3Endpoint, tmp_path: Path) -> None:
    from modelport.adapters.blobs.s3 import S3Blobs

    if s3_server.access_key is None:
        pytest.skip("the endpoint's keys come from boto3's default chain")
    secret = "wrong-secret-do-not-print-1234"
    with pytest.raises(ModelportError) as caught:
        S3Blobs(f"mp-test-{uuid.uuid4().hex[:16]}", endpoint_url=s3_server.url,
                access_key=s3_server.access_key, secret_key=secret)  # fmt: skip
    assert not isinstance(caught.value, NotFound)
    assert "S3 could not" in caught.value.message
    assert secret not in str(caught.value) and secret not in repr(caught.value.details)
    assert caught.value.code == "storage_error"


def test_an_unreachable_server_is_a_clear_error() -> None:
    from modelport.adapters.blobs.s3 import S3Blobs
    from tests.fixtures.server import free_port

    with pytest.raises(ModelportError, match="S3 could not open bucket 'b-b'"):
        S3Blobs("b-b", endpoint_url=f"http://127.0.0.1:{free_port()}", access_key="k",
                secret_key="s")  # fmt: skip


def test_repr_hides_credentials(s3_server: S3Endpoint, s3_blobs: S3Blobs) -> None:
    text = repr(s3_blobs)
    assert text == f"S3Blobs({s3_blobs.bucket!r}, endpoint_url={s3_server.url!r}, prefix='')"
    assert s3_server.secret_key is None or s3_server.secret_key not in repr(vars(s3_blobs))
    assert str(s3_server.secret_key) not in repr(s3_server)


def test_staging_given_is_swept_else_private(
    s3_blobs: S3Blobs, s3_server: S3Endpoint, tmp_path: Path
) -> None:
    from modelport.adapters.blobs.s3 import S3Blobs

    given = tmp_path / "given"
    given.mkdir()
    (given / "killed-upload.part").write_bytes(b"old")
    os.utime(given / "killed-upload.part", (time.time() - 7200, time.time() - 7200))
    (given / "live-upload.part").write_bytes(b"new")

    def connect(staging: Path | None) -> S3Blobs:
        return S3Blobs(
            s3_blobs.bucket, endpoint_url=s3_server.url, staging=staging,
            access_key=s3_server.access_key, secret_key=s3_server.secret_key,
        )  # fmt: skip

    with connect(given) as blobs:
        assert blobs.staging() == given
        assert [p.name for p in given.iterdir()] == ["live-upload.part"]
    with connect(None) as blobs:
        private = blobs.staging()
        assert private.is_dir() and private.stat().st_mode & 0o077 == 0
    del blobs
    gc.collect()
    assert not private.exists()

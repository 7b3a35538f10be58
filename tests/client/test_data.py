"""``DataFile``: URIs and quoting, reads and writes, HEAD metadata, streamed transfers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from modelport import errors
from modelport.client import Client, Entry
from modelport.client.data_wire import http_path, parse_uri
from tests.client.fake_api import ADDRESS
from tests.client.test_data_fake import FakeData


@pytest.fixture
def api() -> FakeData:
    """``client`` (tests/client/conftest.py) talks to this."""
    return FakeData(chunk=4).collection("digits", files={"svm.dat": b"0123456789"})


def calls(api: FakeData) -> list[str]:
    return [f"{r.method} {r.url.raw_path.decode()}" for r in api.requests]


# -- URIs -------------------------------------------------------------------------------------


def test_uris_split_into_segments_and_quote_each_one() -> None:
    parts = parse_uri("data://.my/digits/models/a b#1?%2.dat")
    assert parts == (".my", "digits", "models", "a b#1?%2.dat")
    assert http_path(parts) == "/v1/data/.my/digits/models/a%20b%231%3F%252.dat"
    assert parse_uri("alice/digits/") == ("alice", "digits")
    assert parse_uri("data://") == ()


@pytest.mark.parametrize(
    "uri",
    ["data://.my//x", "data://.my/c/../x", "data://.my/./x", "data://a/b\\c", "data://a/\x00"],
)
def test_unsafe_segments_are_refused_before_any_request(client: Client, uri: str) -> None:
    with pytest.raises(errors.InvalidInput, match="invalid data URI"):
        client.file(uri)


def test_other_schemes_and_short_file_uris_are_refused(client: Client) -> None:
    with pytest.raises(errors.InvalidInput, match="only data:// URIs"):
        client.file("s3://bucket/key/x")
    with pytest.raises(errors.InvalidInput, match="is not a file"):
        client.file("data://.my/digits")


def test_quoted_names_travel_intact(client: Client, api: FakeData) -> None:
    name = "a b#1?%2.dat"
    stored = client.dir("data://.my/digits").file(name).put(b"odd")
    assert calls(api)[-1] == "PUT /v1/data/.my/digits/a%20b%231%3F%252.dat"
    assert api.files[f"alice/digits/{name}"] == b"odd"
    assert stored.uri == f"data://alice/digits/{name}"
    assert stored.get_bytes() == b"odd"
    assert name in [e.name for e in client.dir("data://.my/digits").list()]


# -- files ------------------------------------------------------------------------------------


def test_put_and_get_in_every_shape(client: Client, api: FakeData) -> None:
    labels = client.file("data://.my/digits/labels.json")
    stored = labels.put_json({"0": "zero"})
    assert stored.uri == "data://alice/digits/labels.json"  # .my resolved by the server
    assert api.last("PUT").headers["Content-Type"] == "application/json"
    assert labels.get_json() == {"0": "zero"}
    assert labels.put("héllo").get_text() == "héllo"
    assert labels.put(b"\x00\xff").get_bytes() == b"\x00\xff"
    assert api.files["alice/digits/labels.json"] == b"\x00\xff"
    with pytest.raises(errors.InvalidJSON, match=r"labels\.json is not JSON"):
        labels.get_json()
    with pytest.raises(errors.InvalidInput, match="cannot store a set as JSON"):
        labels.put_json({1, 2})


def test_exists_size_and_stat_use_head(client: Client, api: FakeData) -> None:
    svm = client.file("data://.my/digits/svm.dat")
    assert svm.exists()
    assert svm.size() == 10
    assert svm.stat() == Entry(
        "svm.dat", "file", 10, datetime(2026, 11, 21, 17, 0, 33, tzinfo=UTC), '"a"'
    )
    assert {r.method for r in api.requests} == {"HEAD"}
    assert not client.file("data://.my/digits/nope").exists()
    assert not client.file("data://.my/nope/x").exists()


def test_a_folder_is_not_a_file(client: Client, api: FakeData) -> None:
    api.folders.add("alice/digits/models")
    models = client.file("data://.my/digits/models")
    assert not models.exists()
    with pytest.raises(errors.InvalidInput, match="is a folder, not a file"):
        models.stat()
    with pytest.raises(errors.InvalidInput, match="is a folder, not a file"):
        models.get_bytes()
    with pytest.raises(errors.InvalidInput, match="is a folder, not a file"):
        models.delete()
    assert "alice/digits/models" in api.folders


def test_a_missing_file_raises_not_found_with_the_header_message(client: Client) -> None:
    missing = client.file("data://.my/digits/nope.dat")
    with pytest.raises(errors.NotFound, match=r"^data://alice/digits/nope.dat does not exist$"):
        missing.stat()  # HEAD: the message comes from X-Error-Message
    with pytest.raises(errors.NotFound, match="does not exist"):
        missing.get_bytes()


def test_open_streams_chunks(client: Client) -> None:
    chunks = list(client.file("data://.my/digits/svm.dat").open())
    assert chunks == [b"0123", b"4567", b"89"]


def test_delete(client: Client, api: FakeData) -> None:
    client.file("data://.my/digits/svm.dat").delete()
    assert api.files == {}
    with pytest.raises(errors.NotFound):
        client.file("data://.my/digits/svm.dat").delete()


def test_platform_errors_map_by_code_and_connection_errors_are_one_line(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"error": {"code": "forbidden", "message": "no"}})

    with (
        Client("k", ADDRESS, transport=httpx.MockTransport(refuse)) as c,
        pytest.raises(errors.Forbidden, match=r"^no$"),
    ):
        c.file("data://bob/x/y").put(b"1")

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with (
        Client("k", ADDRESS, transport=httpx.MockTransport(unreachable)) as c,
        pytest.raises(errors.ModelportError, match=r"cannot reach http://mp\.test"),
    ):
        c.file("data://bob/x/y").download(tmp_path / "y")
    assert list(tmp_path.iterdir()) == []


# -- transfers --------------------------------------------------------------------------------


def test_upload_streams_with_a_length_and_progress(
    client: Client, api: FakeData, tmp_path: Path
) -> None:
    source = tmp_path / "big.bin"
    content = bytes(range(256)) * 1000  # 256 000 bytes: four chunks
    source.write_bytes(content)
    seen: list[tuple[int, int]] = []
    stored = client.file("data://.my/digits/big.bin").upload(
        source, progress=lambda sent, total: seen.append((sent, total))
    )
    assert stored.uri == "data://alice/digits/big.bin"
    assert api.files["alice/digits/big.bin"] == content
    assert api.last("PUT").headers["Content-Length"] == str(len(content))
    sent = [s for s, _ in seen]
    assert sent == sorted(sent) and sent[0] == 0 and sent[-1] == len(content)
    assert len(seen) == 5 and {t for _, t in seen} == {len(content)}


def test_download_streams_to_the_target_with_progress(
    client: Client, api: FakeData, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    svm = client.file("data://.my/digits/svm.dat")
    target = svm.download(tmp_path / "out.dat", progress=lambda n, total: seen.append((n, total)))
    assert target == tmp_path / "out.dat"
    assert target.read_bytes() == b"0123456789"
    assert seen == [(0, 10), (4, 10), (8, 10), (10, 10)]
    assert svm.download(tmp_path) == tmp_path / "svm.dat"  # a folder keeps the name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.dat", "svm.dat"]


def test_a_download_cut_off_leaves_no_file_and_the_old_one_intact(
    client: Client, api: FakeData, tmp_path: Path
) -> None:
    api.break_after = 4
    svm = client.file("data://.my/digits/svm.dat")
    with pytest.raises(errors.ModelportError, match=r"connection to http://mp\.test broke off"):
        svm.download(tmp_path / "new.dat")
    old = tmp_path / "old.dat"
    old.write_bytes(b"previous")
    with pytest.raises(errors.ModelportError):
        svm.download(old)
    with pytest.raises(errors.NotFound):
        client.file("data://.my/digits/missing").download(tmp_path / "missing")
    assert [p.name for p in tmp_path.iterdir()] == ["old.dat"]
    assert old.read_bytes() == b"previous"


def test_a_short_download_is_refused(client: Client, tmp_path: Path) -> None:
    def short(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "10"}, content=iter([b"0123"]))

    with (
        Client("k", ADDRESS, transport=httpx.MockTransport(short)) as c,
        pytest.raises(errors.ModelportError, match="got 4 of 10 bytes"),
    ):
        c.file("data://.my/digits/svm.dat").download(tmp_path / "svm.dat")
    assert list(tmp_path.iterdir()) == []

"""The official ``algorithmia`` client's data calls, unmodified, against a real gateway."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import Algorithmia
import pytest
from Algorithmia.acl import AclType, ReadAcl
from Algorithmia.errors import DataApiError

from tests.fixtures.server import Live


@pytest.fixture
def client(data_live: Live) -> Iterator[Algorithmia.client.Client]:
    yield Algorithmia.client(data_live.key, api_address=data_live.url)


@pytest.fixture
def collection(client: Algorithmia.client.Client, request: pytest.FixtureRequest) -> str:
    name = "c_" + request.node.name.split("[")[0].removeprefix("test_")[:40]
    directory = client.dir(f"data://.my/{name}")
    if directory.exists():
        directory.delete(force=True)
    directory.create()
    return f"data://.my/{name}"


def test_collection_lifecycle(client: Algorithmia.client.Client) -> None:
    directory = client.dir("data://.my/lifecycle")
    assert not directory.exists()
    directory.create(ReadAcl.public)
    assert directory.exists()
    assert directory.get_permissions().read_acl == AclType.public
    directory.update_permissions(ReadAcl.private)
    assert directory.get_permissions().read_acl == AclType.private
    directory.update_permissions(ReadAcl.my_algos)
    assert directory.get_permissions().read_acl == AclType.my_algos
    assert client.username() == "admin"
    directory.delete()
    assert not directory.exists()


def test_files_round_trip(
    client: Algorithmia.client.Client, collection: str, tmp_path: Path
) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(bytes(range(256)) * 4096)
    f = client.file(f"{collection}/model.bin")
    assert not f.exists()
    f.putFile(str(source))
    assert f.exists()
    assert f.getBytes() == source.read_bytes()
    copy = f.getFile(as_path=True)
    assert Path(copy).read_bytes() == source.read_bytes()
    client.file(f"{collection}/t.txt").put("héllo ☎")
    assert client.file(f"{collection}/t.txt").getString() == "héllo ☎"
    client.file(f"{collection}/b.bin").put(b"\x00\xff")
    assert client.file(f"{collection}/b.bin").getBytes() == b"\x00\xff"
    client.file(f"{collection}/j.json").putJson({"a": [1, 2]})
    assert client.file(f"{collection}/j.json").getJson() == {"a": [1, 2]}
    names = sorted(x.getName() for x in client.dir(collection).files())
    assert names == ["b.bin", "j.json", "model.bin", "t.txt"]
    sizes = {x.getName(): x.size for x in client.dir(collection).files()}
    assert sizes["model.bin"] == 256 * 4096
    assert client.file(f"{collection}/t.txt").delete()
    with pytest.raises(DataApiError):
        client.file(f"{collection}/t.txt").delete()
    with pytest.raises(DataApiError, match="does not exist"):
        client.file(f"{collection}/nope").getString()


def test_folders_listing_paging_and_force_delete(
    client: Algorithmia.client.Client, collection: str, data_live: Live
) -> None:
    data_live.platform.data._page = 3  # a small page, so the listing spans several
    try:
        sub = client.dir(f"{collection}/sub")
        sub.create()
        for i in range(7):
            client.file(f"{collection}/f{i}.txt").put(str(i))
        client.file(f"{collection}/sub/inner.txt").put("x")
        entries = list(client.dir(collection).list())
        assert [
            e.getName() for e in entries if isinstance(e, Algorithmia.datadirectory.DataDirectory)
        ] == ["sub"]
        assert sorted(e.getName() for e in client.dir(collection).files()) == [
            f"f{i}.txt" for i in range(7)
        ]
        assert [d.getName() for d in client.dir(collection).dirs()] == ["sub"]
    finally:
        data_live.platform.data._page = 1000
    with pytest.raises(DataApiError):
        client.dir(collection).delete()
    assert client.dir(collection).delete(force=True)
    assert not client.dir(collection).exists()


def test_connector_and_encoded_paths(data_live: Live, collection: str) -> None:
    path = collection.removeprefix("data://")
    data_live.http.put(f"/v1/data/{path}/x.txt", content=b"abc")
    assert data_live.http.get(f"/v1/connector/data/{path}/x.txt").content == b"abc"
    encoded = f"{path}/x.txt".replace("/", "%2F")
    assert data_live.http.get(f"/v1/data/{encoded}").content == b"abc"
    r = data_live.http.get(f"/v1/connector/s3/bucket/{path}")
    assert r.status_code == 400


def test_hostile_paths(data_live: Live, collection: str) -> None:
    path = collection.removeprefix("data://")
    for bad in [
        f"{path}/../../etc/passwd",
        f"{path}/a%5Cb",
        f"{path}/a%00b",
        f"{path}/" + "a" * 300,
    ]:
        r = data_live.http.put(f"/v1/data/{bad}", content=b"x")
        assert r.status_code in (400, 404), (bad, r.status_code)
        assert r.headers["X-Error-Message"], bad
        assert "error" in r.json()
    r = data_live.http.put("/v1/data/.my/missing_collection/x", content=b"x")
    assert r.status_code == 404
    r = data_live.http.head(f"/v1/data/{path}/nope")
    assert r.status_code == 404 and "does not exist" in r.headers["X-Error-Message"]


def test_listing_shape(data_live: Live, collection: str) -> None:
    path = collection.removeprefix("data://")
    data_live.http.put(f"/v1/data/{path}/a.txt", content=b"12345")
    body = data_live.http.get(f"/v1/data/{path}?acl=true").json()
    assert body["acl"] == {"read": ["algo://.my/*"]}
    (entry,) = body["files"]
    assert entry["filename"] == "a.txt" and entry["size"] == 5
    assert entry["last_modified"].endswith("Z") and "." in entry["last_modified"]
    head = data_live.http.head(f"/v1/data/{path}/a.txt")
    assert head.headers["X-Data-Type"] == "file"
    assert head.headers["Content-Length"] == "5"
    assert json.loads(data_live.http.get("/v1/data/").text)["folders"][0] == {"name": "admin"}

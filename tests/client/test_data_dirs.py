"""``DataDirectory``: collections and folders, listings over marker pages, ACLs, deletes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from modelport import errors
from modelport.client import Client, DataDirectory, DataFile, Entry
from tests.client.test_data_fake import ACLS, FakeData


@pytest.fixture
def api() -> FakeData:
    """``client`` (tests/client/conftest.py) talks to this."""
    return FakeData().collection("digits", files={"svm.dat": b"0123456789"})


def test_create_collections_with_acls_and_folders(client: Client, api: FakeData) -> None:
    made = client.dir("data://.my/models").create(acl="private")
    assert isinstance(made, DataDirectory)
    assert made.uri == "data://alice/models"
    post = api.last("POST")
    assert post.url.path == "/v1/data/.my"
    assert json.loads(post.content) == {"name": "models", "acl": {"read": []}}
    client.dir("data://.my/open").create(acl="public")
    client.dir("data://.my/default").create()
    assert json.loads(api.last("POST").content) == {"name": "default"}
    assert api.acls["alice/open"] == ACLS["public"]
    assert api.acls["alice/default"] == ACLS["my-algorithms"]
    sub = client.dir("data://.my/models").dir("v1").create()
    assert sub.uri == "data://alice/models/v1" and sub.exists()
    assert api.last("POST").url.path == "/v1/data/.my/models"
    with pytest.raises(errors.Conflict, match="already exists"):
        client.dir("data://.my/models").create()


def test_bad_creates_are_refused_without_a_request(client: Client, api: FakeData) -> None:
    with pytest.raises(errors.InvalidInput, match="unknown ACL 'friends'"):
        client.dir("data://.my/x").create(acl="friends")
    with pytest.raises(errors.InvalidInput, match="ACLs belong to collections"):
        client.dir("data://.my/digits/sub").create(acl="public")
    with pytest.raises(errors.InvalidInput, match="name a collection"):
        client.dir("data://.my").create()
    assert api.requests == []


def test_list_follows_markers_folders_first(client: Client, api: FakeData) -> None:
    api.page = 2
    api.collection("many", files={"z/1": b"", "a/1": b"", "c": b"ccc", "b": b"bb", "d": b""})
    entries = list(client.dir("data://.my/many").list())
    assert [(e.name, e.kind) for e in entries] == [
        ("a", "folder"),
        ("z", "folder"),
        ("b", "file"),
        ("c", "file"),
        ("d", "file"),
    ]
    assert entries[3] == Entry("c", "file", 3, datetime(2026, 11, 21, 17, 0, 33, 123000, UTC))
    markers = [r.url.params.get("marker") for r in api.requests]
    assert markers == [None, "2", "4"]
    folder = client.dir("data://.my/many")
    assert [d.uri for d in folder.dirs()] == ["data://.my/many/a", "data://.my/many/z"]
    assert [f.name for f in folder.files()] == ["b", "c", "d"]
    assert all(isinstance(f, DataFile) for f in folder.files())
    assert [e.name for e in client.dir("data://.my").list()] == ["digits", "many"]


def test_listing_a_file_or_a_missing_folder(client: Client) -> None:
    with pytest.raises(errors.InvalidInput, match="is a file, not a folder"):
        list(client.dir("data://.my/digits/svm.dat").list())
    with pytest.raises(errors.NotFound):
        list(client.dir("data://.my/nope").list())
    assert client.dir("data://.my/digits").exists()
    assert client.dir("data://").exists()
    assert not client.dir("data://.my/nope").exists()
    assert not client.dir("data://.my/digits/svm.dat").exists()


def test_acls_are_read_and_set_on_the_collection(client: Client, api: FakeData) -> None:
    api.folders.add("alice/digits/models")
    digits = client.dir("data://.my/digits")
    assert digits.acl() == "my-algorithms"
    assert api.last("GET").url.params["acl"] == "true"
    digits.set_acl("public")
    assert json.loads(api.last("PATCH").content) == {"acl": {"read": ["user://*"]}}
    assert digits.dir("models").acl() == "public"  # a folder answers with its collection's
    with pytest.raises(errors.InvalidInput, match="ACLs belong to collections"):
        digits.dir("models").set_acl("private")
    with pytest.raises(errors.InvalidInput, match="has no ACL"):
        client.dir("data://.my").acl()
    api.acls["alice/digits"] = ["user://bob"]
    with pytest.raises(errors.ModelportError, match="ACL this client does not know"):
        digits.acl()


def test_delete_folders_needs_force_when_not_empty(client: Client, api: FakeData) -> None:
    digits = client.dir("data://.my/digits")
    with pytest.raises(errors.Conflict, match="not empty"):
        digits.delete()
    with pytest.raises(errors.InvalidInput, match="not a folder"):
        client.dir("data://.my/digits/svm.dat").delete()
    assert api.files
    assert digits.delete(force=True) == 2
    assert api.last("DELETE").url.params["force"] == "true"
    assert (api.files, api.folders, digits.exists()) == ({}, set(), False)

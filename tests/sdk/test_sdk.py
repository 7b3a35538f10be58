"""The ``modelport`` package workers offer user code, tested in place against a fake gateway."""

from __future__ import annotations

import ast
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelport.sdk import (
    AlgorithmError,
    ApiError,
    Client,
    data,
)
from tests.adapters.runtime.fake_api import Answer, FakeApi, Seen


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeApi]:
    """A fake gateway, and the environment a worker's call has: address, token, cache."""
    for name in ("ALGORITHMIA_API", "ALGORITHMIA_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MODELPORT_API_KEY", "tok-alice")
    monkeypatch.setenv("MODELPORT_DATA_CACHE", str(tmp_path / "cache"))
    with FakeApi() as fake:
        monkeypatch.setenv("MODELPORT_API", fake.url)
        yield fake


def requests(api: FakeApi) -> list[tuple[str, str]]:
    return [(s.method, s.path) for s in api.seen]


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# data


def test_path_downloads_once_then_only_asks_whether_it_changed(
    api: FakeApi, tmp_path: Path
) -> None:
    api.put(".my/models/model.bin", b"weights v1")
    first = data.path("data://.my/models/model.bin")
    assert Path(first).read_bytes() == b"weights v1"
    assert Path(first).name == "model.bin"  # the extension survives, for loaders that care
    assert Path(first).is_relative_to(tmp_path / "cache")
    assert requests(api) == [
        ("HEAD", "/v1/data/.my/models/model.bin"),
        ("GET", "/v1/data/.my/models/model.bin"),
    ]
    assert {s.authorization for s in api.seen} == {"Bearer tok-alice"}
    assert data.path("data://.my/models/model.bin") == first
    assert [s.method for s in api.seen] == ["HEAD", "GET", "HEAD"]
    etag = api.files[None, ".my/models/model.bin"].etag
    assert Path(first + ".etag").read_text() == etag
    assert not [f for f in files_in(tmp_path / "cache") if f.endswith(".part")]


def test_a_changed_file_is_downloaded_again_and_old_paths_keep_their_content(
    api: FakeApi,
) -> None:
    api.put("alice/models/model.bin", b"v1")
    old = data.path("data://alice/models/model.bin")
    api.put("alice/models/model.bin", b"v2")
    new = data.path("data://alice/models/model.bin")
    assert new != old
    assert (Path(old).read_bytes(), Path(new).read_bytes()) == (b"v1", b"v2")
    assert [s.method for s in api.seen] == ["HEAD", "GET", "HEAD", "GET"]


def test_without_an_etag_size_and_modification_time_decide(api: FakeApi) -> None:
    api.put("alice/c/f.txt", b"one", etag=None)
    first = data.path("data://alice/c/f.txt")
    assert data.path("data://alice/c/f.txt") == first
    api.put("alice/c/f.txt", b"two", etag=None, last_modified="Thu, 22 Oct 2015 07:28:00 GMT")
    assert Path(data.path("data://alice/c/f.txt")).read_bytes() == b"two"
    assert [s.method for s in api.seen] == ["HEAD", "GET", "HEAD", "HEAD", "GET"]


def test_without_any_validator_every_call_downloads(api: FakeApi) -> None:
    api.put("alice/c/f.txt", b"one", etag=None, last_modified=None)
    assert data.read_bytes("data://alice/c/f.txt") == b"one"
    assert data.read_bytes("data://alice/c/f.txt") == b"one"
    assert [s.method for s in api.seen] == ["HEAD", "GET", "HEAD", "GET"]


def test_my_files_of_different_callers_do_not_collide(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.put(".my/c/model.bin", b"alice's", caller="tok-alice")
    api.put(".my/c/model.bin", b"bob's", caller="tok-bob")
    alice = data.path("data://.my/c/model.bin")
    monkeypatch.setenv("MODELPORT_API_KEY", "tok-bob")
    bob = data.path("data://.my/c/model.bin")
    assert alice != bob
    assert (Path(alice).read_bytes(), Path(bob).read_bytes()) == (b"alice's", b"bob's")
    monkeypatch.setenv("MODELPORT_API_KEY", "tok-alice")
    assert data.path("data://.my/c/model.bin") == alice
    assert Path(alice).read_bytes() == b"alice's"


def test_read_helpers(api: FakeApi) -> None:
    api.put("alice/c/hello.txt", "héllo".encode())
    assert data.read_bytes("data://alice/c/hello.txt") == "héllo".encode()
    assert data.read_text("data://alice/c/hello.txt") == "héllo"


def test_paths_are_percent_encoded(api: FakeApi) -> None:
    api.put("alice/c/my%20file.txt", b"x")
    assert data.read_bytes("data://alice/c/my file.txt") == b"x"
    assert Path(data.path("data://alice/c/my file.txt")).name == "my file.txt"


def test_a_missing_file_is_file_not_found_with_the_server_s_message(api: FakeApi) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        data.path("data://.my/c/none.bin")
    assert str(caught.value) == "data://.my/c/none.bin: file does not exist"


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_file_is_a_permission_error(api: FakeApi, status: int) -> None:
    api.put("bob/private/x", b"", status=status, message="not allowed to read bob/private")
    with pytest.raises(PermissionError, match=r"^data://bob/private/x: not allowed to read"):
        data.path("data://bob/private/x")


def test_other_failures_are_api_errors(api: FakeApi) -> None:
    api.put("alice/c/x", b"", status=500, message="storage unavailable")
    with pytest.raises(ApiError, match="storage unavailable") as caught:
        data.path("data://alice/c/x")
    assert caught.value.status == 500


def test_a_directory_is_not_a_path(api: FakeApi) -> None:
    api.put("alice/c", b"", kind="directory")
    with pytest.raises(IsADirectoryError):
        data.path("data://alice/c")


def test_a_cut_download_leaves_no_file_behind(api: FakeApi, tmp_path: Path) -> None:
    api.put("alice/c/big.bin", b"x" * 5000, cut=True)
    with pytest.raises(ConnectionError, match=r"cut short \(5000 of 6000 bytes\)"):
        data.path("data://alice/c/big.bin")
    assert files_in(tmp_path / "cache") == []


def test_an_unreachable_gateway_is_a_connection_error_naming_it(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MODELPORT_API", f"http://127.0.0.1:{port}/")
    unreachable = rf"cannot reach modelport at http://127.0.0.1:{port}"
    with pytest.raises(ConnectionError, match=unreachable):
        data.path("data://alice/c/x")
    with pytest.raises(ConnectionError, match=rf"http://127.0.0.1:{port}"):
        Client().algo("demo/echo").pipe(1)


def test_no_address_is_a_clear_error(api: FakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELPORT_API")
    with pytest.raises(ConnectionError, match="set MODELPORT_API"):
        data.path("data://alice/c/x")


@pytest.mark.parametrize(
    "uri", ["s3://bucket/key", "alice/c/x", "data://alice", "data://alice/../x", "data://a/c/"]
)
def test_malformed_uris_are_refused_locally(api: FakeApi, uri: str) -> None:
    with pytest.raises(ValueError, match="URI"):
        data.path(uri)
    assert api.seen == []


def test_the_default_cache_is_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MODELPORT_DATA_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.cache_folder() == str(tmp_path / ".cache" / "modelport" / "data")


# calls


@pytest.mark.parametrize(
    ("value", "content_type", "body"),
    [
        ({"x": [1, 2]}, "application/json", b'{"x": [1, 2]}'),
        ([1], "application/json", b"[1]"),
        (3.5, "application/json", b"3.5"),
        (None, "application/json", b"null"),
        ('{"looks": "like json"}', "text/plain", b'{"looks": "like json"}'),
        (b"\x00\xff", "application/octet-stream", b"\x00\xff"),
    ],
)
def test_pipe_sends_inputs_as_the_v1_api_expects(
    api: FakeApi, value: object, content_type: str, body: bytes
) -> None:
    response = Client().algo("demo/echo").pipe(value)
    (seen,) = api.seen
    assert (seen.method, seen.path) == ("POST", "/v1/algo/demo/echo")
    assert (seen.content_type, seen.body) == (content_type, body)
    assert seen.authorization == "Bearer tok-alice"
    assert response.result == value  # binary results come back base64-decoded
    assert response.metadata["content_type"] in ("json", "text", "binary")


def test_an_algorithm_error_raises_algorithm_error(api: FakeApi) -> None:
    def fails(seen: Seen) -> Answer:
        error = {"message": "x must be a number", "error_type": "InputError"}
        body = {"error": {**error, "stack_trace": "Traceback ..."}, "metadata": {}}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    api.answer = fails
    with pytest.raises(AlgorithmError) as caught:
        Client().algo("demo/strict").pipe({"x": "one"})
    error = caught.value
    assert (error.message, error.error_type, error.stacktrace) == (
        "x must be a number",
        "InputError",
        "Traceback ...",
    )


def test_a_platform_error_raises_api_error_with_its_message(api: FakeApi) -> None:
    def missing(seen: Seen) -> Answer:
        body = {"error": {"message": "algorithm algo://demo/none not found", "code": "not_found"}}
        return 404, {"Content-Type": "application/json"}, json.dumps(body).encode()

    api.answer = missing
    with pytest.raises(ApiError) as caught:
        Client().algo("demo/none").pipe(1)
    assert (caught.value.status, str(caught.value)) == (404, "algorithm algo://demo/none not found")
    assert not isinstance(caught.value, AlgorithmError)


def test_timeouts_and_references_reach_the_server(api: FakeApi) -> None:
    client = Client()
    client.algo("algo://demo/echo/1.0.*").pipe(1, timeout=5)
    client.algo("/demo/echo/latestPrivate").pipe(1, timeout=2.5, stdout=True)
    assert [s.path for s in api.seen] == [
        "/v1/algo/demo/echo/1.0.*?timeout=5",
        "/v1/algo/demo/echo/latestPrivate?timeout=2.5&stdout=true",
    ]
    with pytest.raises(ValueError, match="not an algorithm reference"):
        client.algo("echo")


def test_the_key_is_read_when_each_call_is_sent(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client()  # made once, say in load()
    monkeypatch.setenv("MODELPORT_API_KEY", "tok-bob")
    client.algo("demo/echo").pipe(1)
    Client(api_key="explicit").algo("demo/echo").pipe(1)
    monkeypatch.delenv("MODELPORT_API_KEY")
    client.algo("demo/echo").pipe(1)
    assert [s.authorization for s in api.seen] == ["Bearer tok-bob", "Bearer explicit", None]
    assert "explicit" not in repr(Client(api_key="explicit"))


LAZY = {"PIL", "numpy"}  # what modelport.vision imports when it is used


def test_the_package_is_standard_library_only() -> None:
    """Only the standard library and its own modules (relatively: it is also imported here
    as ``modelport.sdk``)."""
    guest = Path(data.__file__).parent
    assert guest.name == "sdk"
    for file in guest.glob("*.py"):
        tree = ast.parse(file.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if file.name == "vision.py" and top in LAZY and node not in tree.body:
                    continue  # Pillow and numpy: inside functions, or for type checkers only
                assert top in sys.stdlib_module_names or top == "__future__", (file.name, name)

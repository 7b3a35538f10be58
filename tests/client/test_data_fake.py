"""An in-memory data API (``/v1/data/...``) for the client and CLI tests, and its own checks.

The caller is ``alice``; ``.my`` means her. Listings come in pages of ``page`` entries
(folders first) with a ``marker``; downloads stream in ``chunk``-byte pieces and, when
``break_after`` is set, break off after that many bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx

from tests.client.fake_api import FakeApi

USER = "alice"
STAMP = "2026-11-21T17:00:33.123Z"
HTTP_STAMP = "Sat, 21 Nov 2026 17:00:33 GMT"
ACLS = {"private": [], "my-algorithms": ["algo://.my/*"], "public": ["user://*"]}


def fail(status: int, code: str, message: str, *, head: bool = False) -> httpx.Response:
    body = b"" if head else json.dumps({"error": {"code": code, "message": message}}).encode()
    return httpx.Response(status, headers={"X-Error-Message": message}, content=body)


class FakeData(FakeApi):
    """``FakeData().collection("digits", files={"svm.dat": b"..."})``; other routes as FakeApi."""

    def __init__(self, *, page: int = 1000, chunk: int = 64 * 1024) -> None:
        super().__init__()
        self.acls: dict[str, list[str]] = {}  # "alice/digits" -> read list
        self.folders: set[str] = set()  # every collection and folder: "alice/digits/models"
        self.files: dict[str, bytes] = {}  # "alice/digits/models/svm.dat" -> content
        self.page, self.chunk = page, chunk
        self.break_after: int | None = None

    def collection(
        self, name: str, acl: str = "my-algorithms", files: dict[str, bytes] | None = None
    ) -> FakeData:
        self.acls[f"{USER}/{name}"] = ACLS[acl]
        self.folders.add(f"{USER}/{name}")
        for path, content in (files or {}).items():
            parts = f"{USER}/{name}/{path}".split("/")
            self.folders.update("/".join(parts[:i]) for i in range(2, len(parts)))
            self.files["/".join(parts)] = content
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        raw = request.url.raw_path.decode().split("?")[0]
        if not raw.startswith("/v1/data"):
            return super().__call__(request)
        request.read()
        self.requests.append(request)
        parts = [unquote(p) for p in raw.removeprefix("/v1/data").split("/") if p]
        if parts and parts[0] == ".my":
            parts[0] = USER
        handler = getattr(self, f"_{request.method.lower()}")
        answer: httpx.Response = handler(request, "/".join(parts), len(parts))
        return answer

    def children(self, key: str) -> tuple[list[str], list[str]]:
        def direct(names: Iterator[str]) -> list[str]:
            return sorted(n[len(key) + 1 :] for n in names if n.rpartition("/")[0] == key)

        return direct(iter(self.folders)), direct(iter(self.files))

    def _get(self, request: httpx.Request, key: str, depth: int) -> httpx.Response:
        head = request.method == "HEAD"
        if key in self.files:
            content = self.files[key]
            headers = {
                "Content-Length": str(len(content)),
                "ETag": f'"{len(content):x}"',
                "Last-Modified": HTTP_STAMP,
                "X-Data-Type": "file",
            }
            return httpx.Response(200, headers=headers, content=b"" if head else self._chunks(key))
        if key not in self.folders and depth != 1:
            return fail(404, "not_found", f"data://{key} does not exist", head=head)
        folders, files = self.children(key)
        entries: list[dict[str, Any]] = [{"name": f} for f in folders]
        entries += [
            {"filename": f, "size": len(self.files[f"{key}/{f}"]), "last_modified": STAMP}
            for f in files
        ]
        start = int(request.url.params.get("marker") or 0)
        page = entries[start : start + self.page]
        body: dict[str, Any] = {
            "folders": [e for e in page if "name" in e],
            "files": [e for e in page if "filename" in e],
        }
        if start + self.page < len(entries):
            body["marker"] = str(start + self.page)
        if request.url.params.get("acl") == "true" and depth == 2:
            body["acl"] = {"read": self.acls[key]}
        headers = {"X-Data-Type": "directory"}
        return httpx.Response(200, headers=headers, content=b"" if head else json.dumps(body))

    _head = _get

    def _chunks(self, key: str) -> Iterator[bytes]:
        content = self.files[key]
        for start in range(0, len(content), self.chunk):
            if self.break_after is not None and start >= self.break_after:
                raise httpx.ReadError("connection reset by peer")
            yield content[start : start + self.chunk]

    def _put(self, request: httpx.Request, key: str, depth: int) -> httpx.Response:
        if key.rpartition("/")[0] not in self.folders or depth < 3:
            return fail(404, "not_found", f"no folder for data://{key}")
        if key in self.folders:
            return fail(409, "conflict", f"data://{key} is a folder")
        self.files[key] = request.content
        return httpx.Response(200, json={"result": f"data://{key}", "size": len(request.content)})

    def _post(self, request: httpx.Request, key: str, depth: int) -> httpx.Response:
        body = json.loads(request.content)
        child = f"{key}/{body['name']}"
        if key not in self.folders and depth != 1:
            return fail(404, "not_found", f"data://{key} does not exist")
        if child in self.folders or child in self.files:
            return fail(409, "conflict", f"data://{child} already exists")
        self.folders.add(child)
        if depth == 1:
            self.acls[child] = body.get("acl", {"read": ACLS["my-algorithms"]})["read"]
        return httpx.Response(200, json={"result": f"data://{child}"})

    def _patch(self, request: httpx.Request, key: str, depth: int) -> httpx.Response:
        if depth != 2:
            return fail(400, "invalid_input", "ACLs belong to collections")
        self.acls[key] = json.loads(request.content)["acl"]["read"]
        return httpx.Response(200, json={})

    def _delete(self, request: httpx.Request, key: str, depth: int) -> httpx.Response:
        if key in self.files:
            del self.files[key]
            return httpx.Response(200, json={"result": {"deleted": 1}})
        if key not in self.folders:
            return fail(404, "not_found", f"data://{key} does not exist")
        inside = [k for k in [*self.files, *self.folders] if k.startswith(key + "/")]
        if inside and request.url.params.get("force") != "true":
            return fail(409, "conflict", f"data://{key} is not empty: delete with force=true")
        for k in inside:
            self.files.pop(k, None)
            self.folders.discard(k)
        self.folders.discard(key)
        self.acls.pop(key, None)
        return httpx.Response(200, json={"result": {"deleted": len(inside) + 1}})


def test_the_fake_pages_folders_first_and_resolves_my() -> None:
    fake = FakeData(page=2).collection("c", files={"b/x": b"1", "a": b"22", "z": b""})
    with httpx.Client(transport=httpx.MockTransport(fake), base_url="http://t") as http:
        first = http.get("/v1/data/.my/c").json()
        second = http.get("/v1/data/alice/c", params={"marker": first["marker"]}).json()
    assert first == {
        "folders": [{"name": "b"}],
        "files": [{"filename": "a", "size": 2, "last_modified": STAMP}],
        "marker": "2",
    }
    assert [f["filename"] for f in second["files"]] == ["z"]
    assert "marker" not in second

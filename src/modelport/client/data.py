"""Data collections from Python: ``client.file(uri)`` and ``client.dir(uri)``.

Files stream both ways: ``upload`` sends a file in chunks with its Content-Length, and
``download`` writes to a temporary file beside the target that is renamed into place once
complete, so neither holds a file in memory and a failed download leaves no partial file.

>>> client = Client()                                              # doctest: +SKIP
>>> digits = client.dir("data://.my/digits").create(acl="private")  # doctest: +SKIP
>>> digits.file("svm.dat").upload(Path("svm.dat"))                  # doctest: +SKIP
DataFile('data://alice/digits/svm.dat')
>>> [(entry.name, entry.size) for entry in digits.list()]           # doctest: +SKIP
[('svm.dat', 18234)]
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import httpx

from modelport.client.data_wire import (
    JSON,
    Entry,
    acl_name,
    acl_read,
    decode,
    entries,
    exchange,
    http_path,
    json_bytes,
    parse_uri,
    segments,
    send,
    send_json,
)
from modelport.errors import InvalidInput, InvalidJSON, ModelportError, NotFound

if TYPE_CHECKING:
    from modelport.client.client import Client

__all__ = ["DataDirectory", "DataFile", "DataMixin", "Entry", "Progress"]
Progress = Callable[[int, int], None]
_CHUNK = 64 * 1024


class _Node:
    def __init__(self, client: Client, uri: str | tuple[str, ...]) -> None:
        self.client = client
        self.parts = parse_uri(uri) if isinstance(uri, str) else uri

    @property
    def uri(self) -> str:
        return "data://" + "/".join(self.parts)

    @property
    def name(self) -> str:
        return self.parts[-1] if self.parts else ""

    @property
    def path(self) -> str:
        """The HTTP route, each segment percent-quoted."""
        return http_path(self.parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"

    def _child(self, name: str) -> tuple[str, ...]:
        return self.parts + segments(name.lstrip("/"), name)

    def _kind(self) -> str | None:
        """``file``, ``directory``, or ``None`` when the server answers 404."""
        try:
            response = send(self.client, "HEAD", self.path)
        except NotFound:
            return None
        default = "file" if len(self.parts) > 2 else "directory"
        return str(response.headers.get("X-Data-Type", default))


class DataFile(_Node):
    """A file in a collection: ``data://owner/collection/path``.

    >>> labels = client.file("data://.my/digits/labels.json")        # doctest: +SKIP
    >>> labels.put_json({"0": "zero"}).get_json()                    # doctest: +SKIP
    {'0': 'zero'}
    """

    def __init__(self, client: Client, uri: str | tuple[str, ...]) -> None:
        super().__init__(client, uri)
        if len(self.parts) < 3:
            raise InvalidInput(f"{self.uri} is not a file: use data://OWNER/COLLECTION/PATH")

    def exists(self) -> bool:
        return self._kind() == "file"

    def stat(self) -> Entry:
        """Size, time and ETag from a HEAD request."""
        headers = _file(self, send(self.client, "HEAD", self.path)).headers
        stamp = headers.get("Last-Modified")
        return Entry(
            self.name,
            "file",
            int(headers.get("Content-Length") or 0),
            parsedate_to_datetime(stamp) if stamp else None,
            headers.get("ETag"),
        )

    def size(self) -> int:
        return self.stat().size or 0

    def open(self) -> Iterator[bytes]:
        """The content in chunks, streamed; the request goes out with the first chunk."""
        with exchange(self.client, "GET", self.path) as response:
            yield from _file(self, response).iter_bytes()

    def get_bytes(self) -> bytes:
        return b"".join(self.open())

    def get_text(self) -> str:
        return self.get_bytes().decode("utf-8")

    def get_json(self) -> Any:
        try:
            return json.loads(self.get_bytes())
        except ValueError as exc:
            raise InvalidJSON(f"{self.uri} is not JSON: {exc}") from None

    def download(self, path: Path, *, progress: Progress | None = None) -> Path:
        """Save to ``path`` (or into it, when a folder); ``progress(received, total)``."""
        target = Path(path) / self.name if Path(path).is_dir() else Path(path)
        partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        out = partial.open("xb")
        try:
            with out, exchange(self.client, "GET", self.path) as response:
                total = int(_file(self, response).headers.get("Content-Length") or 0)
                received = 0
                if progress is not None:
                    progress(0, total)
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    received += len(chunk)
                    if progress is not None:
                        progress(received, total)
                if total and received != total:
                    raise ModelportError(f"{self.uri}: got {received} of {total} bytes")
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return target

    def put(self, data: bytes | str) -> DataFile:
        """Store ``data`` (text as UTF-8); the stored file, with ``.my`` resolved."""
        if isinstance(data, str):
            return self._put(data.encode("utf-8"), "text/plain; charset=utf-8")
        return self._put(bytes(data), "application/octet-stream")

    def put_json(self, value: Any) -> DataFile:
        return self._put(json_bytes(value), "application/json")

    def upload(self, path: Path, *, progress: Progress | None = None) -> DataFile:
        """Stream a local file up; ``progress(sent, total)`` sees each chunk."""
        with Path(path).open("rb") as source:
            total = os.fstat(source.fileno()).st_size

            def chunks() -> Iterator[bytes]:
                sent = 0
                while sent < total and (chunk := source.read(min(_CHUNK, total - sent))):
                    sent += len(chunk)
                    yield chunk
                    if progress is not None:
                        progress(sent, total)

            if progress is not None:
                progress(0, total)
            return self._put(chunks(), "application/octet-stream", total)

    def _put(self, body: bytes | Iterator[bytes], kind: str, size: int | None = None) -> DataFile:
        length = len(body) if isinstance(body, bytes) else size
        headers = {"Content-Type": kind, "Content-Length": str(length)}
        result = send_json(self.client, "PUT", self.path, content=body, headers=headers)
        stored = result.get("result")
        return DataFile(self.client, stored) if isinstance(stored, str) else self

    def delete(self) -> None:
        _file(self, send(self.client, "HEAD", self.path))  # the route deletes folders too
        send(self.client, "DELETE", self.path)


class DataDirectory(_Node):
    """A collection (``data://owner/collection``) or a folder in one; ``data://.my`` lists
    your collections.

    >>> models = client.dir("data://.my/digits/models")              # doctest: +SKIP
    >>> [f.name for f in models.files()]                             # doctest: +SKIP
    ['svm.dat']
    """

    def exists(self) -> bool:
        return not self.parts or self._kind() == "directory"

    def create(self, acl: str | None = None) -> DataDirectory:
        """Create it (``acl`` only for collections: private, my-algorithms or public)."""
        if len(self.parts) < 2:
            raise InvalidInput(f"name a collection to create: {self.uri}/COLLECTION")
        body: JSON = {"name": self.name}
        if acl is not None:
            self._collection()
            body["acl"] = {"read": acl_read(acl)}
        parent = DataDirectory(self.client, self.parts[:-1])
        made = send_json(self.client, "POST", parent.path, json=body).get("result")
        return DataDirectory(self.client, made) if isinstance(made, str) else self

    def list(self) -> Iterator[Entry]:
        """Folders, then files, following the server's ``marker`` pages."""
        marker: str | None = None
        while True:
            page = self._page({"marker": marker} if marker else {})
            yield from entries(page)
            following = page.get("marker")
            if not isinstance(following, str) or not following or following == marker:
                return
            marker = following

    def files(self) -> Iterator[DataFile]:
        return (self.file(e.name) for e in self.list() if e.kind == "file")

    def dirs(self) -> Iterator[DataDirectory]:
        return (self.dir(e.name) for e in self.list() if e.kind == "folder")

    def file(self, name: str) -> DataFile:
        return DataFile(self.client, self._child(name))

    def dir(self, name: str) -> DataDirectory:
        return DataDirectory(self.client, self._child(name))

    def acl(self) -> str:
        """``private``, ``my-algorithms`` or ``public``: the ACL of the enclosing collection."""
        if len(self.parts) < 2:
            raise InvalidInput(f"{self.uri} has no ACL: name a collection in it")
        collection = DataDirectory(self.client, self.parts[:2])
        acl = collection._page({"acl": "true"}).get("acl")
        read = acl.get("read") if isinstance(acl, dict) else None
        name = acl_name(read)
        if name is None:
            raise ModelportError(f"{collection.uri} has an ACL this client does not know: {read!r}")
        return name

    def set_acl(self, name: str) -> None:
        self._collection()
        send(self.client, "PATCH", self.path, json={"acl": {"read": acl_read(name)}})

    def delete(self, force: bool = False) -> int:
        """Delete it (with everything in it when ``force``); the number of entries deleted."""
        if len(self.parts) < 2 or self._kind() == "file":
            raise InvalidInput(f"{self.uri} is not a folder or collection")
        params = {"force": "true"} if force else {}
        result = send_json(self.client, "DELETE", self.path, params=params).get("result")
        return int(result.get("deleted", 0)) if isinstance(result, dict) else 0

    def _collection(self) -> None:
        if len(self.parts) != 2:
            raise InvalidInput(
                f"ACLs belong to collections (data://OWNER/COLLECTION), not to {self.uri}"
            )

    def _page(self, params: dict[str, str]) -> JSON:
        with exchange(self.client, "GET", self.path, params=params) as response:
            if response.headers.get("X-Data-Type") == "file":
                raise InvalidInput(f"{self.uri} is a file, not a folder")
            response.read()
        return decode(response, "GET", self.path)


class DataMixin:
    """``Client.file`` and ``Client.dir``, mixed into ``Client``."""

    def file(self, uri: str) -> DataFile:
        """``client.file("data://.my/digits/svm.dat").download(Path("svm.dat"))``"""
        return DataFile(cast("Client", self), uri)

    def dir(self, uri: str) -> DataDirectory:
        """``client.dir("data://.my/digits").create(acl="private")``"""
        return DataDirectory(cast("Client", self), uri)


def _file(node: DataFile, response: httpx.Response) -> httpx.Response:
    if response.headers.get("X-Data-Type") == "directory":
        raise InvalidInput(f"{node.uri} is a folder, not a file")
    return response

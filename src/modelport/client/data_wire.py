"""The wire side of ``modelport.client.data``: URIs, ACL names, listings and streamed exchanges.

Every data request goes through ``exchange``, which keeps the answer streaming (downloads
never sit in memory) and turns a non-2xx answer into its ``modelport.errors`` class, reading
``X-Error-Message`` when the answer has no body (HEAD).

>>> parse_uri("data://.my/digits/models/svm #2.dat")
('.my', 'digits', 'models', 'svm #2.dat')
>>> http_path(parse_uri("data://.my/digits/models/svm #2.dat"))
'/v1/data/.my/digits/models/svm%20%232.dat'
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import httpx

from modelport.client.failures import platform_error
from modelport.errors import InvalidInput, ModelportError

if TYPE_CHECKING:
    from modelport.client.client import Client

JSON = dict[str, Any]
ACLS: dict[str, list[str]] = {
    "private": [],
    "my-algorithms": ["algo://.my/*"],
    "public": ["user://*"],
}


@dataclass(frozen=True, slots=True)
class Entry:
    """A folder or file: listed, or from ``DataFile.stat()`` (which also gives ``etag``)."""

    name: str
    kind: Literal["folder", "file"]
    size: int | None = None
    last_modified: datetime | None = None
    etag: str | None = None


def entries(page: JSON) -> Iterator[Entry]:
    """The folders, then the files, of one listing page."""
    for folder in page.get("folders") or ():
        yield Entry(str(folder["name"]), "folder")
    for file in page.get("files") or ():
        stamp = file.get("last_modified")
        modified = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        yield Entry(str(file["filename"]), "file", int(file.get("size") or 0), modified)


def acl_read(name: str) -> list[str]:
    """The v1 ``read`` list for an ACL name.

    >>> acl_read("public")
    ['user://*']
    """
    if name not in ACLS:
        raise InvalidInput(f"unknown ACL {name!r}: use {', '.join(ACLS)}")
    return list(ACLS[name])


def acl_name(read: object) -> str | None:
    """The ACL name for a v1 ``read`` list; ``None`` for one this client does not know."""
    return next((name for name, values in ACLS.items() if read == values), None)


def parse_uri(uri: str) -> tuple[str, ...]:
    """The segments of ``data://owner/collection/path`` (the scheme may be left out)."""
    if "://" in uri and not uri.startswith("data://"):
        scheme = uri.split("://", maxsplit=1)[0]
        raise InvalidInput(f"only data:// URIs are supported, not {scheme}://")
    return segments(uri.removeprefix("data://"), uri)


def segments(text: str, uri: str) -> tuple[str, ...]:
    """``a/b/c`` as ``("a", "b", "c")``; empty, ``.``/``..`` and control characters refused."""
    text = text.rstrip("/")
    parts = tuple(text.split("/")) if text else ()
    for part in parts:
        if part in ("", ".", "..") or "\\" in part or any(ord(c) < 32 or c == "\x7f" for c in part):
            raise InvalidInput(
                f"invalid data URI {uri!r}: empty, '.' and '..' segments, backslashes and"
                " control characters are refused"
            )
    return parts


def http_path(parts: tuple[str, ...]) -> str:
    """The route for some segments: each one percent-quoted, ``/`` between them."""
    return "/v1/data/" + "/".join(quote(part, safe="") for part in parts)


@contextmanager
def exchange(client: Client, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
    """One request, its answer still streaming; non-2xx raises the ``modelport.errors`` class."""
    address = client.api_address
    try:
        with client._http.stream(method, path, **kwargs) as response:
            if not response.is_success:
                response.read()
                raise error(response)
            yield response
    except httpx.TimeoutException:
        raise ModelportError(f"{address} did not answer in time") from None
    except httpx.ConnectError as exc:
        raise ModelportError(
            f"cannot reach {address} ({exc}); is `modelport serve` running?"
        ) from None
    except httpx.TransportError as exc:
        raise ModelportError(f"the connection to {address} broke off: {exc}") from None


def send(client: Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request, its answer read whole."""
    with exchange(client, method, path, **kwargs) as response:
        response.read()
    return response


def send_json(client: Client, method: str, path: str, **kwargs: Any) -> JSON:
    """One request whose answer is a JSON object (an empty answer reads as ``{}``)."""
    return decode(send(client, method, path, **kwargs), method, path)


def decode(response: httpx.Response, method: str, path: str) -> JSON:
    try:
        data = json.loads(response.content) if response.content else {}
    except ValueError:
        raise ModelportError(f"{method} {path} answered something other than JSON") from None
    if not isinstance(data, dict):
        raise ModelportError(f"{method} {path} answered {type(data).__name__}, not an object")
    return data


def error(response: httpx.Response) -> ModelportError:
    """``platform_error``, also for bodiless answers that carry ``X-Error-Message``."""
    message = response.headers.get("X-Error-Message")
    if message and not response.content:
        response = httpx.Response(response.status_code, json={"error": {"message": message}})
    return platform_error(response)


def json_bytes(value: Any) -> bytes:
    try:
        return json.dumps(value).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"cannot store a {type(value).__name__} as JSON: {exc}") from None

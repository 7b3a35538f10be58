"""``data://`` files as local paths, fetched from the gateway as the caller::

    model = joblib.load(modelport.data.path("data://.my/models/digits.joblib"))

``path`` downloads ``{MODELPORT_API}/v1/data/...`` with the key in ``MODELPORT_API_KEY``
(inside a worker: the running call's token, so ``.my`` is the caller) into a cache folder,
``MODELPORT_DATA_CACHE`` or ``~/.cache/modelport/data``. Every call asks the server first
(a HEAD, so permissions are checked each time) and downloads again only when the file's
``ETag`` (else ``Content-Length`` + ``Last-Modified``) is not cached yet.

A cached file lives at ``<cache>/<hash of the URL>/<hash of the ETag>/<name>``, with the
ETag beside it in ``<name>.etag``. Keying on the ETag as well as the URL keeps the files of
different callers' ``data://.my/...`` apart (each caller's HEAD names its own version), and a
path handed out is never overwritten with other content. Downloads stream to a temporary
file that is then renamed, so the final path never holds a partial file. Old versions are
not pruned: delete the cache folder to reclaim space.

Errors: a missing file raises ``FileNotFoundError``, a refused one ``PermissionError`` (both
with the server's message), an unreachable gateway ``ConnectionError``.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.parse
from typing import Any

from .client import ApiError, error_message, resolve_address, resolve_key, send, unreachable

SCHEME = "data://"
CHUNK = 1 << 20
TIMEOUT = 60.0  # seconds per socket operation: a stalled transfer fails rather than hangs


def cache_folder() -> str:
    """Where downloads go: ``MODELPORT_DATA_CACHE``, else ``~/.cache/modelport/data``."""
    folder = os.environ.get("MODELPORT_DATA_CACHE")
    return folder or os.path.join(os.path.expanduser("~"), ".cache", "modelport", "data")


def path(uri: str) -> str:
    """A local path holding the current content of ``data://owner/collection/file``."""
    segments = _segments(uri)
    url = resolve_address() + "/v1/data/" + urllib.parse.quote("/".join(segments), safe="/")
    key, name = resolve_key(), segments[-1]
    folder = os.path.join(cache_folder(), _digest(url))
    status, response = send("HEAD", url, key, timeout=TIMEOUT)
    response.close()
    if not 200 <= status < 300:
        raise _failure(uri, status, response.headers, b"")
    if response.headers.get("X-Data-Type", "file") != "file":
        raise IsADirectoryError(f"{uri} is a directory, not a file")
    validator = _validator(response.headers)
    if validator is not None:
        cached = os.path.join(folder, _digest(validator), name)
        if _read_text(cached + ".etag") == validator and os.path.isfile(cached):
            return cached
    return _download(uri, url, key, folder, name)


def read_bytes(uri: str) -> bytes:
    """The content of a ``data://`` file (through the cache of ``path``)."""
    with open(path(uri), "rb") as file:
        return file.read()


def read_text(uri: str, encoding: str = "utf-8") -> str:
    """The content of a ``data://`` file as text."""
    return read_bytes(uri).decode(encoding)


def _segments(uri: str) -> list[str]:
    if not uri.startswith(SCHEME):
        raise ValueError(f"not a data URI: {uri!r} (expected data://owner/collection/file)")
    segments = uri[len(SCHEME) :].split("/")
    if len(segments) < 2 or any(s in ("", ".", "..") for s in segments):
        raise ValueError(f"not a data file URI: {uri!r} (expected data://owner/collection/file)")
    return segments


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _validator(headers: Any) -> str | None:
    """What identifies a version of the file: the ETag, else size and modification time."""
    etag = headers.get("ETag")
    if etag:
        return str(etag)
    modified = headers.get("Last-Modified")
    if modified:
        return f"{headers.get('Content-Length', '')}|{modified}"
    return None


def _failure(uri: str, status: int, headers: Any, body: bytes) -> Exception:
    message = f"{uri}: {error_message(status, headers, body)}"
    if status == 404:
        return FileNotFoundError(message)
    if status in (401, 403):
        return PermissionError(message)
    return ApiError(message, status)


def _read_text(file: str) -> str | None:
    try:
        with open(file, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


def _download(uri: str, url: str, key: str | None, folder: str, name: str) -> str:
    """GET the file into the cache: a temporary file, renamed once complete."""
    status, response = send("GET", url, key, timeout=TIMEOUT)
    try:
        if not 200 <= status < 300:
            raise _failure(uri, status, response.headers, _read_some(response))
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(handle, "wb") as out:
                while chunk := _read_chunk(response, url):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and int(expected) != size:
                cut = f"{size} of {expected} bytes"
                raise ConnectionError(f"{uri}: the download was cut short ({cut})")
            validator = _validator(response.headers) or "sha256:" + digest.hexdigest()
            target = os.path.join(folder, _digest(validator), name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise
    finally:
        response.close()
    _write_atomically(target + ".etag", validator)
    return target


def _read_chunk(response: Any, url: str) -> bytes:
    try:
        return bytes(response.read(CHUNK))
    except (OSError, http.client.HTTPException) as exc:
        raise unreachable(url, exc, TIMEOUT) from exc


def _read_some(response: Any) -> bytes:
    """The start of an error body, for its message."""
    try:
        return bytes(response.read(65536))
    except (OSError, http.client.HTTPException):
        return b""


def _write_atomically(file: str, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(file), prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise

"""A stand-in for the gateway's ``/v1/data`` and ``/v1/algo`` routes, on a real local socket.

Files are served per caller (the ``Authorization`` header) when put with ``caller=``, so
``data://.my/...`` can differ between tokens as it does on the server. Every request is
recorded, Authorization and the channel's proof header included, for the tests to inspect.
Workers reach it through their channels when a runner is given ``gateway=api.gateway()``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from modelport.adapters.runtime.channel import Gateway
from modelport.core.calls import PROOF_HEADER

MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"


@dataclass
class File:
    content: bytes
    etag: str | None = None  # None: no ETag header
    last_modified: str | None = MODIFIED
    status: int = 200
    message: str = ""  # X-Error-Message for a status other than 200
    cut: bool = False  # promise more bytes than sent, then hang up
    kind: str = "file"  # X-Data-Type


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    content_type: str | None
    body: bytes
    proof: str | None = None  # the channel's header (PROOF_HEADER)


Answer = tuple[int, dict[str, str], bytes]


def echo(seen: Seen) -> Answer:
    """The v1 envelope around the input, typed like the gateway types results."""
    kind = (seen.content_type or "").split(";")[0]
    result: Any
    if kind == "application/json":
        result, content_type = json.loads(seen.body), "json"
    elif kind == "text/plain":
        result, content_type = seen.body.decode(), "text"
    else:
        result, content_type = base64.b64encode(seen.body).decode(), "binary"
    envelope = {"result": result, "metadata": {"content_type": content_type, "duration": 0.001}}
    return 200, {"Content-Type": "application/json"}, json.dumps(envelope).encode()


@dataclass
class FakeApi:
    files: dict[tuple[str | None, str], File] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    answer: Callable[[Seen], Answer] = echo  # for POST /v1/algo/...

    def put(self, path: str, content: bytes, caller: str | None = None, **options: Any) -> File:
        """Serve ``/v1/data/{path}``; ``caller``: only to ``Authorization: Bearer {caller}``."""
        options.setdefault("etag", '"' + hashlib.sha256(content).hexdigest()[:16] + '"')
        file = File(content, **options)
        self.files[f"Bearer {caller}" if caller else None, path] = file
        return file

    def __enter__(self) -> FakeApi:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        serve = self._server.serve_forever
        self._thread = threading.Thread(target=serve, args=(0.01,), daemon=True)  # quick stop
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def gateway(self, proof: str = "channel-proof") -> Gateway:
        """Where workers' channels lead, for a runner: here."""
        host, port = self._server.server_address[:2]
        return Gateway(str(host), int(port), proof)

    def lookup(self, authorization: str | None, path: str) -> File | None:
        return self.files.get((authorization, path)) or self.files.get((None, path))


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

        def _seen(self) -> Seen:
            size = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(size) if size else b""
            seen = Seen(
                self.command,
                self.path,
                self.headers.get("Authorization"),
                self.headers.get("Content-Type"),
                body,
                self.headers.get(PROOF_HEADER),
            )
            api.seen.append(seen)
            return seen

        def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                self.wfile.write(body)

        def _data(self, with_body: bool) -> None:
            seen = self._seen()
            path = seen.path.removeprefix("/v1/data/")
            file = api.lookup(seen.authorization, path)
            if file is None:
                self._send(404, {"X-Error-Message": "file does not exist"})
                return
            if file.status != 200:
                self._send(file.status, {"X-Error-Message": file.message})
                return
            headers = {"X-Data-Type": file.kind, "Content-Length": str(len(file.content))}
            if file.cut:
                headers["Content-Length"] = str(len(file.content) + 1000)
            if file.etag is not None:
                headers["ETag"] = file.etag
            if file.last_modified is not None:
                headers["Last-Modified"] = file.last_modified
            self._send(200, headers, file.content if with_body else b"")

        def do_HEAD(self) -> None:
            self._data(with_body=False)

        def do_GET(self) -> None:
            self._data(with_body=True)

        def do_POST(self) -> None:
            status, headers, body = api.answer(self._seen())
            self._send(status, {**headers, "Content-Length": str(len(body))}, body)

    return Handler

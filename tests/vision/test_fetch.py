"""Images from http(s) URLs: limits, timeouts, and no way into the worker's network (SSRF)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from modelport import vision
from modelport.sdk import fetch

from .images import encoded

PNG = encoded("PNG")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, str]]  # (path, Host header) per request

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Host", "")))
        path = self.path.split("?")[0]
        with contextlib.suppress(OSError):
            if path == "/img.png":
                self.answer(200, PNG)
            elif path == "/text":
                self.answer(200, b"hello, I am text")
            elif path == "/big":
                self.answer(200, b"\x89PNG\r\n\x1a\n" + bytes(5000))
            elif path == "/stream":  # no Content-Length: the cap applies while reading
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                for _ in range(50):
                    self.wfile.write(b"\x89PNG\r\n\x1a\n" + bytes(992))
            elif path == "/slow":
                time.sleep(1.5)
                self.answer(200, PNG)
            elif path == "/drip":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                for _ in range(100):
                    self.wfile.write(b"\x89")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif path == "/drip-headers":  # each header line well within the timeout
                self.send_response(200)
                for i in range(40):
                    self.send_header(f"X-Slow-{i}", "1")
                    self.flush_headers()
                    time.sleep(0.05)
                self.end_headers()
            elif path in ("/redirect", "/loop", "/to"):
                target = {"/redirect": "/img.png", "/loop": "/loop"}.get(path)
                self.send_response(302)
                self.send_header("Location", target or self.path.split("?", 1)[1])
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.answer(404, b"no such thing")

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(host: str, tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[Any]]]:
    seen: list[tuple[str, str]] = []
    handler = type("Recording", (Handler,), {"seen": seen})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://{host}:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def site() -> Iterator[tuple[str, list[Any]]]:
    with serving("127.0.0.1") as found:
        yield found


@pytest.fixture
def private_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPORT_ALLOW_PRIVATE_URLS", "1")


def refused(value: object, kind: type[vision.ImageError], match: str) -> None:
    with pytest.raises(kind, match=match) as caught:
        vision.load_image(value)
    assert caught.value.error_type == "InputError"


def test_an_image_url_is_fetched(site: tuple[str, list[Any]], private_ok: None) -> None:
    url, seen = site
    assert vision.load_image(url + "/img.png").shape == (48, 64, 3)
    assert vision.load_image({"url": url + "/img.png?size=big"}).shape == (48, 64, 3)
    assert vision.load_image((url + "/redirect").encode()).shape == (48, 64, 3)
    assert [path for path, _ in seen] == ["/img.png", "/img.png?size=big", "/redirect", "/img.png"]


def test_url_failures_are_precise(
    site: tuple[str, list[Any]], private_ok: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = site
    refused(
        url + "/nothing", vision.FetchError, r"^URL answered 404: http://127\.0\.0\.1:\d+/nothing$"
    )
    refused(url + "/loop", vision.FetchError, "more than 3 redirects")
    refused(url + "/text", vision.NotAnImageError, r"the bytes start with b'hello, I am text'")
    monkeypatch.setenv("MODELPORT_MAX_IMAGE_BYTES", "1000")
    refused(url + "/big", vision.ImageTooLargeError, "image is over 1000 bytes")
    refused(url + "/stream", vision.ImageTooLargeError, "image is over 1000 bytes")
    monkeypatch.delenv("MODELPORT_MAX_IMAGE_BYTES")
    monkeypatch.setenv("MODELPORT_URL_TIMEOUT", "0.5")
    start = time.monotonic()
    refused(
        url + "/slow", vision.FetchError, r"^unreachable URL: .*/slow did not answer within 0\.5 s"
    )
    refused(
        url + "/drip",
        vision.FetchError,
        r"^unreachable URL: .*/drip (did not answer within|took over) 0\.5 s",
    )
    assert time.monotonic() - start < 2.5  # the whole download is bounded, not each read
    start = time.monotonic()
    refused(
        url + "/drip-headers",
        vision.FetchError,
        r"^unreachable URL: .*/drip-headers (did not answer within|took over) 0\.5 s",
    )
    assert time.monotonic() - start < 1.0  # headers too: a slow drip cannot stretch it


def test_unreachable_hosts(private_ok: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused(
        f"http://127.0.0.1:{port}/x.png",
        vision.FetchError,
        r"^unreachable URL: .*\(Connection refused\)",
    )
    refused("http://:80/x.png", vision.FetchError, "not an http.s. URL with a host")
    refused("http://127.0.0.1:99999/x.png", vision.FetchError, "bad port")
    refused("http://user:secret@example.com/x.png", vision.FetchError, "credentials")

    def no_dns(*args: object, **kwargs: object) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    refused("https://images.invalid/cat.jpg", vision.FetchError, "cannot resolve images.invalid")


def test_private_addresses_are_refused_by_default(site: tuple[str, list[Any]]) -> None:
    url, seen = site
    refused(
        url + "/img.png",
        vision.ForbiddenAddressError,
        r"^forbidden address: 127\.0\.0\.1 is loopback",
    )
    refused(
        "http://localhost/img.png", vision.ForbiddenAddressError, "is loopback .host localhost."
    )
    assert seen == []  # refused before connecting


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is link-local"),
        ("http://[::ffff:169.254.169.254]/", "169.254.169.254 is link-local"),
        ("http://[fe80::1]/", "fe80::1 is link-local"),
        ("http://[::1]/", "::1 is loopback"),
        ("http://0.0.0.0/", "0.0.0.0 is unspecified"),
        ("http://10.1.2.3/", "10.1.2.3 is private"),
        ("https://192.168.1.1/", "192.168.1.1 is private"),
        ("http://[fd00::1]/", "fd00::1 is private"),
        ("http://224.0.0.1/", "224.0.0.1 is multicast"),
        ("http://240.0.0.1/", "240.0.0.1 is reserved"),
        ("http://100.64.0.1/", "100.64.0.1 is not a public address"),
        ("http://[2002:7f00:1::]/", "127.0.0.1 is loopback"),
    ],
)
def test_forbidden_addresses_never_see_a_packet(
    url: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> Any:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    refused(url, vision.ForbiddenAddressError, f"^forbidden address: {reason}")


def test_public_addresses_pass() -> None:
    assert fetch.forbidden("93.184.216.34") is None
    assert fetch.forbidden("2606:2800:220:1:248:1893:25c8:1946") is None


def test_a_redirect_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server, on 127.0.0.2, stands for a public host; 127.0.0.1 stays forbidden."""
    real = fetch.forbidden
    monkeypatch.setattr(fetch, "forbidden", lambda a: None if a == "127.0.0.2" else real(a))
    with serving("127.0.0.2") as (url, seen):
        assert vision.load_image(url + "/redirect").shape == (48, 64, 3)
        port = url.rsplit(":", 1)[1]
        to_loopback = f"{url}/to?http://127.0.0.1:{port}/img.png"
        refused(to_loopback, vision.ForbiddenAddressError, r"127\.0\.0\.1 is loopback")
        to_metadata = f"{url}/to?http://169.254.169.254/latest/meta-data/"
        refused(to_metadata, vision.ForbiddenAddressError, r"169\.254\.169\.254 is link-local")
        refused(f"{url}/to?file:///etc/passwd", vision.FetchError, "not an http.s. URL")
    assert [path for path, _ in seen].count("/img.png") == 1


def test_the_connection_goes_to_the_vetted_address(
    site: tuple[str, list[Any]], private_ok: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One DNS answer per hop, the socket to that address, the name in the Host header."""
    url, seen = site
    port = int(url.rsplit(":", 1)[1])
    real, lookups = socket.getaddrinfo, []

    def resolve(host: str, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        return real("127.0.0.1" if host == "images.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert vision.load_image(f"http://images.test:{port}/img.png").shape == (48, 64, 3)
    assert lookups == ["images.test"]
    assert seen == [("/img.png", f"images.test:{port}")]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_https_checks_the_certificate_against_the_url_host(
    certificate: tuple[Path, Path], private_ok: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificate
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    with serving("127.0.0.1", server_side) as (url, seen):
        port = url.rsplit(":", 1)[1]
        refused(f"https://localhost:{port}/img.png", vision.FetchError, "CERTIFICATE_VERIFY_FAILED")
        trusting = ssl.create_default_context(cafile=str(cert))
        monkeypatch.setattr(ssl, "create_default_context", lambda: trusting)
        assert vision.load_image(f"https://localhost:{port}/img.png").shape == (48, 64, 3)
        refused(
            f"https://127.0.0.1:{port}/img.png",
            vision.FetchError,
            "unreachable URL: .*IP address mismatch",
        )
    assert seen == [("/img.png", f"localhost:{port}")]

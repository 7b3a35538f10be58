"""The encoded bytes an image input holds or points to, URLs fetched safely.

``image_bytes(value)`` unwraps the input forms ``modelport.vision.load_image`` accepts: raw
bytes, base64 text, a data URI, a JSON object (keys ``image``, ``url``, ``base64``,
``data``), a request object's ``.input``, a ``data://`` file, or an ``http(s)://`` URL.

``fetch(url)`` downloads an image while guarding the network around the worker (SSRF): the
host is resolved once, every address it has is vetted (private, loopback, link-local,
multicast, reserved, unspecified and other non-global addresses are refused, IPv4-mapped
IPv6 included) and the connection goes to the vetted address, with the URL's host in the
``Host`` header and as the TLS server name, so a second DNS answer cannot swap in another
address. Redirects (at most 3) are vetted the same way. ``MODELPORT_ALLOW_PRIVATE_URLS=1``
lifts the address check; ``MODELPORT_URL_TIMEOUT`` (default 10 s) bounds the whole download,
``MODELPORT_MAX_IMAGE_BYTES`` its size.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse

from .vision import (
    FetchError,
    ForbiddenAddressError,
    ImageError,
    NotAnImageError,
    is_text,
    max_bytes,
    not_an_image,
    sniff,
    too_large,
)

KEYS = ("image", "url", "base64", "data")
MAX_DEPTH = 4
MAX_REDIRECTS = 3
DEFAULT_TIMEOUT = 10.0
CHUNK = 1 << 16
USER_AGENT = "modelport-vision"
ALLOW = "MODELPORT_ALLOW_PRIVATE_URLS"
_BASE64 = re.compile(rb"[A-Za-z0-9+/_\-]*={0,2}")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(?=//|[\w/+.\-]*[;,])")


def image_bytes(value: object, depth: int = 0, *, remote: bool = True) -> bytes:
    """The encoded image that ``value`` holds or points to (sniffed, within the byte limit)."""
    if depth > MAX_DEPTH:
        raise NotAnImageError("not an image: the input nests too deeply")
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        if sniff(raw) is not None:
            return _within_limit(raw)
        if not raw.strip():
            raise NotAnImageError(f"not an image: the input is empty ({len(raw)} bytes)")
        if is_text(raw[:256]):
            return image_bytes(raw.decode("utf-8", "replace"), depth + 1, remote=remote)
        raise not_an_image(raw)
    if isinstance(value, str):
        return _from_text(value.strip(), depth, remote)
    if isinstance(value, dict):
        for key in KEYS:
            if key in value:
                return image_bytes(value[key], depth + 1, remote=remote)
        raise NotAnImageError(f"not an image: a JSON object needs one of the keys {KEYS}")
    if hasattr(value, "input"):  # a request object (Algorithmia's DCF style)
        return image_bytes(value.input, depth + 1, remote=remote)
    raise NotAnImageError(f"not an image: got {type(value).__name__}, expected bytes or text")


def _from_text(text: str, depth: int, remote: bool) -> bytes:
    if text[:1] in ("{", '"'):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise NotAnImageError(f"not an image: the text is not valid JSON ({exc})") from None
        return image_bytes(parsed, depth + 1, remote=remote)
    scheme = _SCHEME.match(text)
    name = scheme.group(1).lower() if scheme else ""
    if not remote and (name in ("http", "https") or text[:7].lower() == "data://"):
        raise FetchError(
            "only images sent in the request are drawn here: not URLs or data:// files"
        )
    if name in ("http", "https"):
        return fetch(text)
    if name == "data":
        return _from_data_file(text) if text[5:7] == "//" else _from_data_uri(text)
    if scheme:
        raise FetchError(f"unreachable URL: {name} URLs are not supported (http, https, data://)")
    return _from_base64(text.encode("utf-8", "replace"))


def _from_data_uri(uri: str) -> bytes:
    header, comma, payload = uri.partition(",")
    if not comma:
        raise NotAnImageError("not an image: a data URI needs a comma before its data")
    if header.lower().endswith(";base64"):
        return _from_base64(urllib.parse.unquote(payload).encode("ascii", "replace"))
    raw = urllib.parse.unquote_to_bytes(payload)
    return _sniffed(raw, "the data URI")


def _from_data_file(uri: str) -> bytes:
    from . import data

    try:
        local = data.path(uri)
        if os.path.getsize(local) > max_bytes():
            raise too_large(max_bytes())
        with open(local, "rb") as file:
            raw = file.read()
    except (ValueError, OSError) as exc:
        raise ImageError(str(exc)) from exc
    if sniff(raw) is None:
        raise not_an_image(raw, uri, reveal=False)
    return _within_limit(raw)


def _from_base64(text: bytes) -> bytes:
    limit = max_bytes()
    if len(text) > limit * 4 // 3 + 4096:
        raise too_large(limit)
    packed = b"".join(text.split())
    valid = _BASE64.match(packed)
    end = valid.end() if valid else 0
    if end != len(packed) or len(packed) % 4 == 1:
        if end < 16 or sum(c in b" \t.,;:!?'" for c in text[:256]) > 2:  # prose, not base64
            raise not_an_image(text, "the text")
        where = f"unexpected {packed[end : end + 1]!r} at position {end}"
        if end == len(packed):
            where = f"{len(packed)} characters is not a base64 length"
        raise NotAnImageError(f"not an image: invalid base64 ({where})")
    packed += b"=" * (-len(packed) % 4)
    altchars = b"-_" if b"-" in packed or b"_" in packed else None
    try:
        raw = base64.b64decode(packed, altchars=altchars, validate=True)
    except binascii.Error as exc:
        raise NotAnImageError(f"not an image: invalid base64 ({exc})") from None
    return _sniffed(raw, "the base64 data")


def _sniffed(raw: bytes, what: str) -> bytes:
    if sniff(raw) is None:
        raise not_an_image(raw, what)
    return _within_limit(raw)


def _within_limit(raw: bytes) -> bytes:
    if len(raw) > max_bytes():
        raise too_large(max_bytes())
    return raw


def fetch(url: str) -> bytes:
    """The body of ``url`` (http or https), from a vetted address, within the limits."""
    limit, timeout = max_bytes(), _timeout()
    deadline = time.monotonic() + timeout
    for _ in range(MAX_REDIRECTS + 1):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise FetchError(f"unreachable URL: {url!r} is not an http(s) URL with a host")
        if parts.username is not None or parts.password is not None:
            raise FetchError("unreachable URL: URLs with credentials are not supported")
        connection: http.client.HTTPConnection | None = None
        response: http.client.HTTPResponse | None = None
        watchdog: threading.Timer | None = None
        try:
            connection = _connect(parts, deadline, timeout)
            sock = connection.sock  # kept: http.client drops it once a response says close
            # Socket timeouts bound each read, not the sum: a server dripping its headers
            # could stretch them for ever. At the deadline, the socket is shut.
            watchdog = threading.Timer(_left(deadline, timeout), _shut, (sock,))
            watchdog.daemon = True
            watchdog.start()
            target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
            connection.request("GET", target, headers={"User-Agent": USER_AGENT})
            response = connection.getresponse()
            location = response.getheader("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                url = urllib.parse.urljoin(url, location)
                continue
            if not 200 <= response.status < 300:
                raise FetchError(f"URL answered {response.status}: {_shown(url)}")
            declared = response.getheader("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large(limit)
            return _read(response, sock, limit, deadline, url, timeout)
        except (OSError, http.client.HTTPException) as exc:
            late = time.monotonic() >= deadline  # the watchdog shut the socket
            raise _unreachable(url, TimeoutError() if late else exc, timeout) from exc
        finally:
            if watchdog is not None:
                watchdog.cancel()
            if response is not None:
                response.close()
            if connection is not None:
                connection.close()
    raise FetchError(f"unreachable URL: more than {MAX_REDIRECTS} redirects from {_shown(url)}")


def forbidden(address: str) -> str | None:
    """Why a worker may not connect to ``address`` (an IP), or ``None`` when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):  # an IPv4 address inside an IPv6 one
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("not a public address", not ip.is_global),
    )
    return next((f"{ip} is {why}" for why, hit in checks if hit), None)


def _connect(
    parts: urllib.parse.SplitResult, deadline: float, timeout: float
) -> http.client.HTTPConnection:
    """A connection to the URL's host through an address that passed ``forbidden``."""
    host, https = parts.hostname or "", parts.scheme.lower() == "https"
    try:
        port = parts.port or (443 if https else 80)
    except ValueError as exc:
        raise FetchError(f"unreachable URL: bad port in {_shown(parts.geturl())}") from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"unreachable URL: cannot resolve {host} ({exc})") from exc
    if os.environ.get(ALLOW, "").strip().lower() not in ("1", "true", "yes"):
        for info in infos:
            reason = forbidden(str(info[4][0]))
            if reason is not None:
                raise ForbiddenAddressError(f"forbidden address: {reason} (host {host})")
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    sock, error = None, None
    for family, kind, protocol, _, sockaddr in infos:  # the vetted addresses, as resolved
        sock = socket.socket(family, kind, protocol)
        try:
            sock.settimeout(_left(deadline, timeout))
            sock.connect(sockaddr)
            break
        except OSError as exc:
            sock.close()
            sock, error = None, exc
    if sock is None:
        raise _unreachable(parts.geturl(), error or OSError("no address"), timeout)
    if https:
        try:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        except OSError as exc:
            sock.close()
            raise _unreachable(parts.geturl(), exc, timeout) from exc
    connection.sock = sock  # http.client sends through it, with Host: the URL's host
    return connection


def _read(
    response: http.client.HTTPResponse,
    sock: socket.socket,
    limit: int,
    deadline: float,
    url: str,
    timeout: float,
) -> bytes:
    """The body, stopping at the byte limit and at the deadline."""
    body = bytearray()
    while True:
        sock.settimeout(_left(deadline, timeout))
        chunk = response.read1(CHUNK)  # what has arrived: the deadline is checked between
        if not chunk:
            if time.monotonic() >= deadline:  # the watchdog shut the socket: not the end
                raise FetchError(f"unreachable URL: {_shown(url)} took over {timeout:g} s")
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
        if time.monotonic() > deadline:
            raise FetchError(f"unreachable URL: {_shown(url)} took over {timeout:g} s")


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _left(deadline: float, timeout: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError(f"over {timeout:g} s")
    return left


def _unreachable(url: str, exc: BaseException, timeout: float) -> FetchError:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return FetchError(f"unreachable URL: {_shown(url)} did not answer within {timeout:g} s")
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return FetchError(f"unreachable URL: {_shown(url)} ({reason})")


def _shown(url: str) -> str:
    return url if len(url) <= 200 else url[:200] + "..."


def _timeout() -> float:
    text = os.environ.get("MODELPORT_URL_TIMEOUT", "").strip()
    try:
        value = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        raise ValueError(f"MODELPORT_URL_TIMEOUT must be seconds, not {text!r}") from None
    if value <= 0:
        raise ValueError(f"MODELPORT_URL_TIMEOUT must be positive, not {value}")
    return value

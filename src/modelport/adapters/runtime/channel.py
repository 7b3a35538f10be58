"""A worker's channel to the gateway, and who each request through it acts as.

The worker hands over every connection its clients open to its loopback port
(``worker/channel.py``) through a socket pair made for that worker alone. Here each
connection's request head is read and rewritten, then the request is piped to the gateway's
own port:

- an ``Authorization`` naming the worker's channel key (what clients in user code send by
  default: ``MODELPORT_API_KEY`` and ``ALGORITHMIA_API_KEY`` hold it) is replaced with the
  worker's identity at that moment: the owner's read-only token while it starts (the module's
  import and ``load()``), the running call's token while a call runs, none when idle. So a
  client made once at import acts as each caller in turn, and no token ever enters a worker:
  what it prints or returns holds nothing usable from outside;
- any other key is one the code was given and goes on unchanged, acting as itself;
- the proof header marks the request as coming through a channel: call tokens are accepted
  with it only (``services/accounts.py``);
- ``Connection: close``: one request per connection, so each acts as whoever it was made for.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import hmac
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass

from modelport.core.calls import PROOF_HEADER
from modelport.worker.channel import KEY_VARIABLES

KEY_PREFIX = "mpc_"  # a channel key: meaningless to the gateway's public port
HEAD_LIMIT = 64 * 1024  # bytes of a request head
HEAD_TIMEOUT = 30.0  # seconds to send one
CONNECTIONS = 64  # open at once per worker; more are closed as they arrive
_DROPPED = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"upgrade",
                      PROOF_HEADER.encode()})  # fmt: skip
_CHUNK = 1 << 16
_BAD_HEAD = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_NO_GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@dataclass(frozen=True, slots=True)
class Gateway:
    """Where channels send requests: the gateway's own address, and the proof header's value."""

    host: str
    port: int
    proof: str


class Channel:
    """One worker's channel, served on the running event loop::

    channel = Channel(gateway, identity=lambda: replica's token now)
    argv, fds, env = channel.handed(argv, fds, env)  # then spawn the worker with them
    channel.spawned(); ... channel.close()
    """

    def __init__(self, gateway: Gateway, identity: Callable[[], str]) -> None:
        self.gateway, self.identity = gateway, identity
        self.key = KEY_PREFIX + secrets.token_urlsafe(24)
        self._key = self.key.encode()
        self._ours, self.child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._ours.setblocking(False)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._ours.fileno(), self._receive)
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def handed(
        self, argv: list[str], fds: list[int], env: dict[str, str]
    ) -> tuple[list[str], list[int], dict[str, str]]:
        """A worker's command, inherited descriptors and environment, with this channel: its
        end as ``--channel FD``, and the channel key as the default API key."""
        keys = dict.fromkeys(KEY_VARIABLES, self.key)
        fd = self.child.fileno()
        return [*argv, "--channel", str(fd)], [*fds, fd], {**env, **keys}

    def spawned(self) -> None:
        """The worker holds its end now (or never will): close ours of it."""
        self.child.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._ours.fileno())
        self._ours.close()
        self.child.close()
        for task in self._tasks:
            task.cancel()

    def _receive(self) -> None:
        try:
            data, ancillary, _, _ = self._ours.recvmsg(1, socket.CMSG_SPACE(4 * 16))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, ancillary = b"", []
        fds = _descriptors(ancillary)
        if not data and not fds:  # the worker's end is closed: it has exited
            self._loop.remove_reader(self._ours.fileno())
            return
        for fd in fds:
            sock = socket.socket(fileno=fd)
            if len(self._tasks) >= CONNECTIONS or sock.type != socket.SOCK_STREAM:
                sock.close()
                continue
            task = self._loop.create_task(self._serve(sock))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock, limit=HEAD_LIMIT)
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
                head = self._rewrite(head)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                writer.write(_BAD_HEAD)
                return
            except TimeoutError:
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(
                    self.gateway.host, self.gateway.port
                )
            except OSError:
                writer.write(_NO_GATEWAY)
                return
            try:
                up_writer.write(head)
                upload = asyncio.ensure_future(_copy(reader, up_writer))
                try:  # the gateway closes after its answer (Connection: close)
                    await _copy(up_reader, writer)
                finally:
                    upload.cancel()
            finally:
                up_writer.close()
        finally:
            writer.close()

    def _rewrite(self, head: bytes) -> bytes:
        """The request head as the gateway gets it; ``ValueError`` for a malformed one."""
        lines = head[:-4].split(b"\r\n")
        out = [lines[0]]
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or line[:1] in (b" ", b"\t"):  # no obsolete folding, no junk
                raise ValueError("malformed header line")
            lower = name.lower()
            if lower in _DROPPED:
                continue
            if lower == b"authorization" and self._is_key(value):
                token = self.identity()
                if token:
                    out.append(b"Authorization: Bearer " + token.encode())
                continue
            out.append(line)
        out += [b"Connection: close", f"{PROOF_HEADER}: {self.gateway.proof}".encode()]
        return b"\r\n".join(out) + b"\r\n\r\n"

    def _is_key(self, value: bytes) -> bool:
        scheme, _, rest = value.strip().partition(b" ")
        credential = rest.strip() if rest and scheme.lower() in (b"bearer", b"simple") else scheme
        return hmac.compare_digest(credential, self._key)


def _descriptors(ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    fds: list[int] = []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(data) - len(data) % 4
            fds += array.array("i", data[:usable]).tolist()
    return fds


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()
    with contextlib.suppress(OSError):
        await writer.drain()

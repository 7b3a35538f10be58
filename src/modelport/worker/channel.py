"""The worker's way to the gateway when its network is isolated: a loopback port inside the
sandbox, piped to the Unix socket the gateway binds in as ``MODELPORT_CHANNEL``.

Clients in user code (``modelport.Client``, ``Algorithmia.client()``, plain ``urllib``) speak
HTTP to ``MODELPORT_API`` as ever; only the address changes, to this port. Standard library
only, Python 3.8+.
"""

from __future__ import annotations

import contextlib
import socket
import threading

CHANNEL = "MODELPORT_CHANNEL"  # the Unix socket's path inside the sandbox
_CHUNK = 1 << 16


def open_channel(path: str) -> str:
    """Listen on a loopback port that forwards every connection to ``path``; its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.set_inheritable(False)
    thread = threading.Thread(target=_accept, args=(listener, path), daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


def _accept(listener: socket.socket, path: str) -> None:
    while True:
        client, _ = listener.accept()
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(path)
        except OSError:
            client.close()
            upstream.close()
            continue
        for source, target in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pipe, args=(source, target), daemon=True).start()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    """Copy until end of stream, then pass the end on (half-close), and close when done."""
    try:
        while data := source.recv(_CHUNK):
            target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
    except OSError:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_RDWR)
    finally:
        with contextlib.suppress(OSError):
            source.shutdown(socket.SHUT_RD)

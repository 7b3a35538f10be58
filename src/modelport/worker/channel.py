"""The worker's way to the gateway: a loopback port whose connections are handed, as they are
accepted, to the gateway through a socket the worker inherits (``--channel FD``).

Clients in user code (``modelport.Client``, ``Algorithmia.client()``, plain ``urllib``) speak
HTTP to ``MODELPORT_API`` as ever; only the address changes, to this port. Each accepted
connection's descriptor goes to the gateway (``SCM_RIGHTS``), which serves it itself: the
worker copies no bytes, and the gateway knows which worker every request comes from, so it
decides who the request acts as (``adapters/runtime/channel.py``). With ``network: isolated``
the port is in the sandbox's own network, which nothing else can reach. Standard library
only, Python 3.8+.
"""

from __future__ import annotations

import array
import socket
import threading

KEY_VARIABLES = ("MODELPORT_API_KEY", "ALGORITHMIA_API_KEY")  # the channel's key, set per worker


def open_channel(fd: int) -> str:
    """Listen on a loopback port whose connections go to the gateway over ``fd``; its URL."""
    channel = socket.socket(fileno=fd)
    channel.set_inheritable(False)  # processes the algorithm starts must not hold it
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.set_inheritable(False)
    thread = threading.Thread(target=_hand_over, args=(listener, channel), daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}"


def _hand_over(listener: socket.socket, channel: socket.socket) -> None:
    while True:
        client, _ = listener.accept()
        try:
            fds = array.array("i", [client.fileno()])
            channel.sendmsg([b"c"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        except OSError:
            return  # the gateway closed the channel: the worker is being stopped
        finally:
            client.close()  # the gateway holds its own copy now

"""The floor of serving a model outside the HTTP process: the least a gateway can do.

A raw ASGI app (``uvicorn forwarder:app``) hands each request body to one worker process over
a socketpair, with a 4-byte length before each message, and answers with what comes back. The
worker (this file run as a script) does what the benchmark's FastAPI app does inline: decode,
preprocess, one ONNX session call, softmax and the top label. No authentication, no queue, no
envelope, no metrics: what is left is the price of the process boundary itself.

Environment: ``BENCH_MODEL`` (the ONNX file), ``BENCH_LABELS`` (a JSON list of class names),
``BENCH_THREADS`` (intra-op threads).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

LENGTH = struct.Struct("!I")


def serve(fd: int) -> None:
    """The worker: answer length-prefixed JPEG bodies until the socket closes."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import numpy as np
    from vision_throughput import open_session, preprocess

    session = open_session(os.environ["BENCH_MODEL"], int(os.environ["BENCH_THREADS"]))
    labels = json.loads(Path(os.environ["BENCH_LABELS"]).read_text())
    sock = socket.socket(fileno=fd)
    with sock.makefile("rb") as stream:
        while len(head := stream.read(LENGTH.size)) == LENGTH.size:
            body = stream.read(LENGTH.unpack(head)[0])
            scores = session.run(None, {"input": preprocess(body)[None]})[0][0]
            probs = np.exp(scores.astype(np.float64) - scores.max())
            probs /= probs.sum()
            i = int(probs.argmax())
            top = {"label": labels[i], "index": i, "score": round(float(probs[i]), 6)}
            out = json.dumps(top).encode()
            sock.sendall(LENGTH.pack(len(out)) + out)


class Forwarder:
    """The ASGI side: one worker, one call at a time (concurrency 1 is what it is for)."""

    def __init__(self) -> None:
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.lock = asyncio.Lock()

    async def start(self) -> None:
        parent, child = socket.socketpair()
        argv = [sys.executable, __file__, str(child.fileno())]
        self.worker = subprocess.Popen(argv, pass_fds=[child.fileno()])
        child.close()
        self.streams = await asyncio.open_unix_connection(sock=parent)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await self.start()
                await send({"type": "lifespan.startup.complete"})
            self.worker.terminate()
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["method"] != "POST":  # the readiness probe
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"up"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        assert self.streams is not None
        reader, writer = self.streams
        async with self.lock:
            writer.write(LENGTH.pack(len(body)) + body)
            size = LENGTH.unpack(await reader.readexactly(LENGTH.size))[0]
            out = await reader.readexactly(size)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % size)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": out})


app = Forwarder()

if __name__ == "__main__":
    serve(int(sys.argv[1]))

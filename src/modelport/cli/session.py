"""One CLI run: the parsed arguments, the output streams and a lazily opened Client.

>>> s = Session(argparse.Namespace(api="http://h:1", key="k", home=None))
>>> s.client().api_address
'http://h:1'
>>> s.close()
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import BinaryIO, TextIO, TypeAlias

import httpx

from modelport.client import Client

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Session:
    """What a verb needs; ``transport`` lets tests answer for the server."""

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        transport: httpx.BaseTransport | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.args = args
        self.transport = transport
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._client: Client | None = None

    def client(self) -> Client:
        if self._client is None:
            home = getattr(self.args, "home", None)
            self._client = Client(
                getattr(self.args, "key", None),
                getattr(self.args, "api", None),
                home=Path(home) if home else None,
                transport=self.transport,
            )
        return self._client

    def out(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def err(self, text: str) -> None:
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def write_bytes(self, data: bytes) -> None:
        """Raw bytes to stdout (through its buffer when it has one)."""
        self.stdout.flush()
        buffer: BinaryIO | None = getattr(self.stdout, "buffer", None)
        if buffer is None:
            self.stdout.write(data.decode("utf-8", errors="replace"))
        else:
            buffer.write(data)
            buffer.flush()

    def read_stdin(self) -> bytes:
        buffer: BinaryIO | None = getattr(self.stdin, "buffer", None)
        if buffer is not None:
            return buffer.read()
        return self.stdin.read().encode("utf-8")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

"""The gateway's end of the workers' channel: a Unix socket piped to the gateway's own port.

Workers with ``network: isolated`` have no network at all (their own, empty network
namespace); the sandbox binds this socket in, and the worker's ``worker/channel.py`` turns it
back into a loopback HTTP address, so ``data://`` reads and chained calls still reach the
gateway, as the caller, with the call's token. Each connection is piped byte for byte to the
gateway's listening port on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

SOCKET = "channel.sock"
_CHUNK = 1 << 16


class Channel:
    """``await Channel(folder, ("127.0.0.1", 8080)).start()`` on the gateway's event loop."""

    def __init__(self, folder: Path, target: tuple[str, int]) -> None:
        self.folder, self.target = folder, target
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)  # bound into sandboxes from now
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def path(self) -> Path:
        return self.folder / SOCKET

    async def start(self) -> None:
        """Listen on the running event loop (again, after the loop it served has ended)."""
        if self._server is not None and self._loop is asyncio.get_running_loop():
            return
        self._loop = asyncio.get_running_loop()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a gateway that stopped without closing it
        self._server = await asyncio.start_unix_server(self._pipe, path=str(self.path))
        # the sandbox's uid connects to it; the home folder (0700) keeps everyone else out
        os.chmod(self.path, 0o666)  # noqa: S103

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer))
        finally:
            writer.close()
            up_writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()

"""Source archives from hostile uploads: bombs are refused before anything large is allocated."""

from __future__ import annotations

import gzip
import io
import tarfile
import tracemalloc

import pytest

from modelport.errors import InvalidInput, PayloadTooLarge
from modelport.services.sources import read_archive

GIB = 2**30


def zeros_gz(header: bytes, size: int) -> bytes:
    """``header`` then ``size`` zero bytes, gzip-compressed as a stream (a few MB in all)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as gz:
        gz.write(header)
        chunk = bytes(1 << 20)
        for _ in range(size // len(chunk)):
            gz.write(chunk)
    return out.getvalue()


def header(name: str, size: int, kind: bytes) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def peak_mib(work: object) -> float:
    tracemalloc.start()
    try:
        with pytest.raises((PayloadTooLarge, InvalidInput)) as caught:
            work()  # type: ignore[operator]
        assert "archive" in caught.value.message or "unpacked" in caught.value.message
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_a_gigabyte_pax_header_is_refused_without_reading_it() -> None:
    bomb = zeros_gz(header("././@PaxHeader", GIB, tarfile.XHDTYPE), GIB)
    assert len(bomb) < 8 * 2**20  # a small upload
    peak = peak_mib(lambda: read_archive(bomb, max_bytes=200 * 2**20))
    assert peak < 16, f"{peak:.0f} MiB allocated for a refused archive"


def test_a_gnu_long_name_bomb_is_refused() -> None:
    bomb = zeros_gz(header("././@LongLink", 64 * 2**20, tarfile.GNUTYPE_LONGNAME), 64 * 2**20)
    assert peak_mib(lambda: read_archive(bomb, max_bytes=200 * 2**20)) < 16


def test_more_unpacked_bytes_than_the_limit_are_refused_as_they_stream() -> None:
    bomb = zeros_gz(header("big.bin", 300 * 2**20, tarfile.REGTYPE), 300 * 2**20)
    with pytest.raises(PayloadTooLarge, match="MiB unpacked"):
        read_archive(bomb, max_bytes=200 * 2**20)


def test_a_corrupt_gzip_stream_is_a_clear_error() -> None:
    good = zeros_gz(header("a.py", 0, tarfile.REGTYPE), 0)
    with pytest.raises(InvalidInput, match="not a readable tar archive"):
        read_archive(good[:20] + b"\xff" * 64, max_bytes=2**20)

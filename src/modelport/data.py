"""Data from inside an algorithm: ``modelport.data.path("data://.my/digits/model.dat")``.

The same stdlib-only functions workers get when modelport is not installed in the build's
environment: a local path to a cached copy (fetched again when the file changes), acting as
the caller of the current call (in ``load()``, as the algorithm's owner).
"""

from modelport.sdk.data import path, read_bytes, read_text

__all__ = ["path", "read_bytes", "read_text"]

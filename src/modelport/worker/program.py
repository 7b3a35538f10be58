"""The user contract: import an entrypoint, run ``load()`` once, then calls on decoded inputs.

Standard library only: the worker script loads this file by path in the build's environment,
and the in-process runner imports it as ``modelport.worker.program``.
"""

from __future__ import annotations

import base64
import contextlib
import inspect
import io
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from importlib import util as import_util
from typing import Any, NamedTuple

from .protocol import OUT_OF_MEMORY, Failure


class Outcome(NamedTuple):
    """One call's answer; ``body`` is the result encoded as a JSON value."""

    content_type: str
    body: bytes
    duration: float
    stdout: str | None
    error: Failure | None


class Request:
    """What a DCF-style ``Handler(req)`` receives: ``req.input`` is the raw request bytes."""

    __slots__ = ("input",)

    def __init__(self, data: bytes) -> None:
        self.input = data


class _NotSerialisable(TypeError):
    pass


class ResultTooLarge(ValueError):
    error_type = "ResultTooLarge"


def _refuse(value: object) -> None:
    raise _NotSerialisable(f"result is not JSON-serialisable: {type(value).__name__}")


# One encoder for every result: ``json.dumps`` with options builds a new one per call.
_RESULT = json.JSONEncoder(separators=(",", ":"), default=_refuse)


def decode_input(content_type: str, body: bytes) -> Any:
    if content_type == "json":
        return json.loads(body)
    if content_type == "text":
        return body.decode("utf-8")
    return body if content_type == "binary" else None


def encode_output(value: object) -> tuple[str, bytes]:
    """``bytes`` → binary (a base64 JSON string), ``str`` → text, anything else → JSON."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "binary", b'"' + base64.b64encode(value) + b'"'
    if isinstance(value, str):
        return "text", json.dumps(value).encode()
    return "json", _RESULT.encode(value).encode()


def failure(exc: BaseException, default: str = "AlgorithmError") -> Failure:
    """The ADK's error triple; the stack trace starts in user code."""
    if isinstance(exc, MemoryError):
        # the frames still hold what was allocated: free it before formatting anything
        traceback.clear_frames(exc.__traceback__)
        try:
            return _failure(exc, default)
        except MemoryError:
            return OUT_OF_MEMORY
    return _failure(exc, default)


def _failure(exc: BaseException, default: str) -> Failure:
    tb = exc.__traceback__
    while tb is not None and _ours(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    kind = getattr(exc, "error_type", None)
    if isinstance(exc, MemoryError):
        kind = "OutOfMemoryError"
    summary = traceback.TracebackException(type(exc), exc, tb)
    _relative(summary, _import_roots())
    message = str(exc) or type(exc).__name__
    error_type = kind if isinstance(kind, str) and kind else default
    return Failure(message, error_type, "".join(summary.format()))


def _ours(filename: str) -> bool:
    return filename == __file__ or filename.startswith("<frozen importlib")


def _import_roots() -> list[str]:
    """The folders modules are imported from, longest first, each ending in a separator."""
    roots = {os.path.join(os.path.abspath(p), "") for p in sys.path if p}
    return sorted(roots, key=len, reverse=True)


def _relative(summary: traceback.TracebackException, roots: list[str]) -> None:
    """Name each frame's file from the folder it was imported from (``algorithm.py``,
    ``PIL/Image.py``): callers see where the code failed, not the server's directory layout.
    The chain holds each exception once (``TracebackException`` breaks cycles itself)."""
    pending: list[traceback.TracebackException | None] = [summary]
    while pending:
        current = pending.pop()
        if current is None:
            continue
        for frame in current.stack:
            root = next((r for r in roots if frame.filename.startswith(r)), None)
            if root is not None:
                frame.filename = frame.filename[len(root) :]
        pending += [current.__cause__, current.__context__]
        pending += getattr(current, "exceptions", None) or []  # an ExceptionGroup's


def _positional(fn: Callable[..., Any]) -> tuple[int, int]:
    """How many positional arguments ``fn`` takes, and how many of them are required."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1, 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return 2, 1
    positional = [p for p in params if p.kind in kinds]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    return len(positional), len(required)


STDOUT_LIMIT = 1 << 20  # characters of a call's captured output kept, by default


class _Capped(io.StringIO):
    """Keeps the first ``limit`` characters written, then a note of how much was dropped."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit, self._left, self._dropped = limit, limit, 0

    def write(self, text: str) -> int:
        kept = text[: max(self._left, 0)]
        self._left -= len(kept)
        self._dropped += len(text) - len(kept)
        return super().write(kept) + len(text) - len(kept)

    def getvalue(self) -> str:
        text = super().getvalue()
        if self._dropped:
            text += f"\n[{self._dropped} more characters of output dropped: the limit is"
            text += f" {self._limit} (MODELPORT_MAX_STDOUT_CHARS)]\n"
        return text


@contextlib.contextmanager
def _captured(active: bool, limit: int = STDOUT_LIMIT) -> Iterator[io.StringIO | None]:
    """Sends ``print`` output of one call into a bounded buffer, not the worker's log."""
    if not active:
        yield None
        return
    buffer, saved = _Capped(limit), (sys.stdout, sys.stderr)
    sys.stdout = sys.stderr = buffer
    try:
        yield buffer
    finally:
        sys.stdout, sys.stderr = saved


class Program:
    """An imported entrypoint behind one calling convention (``apply``, ``Handler``).

    ``Program("/src", "algorithm.py:apply").load()``, then ``run_one("json", b"[1]", False)``.
    """

    def __init__(
        self,
        source: str,
        entrypoint: str,
        module_name: str | None = None,
        stdout_limit: int = STDOUT_LIMIT,
        result_limit: int = 0,
    ) -> None:
        self.stdout_limit = stdout_limit
        self.result_limit = result_limit  # bytes of one encoded result; 0: no limit
        self.error: Failure | None = None
        self.batchable = False
        self._target: Any = None
        self._module: Any = None
        self._raw = False  # DCF style: the callable gets Request(body), not the decoded input
        self._apply: Callable[[Any], Any] = _not_loaded
        self._apply_batch: Callable[[list[Any]], Any] = _not_loaded
        file, self._attribute = entrypoint.split(":", 1)
        try:
            self._import(os.path.join(source, file), module_name)
        except Exception as exc:
            self.error = failure(exc, "ImportError")

    def _import(self, path: str, module_name: str | None) -> None:
        name = module_name or os.path.splitext(os.path.basename(path))[0]
        spec = import_util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = import_util.module_from_spec(spec)
        sys.modules[name] = module  # so pickles of classes defined there can find them
        spec.loader.exec_module(module)
        target = getattr(module, self._attribute, None)
        if not callable(target):
            raise ImportError(f"{os.path.basename(path)} has no callable {self._attribute}")
        self._module, self._target = module, target
        self._raw = inspect.isclass(target) or self._attribute == "Handler"
        batch = None if self._raw else getattr(module, "apply_batch", None)
        self.batchable = callable(batch)

    def load(self) -> None:
        """Run ``load()`` (or ``Handler()``) once; a failure answers every call later."""
        if self.error is not None:
            return
        try:
            self._load()
        except Exception as exc:
            self.error, self.batchable = failure(exc, "LoadingError"), False

    def _load(self) -> None:
        target: Any = self._target
        if inspect.isclass(target):
            instance: Any = target()  # DCF: __init__ loads, __call__(req) answers
            self._apply = instance
            return
        loader = None if self._raw else getattr(self._module, "load", None)
        state = loader() if callable(loader) else None
        self._apply = _bind(target, state, callable(loader))
        if self.batchable:
            batch = _bind(self._module.apply_batch, state, callable(loader))
            self._apply_batch = batch
            if self._attribute == "apply_batch":
                self._apply = lambda value: batch([value])[0]

    def run_one(self, content_type: str, body: bytes, capture: bool) -> Outcome:
        if self.error is not None:
            return Outcome("json", b"null", 0.0, "" if capture else None, self.error)
        with _captured(capture, self.stdout_limit) as out:
            start = time.perf_counter()
            error: Failure | None = None
            try:
                value = Request(body) if self._raw else decode_input(content_type, body)
                kind, encoded = self._encode(self._apply(value))
            except Exception as exc:
                kind, encoded, error = "json", b"null", failure(exc)
            duration = time.perf_counter() - start
        return Outcome(kind, encoded, duration, None if out is None else out.getvalue(), error)

    def run_batch(self, calls: Sequence[tuple[str, bytes, bool]]) -> list[Outcome]:
        """Run calls through ``apply_batch`` at once. When it raises (a bad input, say) and the
        module has its own ``apply``, each call runs alone, so only the bad call fails; an
        ``apply_batch`` that breaks its contract fails the whole batch."""
        with _captured(any(c[2] for c in calls), self.stdout_limit) as out:
            start, error, raised = time.perf_counter(), None, False
            try:
                values = self._apply_batch([decode_input(c[0], c[1]) for c in calls])
            except Exception as exc:
                values, error, raised = [], failure(exc), not isinstance(exc, MemoryError)
            encoded = [("json", b"null")] * len(calls)
            if error is None:
                try:
                    encoded = self._encode_batch(values, len(calls))
                except Exception as exc:
                    error = failure(exc)
            duration = time.perf_counter() - start
        if raised and self._attribute != "apply_batch":
            return [self.run_one(*call) for call in calls]
        text = None if out is None else out.getvalue()
        return [
            Outcome(kind, body, duration, text if calls[i][2] else None, error)
            for i, (kind, body) in enumerate(encoded)
        ]

    def _encode(self, value: object) -> tuple[str, bytes]:
        kind, encoded = encode_output(value)
        if self.result_limit and len(encoded) > self.result_limit:
            raise ResultTooLarge(
                f"the result is {len(encoded)} bytes encoded, over this server's limit of"
                f" {self.result_limit} (MODELPORT_MAX_RESULT_BYTES): return less, or write it"
                " to a data:// file and return its URI"
            )
        return kind, encoded

    def _encode_batch(self, values: Any, count: int) -> list[tuple[str, bytes]]:
        if not isinstance(values, (list, tuple)):
            raise TypeError(
                f"apply_batch returned a {type(values).__name__}, not a list of outputs"
            )
        if len(values) != count:
            raise TypeError(f"apply_batch returned {len(values)} outputs for {count} inputs")
        return [self._encode(v) for v in values]


def _not_loaded(value: Any) -> Any:
    raise RuntimeError("the algorithm is not loaded yet")


def _bind(fn: Callable[..., Any], state: Any, has_load: bool) -> Callable[[Any], Any]:
    """``apply(input, state)`` gets the state; ``apply(input)`` is called as is."""
    count, required = _positional(fn)
    if count >= 2 and (has_load or required >= 2):
        return lambda value: fn(value, state)
    return fn

"""Many calls in flight, answers in order: the pipeline behind ``modelport stream``.

A video (or any long sequence of inputs) called one input at a time leaves the server idle
while each answer travels back and the next input is read. :func:`stream` keeps up to
``in_flight`` calls running at once, so the server overlaps and batches them (``apply_batch``),
and still yields the answers in input order. Reading stays bounded: at most ``in_flight``
inputs are held at a time, so a live camera is read only as fast as the server answers.

```python
from modelport.client import Client
from modelport.stream import stream

with Client() as client:
    algo = client.algo("admin/mobilenet")
    for answer in stream(algo, (p.read_bytes() for p in sorted(Path("frames").glob("*.jpg")))):
        print(answer.index, answer.result if answer.ok else answer.error)
```

A failing input (the algorithm raised, a timeout, the server busy) is an :class:`Answer` with
``error`` set and the stream goes on; a refusal that would fail every input (no such
algorithm, a bad key, an unreachable server) raises, after the calls in flight are settled.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from modelport.client.calls import AlgorithmError
from modelport.errors import Busy, RateLimited

if TYPE_CHECKING:
    from modelport.client.calls import Algo

T = TypeVar("T")

IN_FLIGHT = 4
INPUT_ERRORS: tuple[type[Exception], ...] = (AlgorithmError, Busy, RateLimited)
"""Errors that fail one input, not the stream."""


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """One input's outcome: ``result`` (the call's result) or ``error``."""

    index: int
    item: T
    result: Any = None
    error: dict[str, str] | None = None  # {"error_type", "message"}
    seconds: float = 0.0  # the call's round trip

    @property
    def ok(self) -> bool:
        return self.error is None


def ordered(
    call: Callable[[T], Any],
    items: Iterable[T],
    *,
    in_flight: int = IN_FLIGHT,
    input_errors: tuple[type[Exception], ...] = INPUT_ERRORS,
) -> Generator[Answer[T], None, None]:
    """``call(item)`` for every item, ``in_flight`` at a time in threads; answers in order.

    >>> [a.result for a in ordered(lambda x: x * 2, range(5), in_flight=3)]
    [0, 2, 4, 6, 8]
    """
    if in_flight < 1:
        raise ValueError(f"in_flight must be at least 1, got {in_flight}")
    pending: deque[tuple[int, T, Future[tuple[Any, float]]]] = deque()
    pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="modelport-stream")
    try:
        for index, item in enumerate(items):
            pending.append((index, item, pool.submit(_timed, call, item)))
            if len(pending) >= in_flight:
                yield _settle(*pending.popleft(), input_errors)
        while pending:
            yield _settle(*pending.popleft(), input_errors)
    finally:
        # Stopped early (an error, Ctrl-C, the caller broke off): drop what has not started,
        # let the running calls finish so no thread outlives the stream.
        for *_, future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def stream(
    algo: Algo,
    inputs: Iterable[T],
    *,
    in_flight: int = IN_FLIGHT,
    timeout: float | None = None,
) -> Generator[Answer[T], None, None]:
    """``algo.pipe(input)`` for every input, ``in_flight`` calls at a time; answers in order.

    Each :class:`Answer` keeps its input as ``item`` and the call's ``result``."""

    def call(data: T) -> Any:
        return algo.pipe(data, timeout=timeout).result

    return ordered(call, inputs, in_flight=in_flight)


def _timed(call: Callable[[T], Any], item: T) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call(item)
    return result, time.perf_counter() - started


def _settle(
    index: int,
    item: T,
    future: Future[tuple[Any, float]],
    input_errors: tuple[type[Exception], ...],
) -> Answer[T]:
    try:
        result, seconds = future.result()
    except input_errors as exc:
        return Answer(index, item, error=describe(exc))
    return Answer(index, item, result=result, seconds=seconds)


def describe(exc: BaseException) -> dict[str, str]:
    """An error as ``{"error_type", "message"}``, as the API reports an algorithm's errors."""
    if isinstance(exc, AlgorithmError):
        return {"error_type": exc.error_type, "message": exc.message}
    message = getattr(exc, "message", None)
    return {"error_type": type(exc).__name__, "message": str(message or exc)}

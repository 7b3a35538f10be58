"""Algorithms that fail, crash, hang or run out of memory: clear errors, fresh workers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from modelport.adapters.runtime.pool import LocalRunner
from modelport.core.calls import CallResult, ContentType
from modelport.core.ports import Deployment
from tests.adapters.runtime.harness import ALGORITHMS, deployment, request, run, value


async def still_serves(runner: LocalRunner, build: Deployment, ok: object = "ok") -> None:
    result = await runner.call(build, request(ok, ContentType.TEXT))
    assert value(result) == ok


def error_of(result: CallResult) -> tuple[str, str]:
    assert result.error is not None, result
    return result.error.error_type, result.error.message


def test_exceptions_come_back_as_errors() -> None:
    async def body(runner: LocalRunner) -> None:
        raises = deployment("raises.py:apply")
        plain = await runner.call(raises, request("boom", ContentType.TEXT))
        assert error_of(plain) == ("AlgorithmError", "bad input")
        assert plain.error is not None and 'File "raises.py"' in plain.error.stacktrace
        # frames are named from their import folders: no server directory reaches the caller
        assert str(ALGORITHMS) not in plain.error.stacktrace
        custom = await runner.call(raises, request("custom", ContentType.TEXT))
        assert error_of(custom) == ("InputError", "input must be a number")
        await still_serves(runner, raises)

    run(body)


def test_unserialisable_result() -> None:
    async def body(runner: LocalRunner) -> None:
        result = await runner.call(deployment("unserialisable.py:apply"), request(1))
        assert error_of(result) == ("AlgorithmError", "result is not JSON-serialisable: Matrix")

    run(body)


def test_failing_load_answers_every_call_with_loading_error() -> None:
    async def body(runner: LocalRunner) -> None:
        broken = deployment("load_fails.py:apply")
        for _ in range(2):
            result = await runner.call(broken, request(1))
            assert error_of(result) == ("LoadingError", "model file missing")
            assert result.error is not None and "in load" in result.error.stacktrace

    run(body)


def test_import_error_fails_calls_without_retrying_forever() -> None:
    async def body(runner: LocalRunner) -> None:
        broken = deployment("bad_import.py:apply")
        results = await asyncio.gather(*(runner.call(broken, request(i)) for i in range(3)))
        for result in results:
            assert error_of(result) == (
                "ImportError",
                "No module named 'nonexistent_module_for_tests'",
            )

    run(body)


def test_worker_dying_at_import_fails_waiting_calls_with_its_log(tmp_path: Path) -> None:
    async def body(runner: LocalRunner) -> None:
        broken = deployment("exits_on_import.py:apply")
        results = await asyncio.gather(*(runner.call(broken, request(i)) for i in range(3)))
        for result in results:
            assert error_of(result) == (
                "LoadingError",
                "the worker exited with code 5 while starting (see the worker log)",
            )
            assert result.error is not None
            assert "native library failed to initialise" in result.error.stacktrace

    run(body, log_dir=tmp_path)


def test_slow_start_times_out() -> None:
    async def body(runner: LocalRunner) -> None:
        result = await runner.call(deployment("slow_load.py:apply"), request(1))
        assert error_of(result) == ("LoadingError", "the worker did not become ready within 0.5 s")

    run(body, worker_start_timeout=0.5)


@pytest.mark.parametrize(
    ("entrypoint", "message"),
    [
        ("exits.py:apply", "the worker exited with code 3 during the call"),
        ("os_exit.py:apply", "the worker exited with code 7 during the call"),
        ("segfault.py:apply", "the worker died from signal SIGSEGV during the call"),
    ],
)
def test_a_crash_fails_the_call_and_the_next_gets_a_fresh_worker(
    entrypoint: str, message: str
) -> None:
    async def body(runner: LocalRunner) -> None:
        build = deployment(entrypoint)
        await still_serves(runner, build)
        trigger = "crash" if "segfault" in entrypoint else "exit"
        error_type, text = error_of(await runner.call(build, request(trigger, ContentType.TEXT)))
        assert error_type == "SystemExit" and text.startswith(message)
        await still_serves(runner, build)

    run(body)


def test_calls_behind_a_crash_are_run_by_the_next_worker() -> None:
    async def body(runner: LocalRunner) -> None:
        build = deployment("exits.py:apply")
        inputs = ["exit", "a", "b"]  # sent in one frame while the worker starts
        results = await asyncio.gather(
            *(runner.call(build, request(x, ContentType.TEXT)) for x in inputs)
        )
        assert error_of(results[0])[0] == "SystemExit"
        assert [value(r) for r in results[1:]] == ["a", "b"]

    run(body)


def test_timeout_kills_the_worker_and_requeues_calls_not_started() -> None:
    async def body(runner: LocalRunner) -> None:
        build = deployment("sleeps.py:apply")
        start = time.monotonic()
        hung, after = await asyncio.gather(
            runner.call(build, request(30, timeout=0.3)), runner.call(build, request(0))
        )
        assert time.monotonic() - start < 5
        assert error_of(hung) == (
            "TimeoutError",
            "call exceeded its 0.3 s timeout; the worker was restarted",
        )
        assert hung.duration >= 0.3
        assert value(after) == 0

    run(body)


def test_a_timeout_counts_time_spent_queued_and_a_call_that_never_started_harms_nothing() -> None:
    """One worker busy for 2 s: a call with a 0.5 s timeout fails at 0.5 s without starting,
    and the worker goes on; a 1.5 s call queued behind a 1 s one, with a 2 s timeout, is
    stopped 2 s after it was made, not 2 s after it started."""

    async def body(runner: LocalRunner) -> None:
        build = deployment("sleeps.py:apply", replicas=1)
        await runner.call(build, request(0))  # started
        start = time.monotonic()
        busy = asyncio.ensure_future(runner.call(build, request(2)))
        await asyncio.sleep(0.05)
        queued = await runner.call(build, request(0, timeout=0.5))
        assert 0.45 < time.monotonic() - start < 1.5
        assert error_of(queued)[0] == "TimeoutError"
        assert "waiting for a worker" in error_of(queued)[1]
        assert value(await busy) == 2  # the same worker: nothing was killed
        first = asyncio.ensure_future(runner.call(build, request(1)))
        await asyncio.sleep(0.05)
        start = time.monotonic()
        second = await runner.call(build, request(1.5, timeout=2))
        assert error_of(second)[0] == "TimeoutError"
        assert time.monotonic() - start < 2.4  # 2 s from the call, not 1 + 2
        assert value(await first) == 1

    run(body)


def test_a_workers_start_does_not_count_against_a_calls_timeout() -> None:
    async def body(runner: LocalRunner) -> None:
        build = deployment("loads_for_a_second.py:apply")
        assert value(await runner.call(build, request(7, timeout=0.5))) == 7

    run(body)


def test_running_out_of_memory() -> None:
    async def body(runner: LocalRunner) -> None:
        hog = deployment("memory_hog.py:apply", memory=256 * 2**20)
        await still_serves(runner, hog)
        hogged, after = await asyncio.gather(
            runner.call(hog, request("hog", ContentType.TEXT)),
            runner.call(hog, request("after", ContentType.TEXT)),
        )
        assert error_of(hogged)[0] == "OutOfMemoryError"
        assert value(after) == "after"
        await still_serves(runner, hog)

    run(body)

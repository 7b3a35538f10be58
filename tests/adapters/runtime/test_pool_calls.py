"""Calls that succeed through real worker processes."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import time
from pathlib import Path

import pytest

from modelport.adapters.runtime.pool import LocalRunner
from modelport.core.calls import CallRequest, ContentType
from modelport.core.manifest import Batching
from modelport.core.ports import Deployment
from modelport.errors import Busy
from tests.adapters.runtime.harness import deployment, interpreters, request, run, value


def test_json_text_and_binary_inputs() -> None:
    async def body(runner: LocalRunner) -> None:
        echo = deployment("echo.py:apply")
        result = await runner.call(echo, request({"a": [1, 2]}))
        assert result.content_type is ContentType.JSON
        assert result.result_json == b'{"a":[1,2]}'
        assert result.duration >= 0 and result.stdout is None
        text = await runner.call(echo, request("héllo", ContentType.TEXT))
        assert (text.content_type, value(text)) == (ContentType.TEXT, "héllo")
        binary = await runner.call(
            deployment("binary.py:apply"), request(b"\x00ab", ContentType.BINARY)
        )
        assert binary.content_type is ContentType.BINARY
        assert base64.b64decode(value(binary)) == b"ba\x00"

    run(body)


def test_entrypoint_in_a_subfolder_imports_its_neighbours() -> None:
    async def body(runner: LocalRunner) -> None:
        nested = deployment("nested/src/algorithm.py:apply")
        assert value(await runner.call(nested, request(21))) == 42

    run(body)


@pytest.mark.parametrize("python", interpreters() or [None], ids=str)
def test_workers_run_on_older_and_newer_pythons(python: Path | None) -> None:
    if python is None:
        pytest.skip("no other Python interpreters found")

    async def body(runner: LocalRunner) -> None:
        build = deployment("stateful.py:apply")
        build = Deployment(build.key, python, build.source_dir, build.manifest)
        assert value(await runner.call(build, request({"x": 3}))) == {"y": 6}
        batch = deployment("batch.py:apply", batch=Batching(max_size=4, max_wait_ms=0))
        batch = Deployment(batch.key, python, batch.source_dir, batch.manifest)
        results = await asyncio.gather(*(runner.call(batch, request(i)) for i in range(4)))
        assert [value(r)["y"] for r in results] == [0, 2, 4, 6]
        assert runner.check(build).ok

    run(body)


def test_user_modules_may_share_names_with_the_worker_s_own() -> None:
    async def body(runner: LocalRunner) -> None:
        shadowing = deployment("shadowing/algorithm.py:apply")
        assert value(await runner.call(shadowing, request(1))) == "the user's own program module"

    run(body)


def test_blas_threads_work_under_the_memory_limit() -> None:
    pytest.importorskip("numpy")

    async def body(runner: LocalRunner) -> None:
        blas = deployment("blas.py:apply", memory=512 * 2**20)
        assert value(await runner.call(blas, request(3))) == 3.0

    run(body, worker_threads=2)


def test_load_runs_once_and_apply_gets_its_state() -> None:
    async def body(runner: LocalRunner) -> None:
        stateful = deployment("stateful.py:apply")
        for x in (1, 2):
            assert value(await runner.call(stateful, request({"x": x}))) == {"y": 2 * x}

    run(body)


def test_dcf_handler_class_and_function() -> None:
    async def body(runner: LocalRunner) -> None:
        handler = deployment("handler.py:Handler")
        result = await runner.call(handler, request("abc", ContentType.TEXT))
        assert result.content_type is ContentType.BINARY  # reversed req.input is bytes
        assert base64.b64decode(value(result)) == b"cba"
        raw = await runner.call(handler, request({"k": 1}))
        assert base64.b64decode(value(raw)) == b'{"k": 1}'[::-1]  # the JSON text as sent
        function = deployment("dcf_function.py:Handler")
        assert value(await runner.call(function, request("abc", ContentType.TEXT))) == "ABC"

    run(body)


def test_stdout_is_captured_only_when_asked() -> None:
    async def body(runner: LocalRunner) -> None:
        prints = deployment("prints.py:apply")
        quiet = await runner.call(prints, request([1]))
        assert (value(quiet), quiet.stdout) == ([1], None)
        loud = await runner.call(prints, request([2], stdout=True))
        assert value(loud) == [2]
        assert loud.stdout == "hello from apply\nto stderr\n"

    run(body)


def test_print_output_goes_to_the_worker_log(tmp_path: Path) -> None:
    async def body(runner: LocalRunner) -> None:
        assert value(await runner.call(deployment("prints.py:apply"), request(1))) == 1

    run(body, log_dir=tmp_path)
    (log,) = tmp_path.iterdir()
    assert "hello from apply" in log.read_text()


@pytest.mark.parametrize("replicas", [1, 2])
def test_concurrent_calls_each_get_their_own_answer(replicas: int) -> None:
    async def body(runner: LocalRunner) -> None:
        echo = deployment("echo.py:apply", replicas=replicas)
        results = await asyncio.gather(*(runner.call(echo, request({"i": i})) for i in range(50)))
        assert [value(r) for r in results] == [{"i": i} for i in range(50)]
        assert sum(runner.workers().values()) == replicas

    run(body)


def test_apply_batch_gets_batches_under_load() -> None:
    async def body(runner: LocalRunner) -> None:
        batch = deployment("batch.py:apply", batch=Batching(max_size=8, max_wait_ms=20))
        results = await asyncio.gather(*(runner.call(batch, request(i)) for i in range(40)))
        assert [value(r)["y"] for r in results] == [2 * i for i in range(40)]
        sizes = value(results[-1])["sizes"]
        assert max(sizes) > 1 and max(sizes) <= 8
        assert sum(sizes) == 40

    run(body)


def test_a_single_call_to_a_batch_algorithm_uses_apply() -> None:
    async def body(runner: LocalRunner) -> None:
        batch = deployment("batch.py:apply", batch=Batching(max_size=8, max_wait_ms=0))
        assert value(await runner.call(batch, request(3)))["y"] == 6

    run(body)


def test_full_queue_is_busy() -> None:
    async def body(runner: LocalRunner) -> None:
        sleeps = deployment("sleeps.py:apply", queue=2)
        waiting = [asyncio.ensure_future(runner.call(sleeps, request(0.05))) for _ in range(2)]
        await asyncio.sleep(0)  # both queued while the worker starts
        with pytest.raises(Busy, match=r"tests/sleeps is busy: 2 calls"):
            await runner.call(sleeps, request(0))
        assert [value(r) for r in await asyncio.gather(*waiting)] == [0.05, 0.05]
        assert value(await runner.call(sleeps, request(0))) == 0

    run(body)


def test_a_caller_that_gives_up_does_not_disturb_others() -> None:
    async def body(runner: LocalRunner) -> None:
        sleeps = deployment("sleeps.py:apply")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(runner.call(sleeps, request(0.3)), 0.05)
        assert value(await runner.call(sleeps, request(0))) == 0
        assert json.loads((await runner.call(sleeps, request(0.01))).result_json) == 0.01

    run(body)


def test_a_queued_call_whose_caller_left_is_dropped_unrun() -> None:
    """A call waiting behind another is dropped when its caller goes; one already running
    is not touched. The dropped call would sleep 5 s: the call behind it shows it never ran."""

    async def body(runner: LocalRunner) -> None:
        sleeps = deployment("sleeps.py:apply", replicas=1)
        assert value(await runner.call(sleeps, request(0))) == 0  # the worker is up
        left = asyncio.Event()

        async def gone() -> bool:
            await left.wait()
            return True

        def leaving(seconds: float) -> CallRequest:
            return dataclasses.replace(request(seconds), caller_gone=gone)

        started = time.monotonic()
        running = asyncio.ensure_future(runner.call(sleeps, leaving(0.5)))
        await asyncio.sleep(0.1)  # it runs
        queued = asyncio.ensure_future(runner.call(sleeps, leaving(5)))
        behind = asyncio.ensure_future(runner.call(sleeps, request(0)))
        await asyncio.sleep(0.1)
        left.set()  # both callers leave: the running call goes on, the queued one is dropped
        dropped = await queued
        assert dropped.error is not None and dropped.error.error_type == "CallerGone"
        assert value(await running) == 0.5
        assert value(await behind) == 0
        assert time.monotonic() - started < 3  # not after the dropped call's 5 s

    run(body)

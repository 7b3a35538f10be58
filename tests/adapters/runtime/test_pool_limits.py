"""What a worker may send back is bounded: results and captured output, raw frames, and what
it prints to its log."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from modelport.adapters.runtime.pool import LocalRunner
from tests.adapters.runtime.harness import deployment, request, run, value


def test_a_result_over_the_limit_is_an_error_and_the_worker_goes_on() -> None:
    async def body(runner: LocalRunner) -> None:
        build = deployment("big_output.py:apply")
        result = await runner.call(build, request({"size": 5000}))
        assert result.error is not None
        assert result.error.error_type == "ResultTooLarge"
        assert "over this server's limit of 1000" in result.error.message
        assert value(await runner.call(build, request({"size": 10}))) == "x" * 10

    run(body, max_result_bytes=1000)


def test_captured_output_keeps_its_start_and_says_what_was_dropped() -> None:
    async def body(runner: LocalRunner) -> None:
        build = deployment("big_output.py:apply")
        result = await runner.call(build, request({"print": 100_000}, stdout=True))
        assert result.stdout is not None
        assert result.stdout.startswith("y" * 500)
        assert "99501 more characters of output dropped: the limit is 500" in result.stdout

    run(body, max_stdout_chars=500)


def test_a_forged_frame_is_refused_before_it_is_read() -> None:
    async def body(runner: LocalRunner) -> None:
        build = deployment("big_output.py:apply", timeout=30.0)
        started = time.monotonic()
        result = await runner.call(build, request({"forge": True}, timeout=30.0))
        assert time.monotonic() - started < 10  # not the call's timeout, not a gigabyte later
        assert result.error is not None and result.error.error_type == "ResultTooLarge"
        assert "frame of 1073741826 bytes" in result.error.message
        assert value(await runner.call(build, request({"size": 3}))) == "xxx"  # a new worker

    run(body, max_result_bytes=1000, max_stdout_chars=100)


def test_a_worker_log_is_capped_with_one_rotation(tmp_path: Path) -> None:
    """A build's workers print 48 MiB in all into a log capped at 1 MiB: at most the log and
    one rotated file stay, each within the cap, and the latest output is in them."""

    async def body(runner: LocalRunner) -> None:
        build = deployment("big_output.py:apply", replicas=2)
        calls = [runner.call(build, request({"print": 4 << 20})) for _ in range(12)]
        assert all(r.error is None for r in await asyncio.gather(*calls))
        assert value(await runner.call(build, request({"print": 5, "size": 1}))) == "x"

    run(body, log_dir=tmp_path, max_log_bytes=2**20)
    logs = sorted(tmp_path.iterdir())
    assert [p.name.endswith((".log", ".log.1")) for p in logs] == [True, True]
    assert all(p.stat().st_size <= 2**20 for p in logs), [p.stat().st_size for p in logs]
    assert logs[0].read_bytes().endswith(b"yyyyy\n")  # the last call's output, kept


def test_an_import_check_keeps_the_end_of_what_it_printed() -> None:
    async def body(runner: LocalRunner) -> None:
        check = runner.check(deployment("prints_on_import.py:apply"))
        assert check.ok
        assert len(check.log) <= 2**20 and check.log.endswith("the last line\n")

    run(body)

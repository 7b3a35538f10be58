"""Starting, reaping and stopping workers; their environment; the import check."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from modelport.adapters.runtime.pool import LocalRunner
from modelport.core.ports import CheckResult, Deployment
from tests.adapters.runtime.harness import ALGORITHMS, children, deployment, request, run, value


def test_workers_start_lazily_and_are_counted() -> None:
    async def body(runner: LocalRunner) -> None:
        assert runner.workers() == {"starting": 0, "idle": 0, "busy": 0}
        sleeps = deployment("sleeps.py:apply")
        call = asyncio.ensure_future(runner.call(sleeps, request(0.2)))
        await asyncio.sleep(0)
        assert runner.workers()["starting"] == 1
        while runner.workers()["busy"] == 0:
            await asyncio.sleep(0.01)
        await call
        assert runner.workers() == {"starting": 0, "idle": 1, "busy": 0}

    run(body)


def test_idle_workers_are_reaped() -> None:
    async def body(runner: LocalRunner) -> None:
        others = children()  # a session's live gateway has workers of its own
        echo = deployment("echo.py:apply")
        assert value(await runner.call(echo, request(1))) == 1
        assert runner.workers()["idle"] == 1
        for _ in range(100):
            await asyncio.sleep(0.05)
            if runner.workers()["idle"] == 0 and not children() - others:
                break
        assert runner.workers()["idle"] == 0 and not children() - others
        assert value(await runner.call(echo, request(2))) == 2  # a fresh worker

    run(body, worker_idle_ttl=0.2)


def test_stop_shuts_down_one_build() -> None:
    async def body(runner: LocalRunner) -> None:
        others = children()
        echo, stateful = deployment("echo.py:apply"), deployment("stateful.py:apply")
        await runner.call(echo, request(1))
        await runner.call(stateful, request({"x": 1}))
        await runner.stop(echo.key)
        assert runner.workers()["idle"] == 1 and len(children() - others) == 1
        assert value(await runner.call(echo, request(3))) == 3

    run(body)


def test_stop_lets_workers_exit_cleanly(tmp_path: Path) -> None:
    marker = tmp_path / "marker"

    async def body(runner: LocalRunner) -> None:
        build = deployment("atexit_marker.py:apply", env={"MARKER": str(marker)})
        assert value(await runner.call(build, request(1))) == 1
        await runner.stop(build.key)
        assert marker.read_text() == "clean exit"  # a Shutdown frame, not SIGKILL

    run(body)


def test_a_runner_serves_one_event_loop() -> None:
    others = children()
    runner = LocalRunner(worker_idle_ttl=60, worker_start_timeout=20, worker_threads=1)
    echo = deployment("echo.py:apply")

    async def first() -> None:
        assert value(await runner.call(echo, request(1))) == 1

    async def other() -> None:
        with pytest.raises(RuntimeError, match="one event loop"):
            await runner.call(deployment("stateful.py:apply"), request({"x": 1}))

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(first())
        asyncio.run(other())
        loop.run_until_complete(runner.close())
    finally:
        loop.close()
    assert not children() - others


def test_close_while_starting_and_running_fails_calls_and_leaves_no_process() -> None:
    async def body(runner: LocalRunner) -> None:
        others = children()
        sleeps, slow = deployment("sleeps.py:apply"), deployment("slow_load.py:apply")
        running = [asyncio.ensure_future(runner.call(sleeps, request(30))) for _ in range(3)]
        starting = asyncio.ensure_future(runner.call(slow, request(1)))
        while runner.workers()["busy"] < 1:
            await asyncio.sleep(0.01)
        assert runner.workers()["starting"] == 1
        await runner.close()
        for result in await asyncio.gather(*running, starting):
            assert result.error is not None and result.error.error_type == "SystemExit"
            assert result.error.message == "the algorithm's workers were stopped"
        assert not children() - others

    run(body, stop_grace=0.2)


def test_workers_get_a_scrubbed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPORT_DATABASE_URL", "postgresql://secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")

    async def body(runner: LocalRunner) -> None:
        build = deployment("environment.py:apply", env={"MODEL_SIZE": "small"})
        env = value(await runner.call(build, request(None)))
        assert "MODELPORT_DATABASE_URL" not in env and "AWS_SECRET_ACCESS_KEY" not in env
        assert env["MODEL_SIZE"] == "small" and env["MODELPORT_API"] == "http://gw"
        assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "2"
        assert set(env) <= {
            "PATH", "HOME", "LANG", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MODEL_SIZE",
            "MODELPORT_API", "LC_CTYPE",
        }  # fmt: skip

    run(body, worker_threads=2, env={"MODELPORT_API": "http://gw"})


def test_missing_interpreter_fails_the_call() -> None:
    async def body(runner: LocalRunner) -> None:
        good = deployment("echo.py:apply")
        broken = Deployment(good.key, Path("/nonexistent/python"), ALGORITHMS, good.manifest)
        result = await runner.call(broken, request(1))
        assert result.error is not None and result.error.error_type == "LoadingError"
        assert result.error.message.startswith("cannot start a worker:")

    run(body)


def checker() -> LocalRunner:
    return LocalRunner(worker_idle_ttl=1, worker_start_timeout=20, worker_threads=1)


def test_check_imports_without_loading() -> None:
    assert checker().check(deployment("echo.py:apply")) == CheckResult(True, "", False)
    good = checker().check(deployment("load_fails.py:apply"))
    assert good.ok and not good.batchable  # load() is not run by the check
    assert checker().check(deployment("batch.py:apply")).batchable


def test_check_reports_import_errors_with_output() -> None:
    bad = checker().check(deployment("bad_import.py:apply"))
    assert not bad.ok
    assert "ModuleNotFoundError: No module named 'nonexistent_module_for_tests'" in bad.log
    missing = checker().check(deployment("echo.py:missing"))
    assert not missing.ok and "echo.py has no callable missing" in missing.log
    died = checker().check(deployment("exits_on_import.py:apply"))
    assert not died.ok and "exited with code 5" in died.log


def test_check_with_a_missing_interpreter() -> None:
    good = deployment("echo.py:apply")
    broken = Deployment(good.key, Path(sys.executable + "-missing"), ALGORITHMS, good.manifest)
    result = checker().check(broken)
    assert not result.ok and "cannot start a worker" in result.log

"""The in-process fake of the Runner port decodes and encodes exactly like real workers."""

from __future__ import annotations

import asyncio
import base64

from modelport.adapters.runtime.inprocess import InProcessRunner
from modelport.core.calls import ContentType
from tests.adapters.runtime.harness import deployment, request, value


def test_calls_run_in_process() -> None:
    async def main() -> None:
        runner = InProcessRunner()
        assert value(await runner.call(deployment("stateful.py:apply"), request({"x": 2}))) == {
            "y": 4
        }
        handler = await runner.call(
            deployment("handler.py:Handler"), request("ab", ContentType.TEXT)
        )
        assert base64.b64decode(value(handler)) == b"ba"
        loud = await runner.call(deployment("prints.py:apply"), request(1, stdout=True))
        assert loud.stdout == "hello from apply\nto stderr\n"
        assert runner.workers() == {"starting": 0, "idle": 3, "busy": 0}
        await runner.stop(deployment("prints.py:apply").key)
        assert runner.workers()["idle"] == 2
        await runner.close()

    asyncio.run(main())


def test_errors_and_timeouts() -> None:
    async def main() -> None:
        runner = InProcessRunner()
        raised = await runner.call(
            deployment("raises.py:apply"), request("custom", ContentType.TEXT)
        )
        assert raised.error is not None and raised.error.error_type == "InputError"
        loading = await runner.call(deployment("load_fails.py:apply"), request(1))
        assert loading.error is not None and loading.error.error_type == "LoadingError"
        slow = await runner.call(deployment("sleeps.py:apply"), request(0.5, timeout=0.05))
        assert slow.error is not None and slow.error.error_type == "TimeoutError"
        await runner.close()

    asyncio.run(main())


def test_check() -> None:
    runner = InProcessRunner()
    assert runner.check(deployment("batch.py:apply")).batchable
    bad = runner.check(deployment("bad_import.py:apply"))
    assert not bad.ok and "nonexistent_module_for_tests" in bad.log

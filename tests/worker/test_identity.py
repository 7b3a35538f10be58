"""Each call runs as its caller: the call's token is the API key while it runs, and only then."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelport.adapters.runtime.pool import LocalRunner
from modelport.core.calls import ContentType
from modelport.core.manifest import Batching
from modelport.core.ports import Deployment
from modelport.worker import main as worker
from modelport.worker.identity import Identity
from modelport.worker.program import Program
from modelport.worker.protocol import CallRow, Kind, read_frame, read_results
from tests.adapters.runtime.fake_api import FakeApi
from tests.adapters.runtime.harness import (
    ALGORITHMS,
    bare_pythons,
    deployment,
    request,
    run,
    value,
)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi() as fake:
        yield fake


def test_each_call_sees_its_own_token_and_no_key_outlives_it() -> None:
    async def body(runner: LocalRunner) -> None:
        identity = deployment("identity.py:apply")
        assert value(await runner.call(identity, request(0, token="tok-a"))) == ["tok-a"] * 2
        assert value(await runner.call(identity, request(0))) == [None, None]
        changed = await runner.call(identity, request("set", ContentType.TEXT, token="tok-b"))
        assert value(changed) == ["tok-b", "set by the algorithm"]
        assert value(await runner.call(identity, request(0))) == [None, None]

    run(body)


def test_calls_with_different_tokens_in_one_frame_keep_their_own() -> None:
    async def body(runner: LocalRunner) -> None:
        identity = deployment("identity.py:apply")
        await runner.call(identity, request(0))  # started, so the rest queue up together
        calls = [runner.call(identity, request(i, token=f"tok-{i}")) for i in range(20)]
        results = await asyncio.gather(*calls)
        assert [value(r)[0] for r in results] == [f"tok-{i}" for i in range(20)]

    run(body)


def test_apply_batch_runs_one_caller_at_a_time() -> None:
    async def body(runner: LocalRunner) -> None:
        batch = deployment("identity_batch.py:apply", batch=Batching(max_size=8, max_wait_ms=20))
        tokens = [f"tok-{i % 3}" if i % 4 else "" for i in range(48)]
        calls = [runner.call(batch, request(i, token=t)) for i, t in enumerate(tokens)]
        results = [value(r) for r in await asyncio.gather(*calls)]
        assert [r["key"] for r in results] == [t or None for t in tokens]
        assert max(r["batch"] for r in results) > 1
        assert value(await runner.call(batch, request(0)))["key"] is None

    run(body)


class Sink:
    """A socket that keeps what the worker sends."""

    def __init__(self) -> None:
        self.sent = b""

    def sendall(self, data: bytes) -> None:
        self.sent += data


def test_a_worker_splits_a_batch_frame_by_token() -> None:
    """Another runner may send one frame with several callers: one apply_batch each."""
    program = Program(str(ALGORITHMS), "identity_batch.py:apply", module_name="_t_identity")
    program.load()
    tokens = ["a", "b", "a", "", "b", "a"]
    calls = [(CallRow(i, "json", False, 1, t), b"1") for i, t in enumerate(tokens)]
    sink = Sink()
    assert worker._answer(sink, program, Identity(), calls)  # type: ignore[arg-type]
    frame = read_frame(io.BytesIO(sink.sent))
    assert frame is not None and frame.kind == Kind.RESULTS
    answers = list(read_results(frame))
    assert [row.id for row, _ in answers] == list(range(6))  # one RESULTS frame, in frame order
    results = [body for _, body in answers]
    assert results == [
        b'{"key":"a","batch":3}',
        b'{"key":"b","batch":2}',
        b'{"key":"a","batch":3}',
        b'{"key":null,"batch":1}',
        b'{"key":"b","batch":2}',
        b'{"key":"a","batch":3}',
    ]


def test_tokens_stay_out_of_logs_and_captured_output(tmp_path: Path) -> None:
    async def body(runner: LocalRunner) -> None:
        prints = deployment("prints.py:apply")
        result = await runner.call(prints, request(1, stdout=True, token="tok-secret-123"))
        assert value(result) == 1
        assert result.stdout is not None and "tok-secret-123" not in result.stdout
        assert value(await runner.call(prints, request(2, token="tok-secret-123"))) == 2

    run(body, log_dir=tmp_path)
    (log,) = tmp_path.iterdir()
    assert "hello from apply" in log.read_text()
    assert "tok-secret-123" not in log.read_text()


def has_modelport(python: Path) -> bool:
    probe = [str(python), "-s", "-c", "import modelport"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


@pytest.mark.parametrize("python", bare_pythons(), ids=lambda p: p.parent.parent.name)
def test_user_code_imports_the_sdk_and_acts_as_the_caller(
    api: FakeApi, python: Path, tmp_path: Path
) -> None:
    if has_modelport(python):
        pytest.skip(f"{python} has modelport installed, which wins over the worker's SDK")
    api.put(".my/c/greeting.txt", b"hello alice", caller="tok-alice")
    api.put(".my/c/greeting.txt", b"hello bob", caller="tok-bob")
    uri = "data://.my/c/greeting.txt"

    async def body(runner: LocalRunner) -> None:
        build = deployment("uses_sdk.py:apply")
        build = Deployment(build.key, python, build.source_dir, build.manifest)
        assert runner.check(build).ok  # the import check finds the SDK too
        alice = value(await runner.call(build, request(uri, ContentType.TEXT, token="tok-alice")))
        bob = value(await runner.call(build, request(uri, ContentType.TEXT, token="tok-bob")))
        assert (alice["text"], alice["echoed"]) == ("hello alice", "hello alice")
        assert (bob["text"], bob["echoed"]) == ("hello bob", "hello bob")
        assert Path(alice["sdk"]) == Path(worker.SDK, "__init__.py")
        assert Path(alice["path"]).is_relative_to(tmp_path)
        assert alice["path"] != bob["path"]

    run(body, env={"MODELPORT_API": api.url, "MODELPORT_DATA_CACHE": str(tmp_path)})
    assert [(s.method, s.authorization) for s in api.seen] == [
        ("HEAD", "Bearer tok-alice"),
        ("GET", "Bearer tok-alice"),
        ("POST", "Bearer tok-alice"),
        ("HEAD", "Bearer tok-bob"),
        ("GET", "Bearer tok-bob"),
        ("POST", "Bearer tok-bob"),
    ]


@pytest.mark.skipif(
    importlib.util.find_spec("Algorithmia") is None, reason="the Algorithmia client is absent"
)
def test_the_algorithmia_client_needs_no_arguments_in_a_worker(api: FakeApi) -> None:
    async def body(runner: LocalRunner) -> None:
        build = deployment("algorithmia_client.py:apply")
        for token in ("tok-alice", "tok-bob"):
            result = await runner.call(build, request({"x": 1}, token=token))
            assert value(result) == {"x": 1}

    run(body, env={"ALGORITHMIA_API": api.url})
    # The official client sends the key as is: the gateway must take the token that way too.
    assert [(s.path, s.authorization) for s in api.seen] == [
        ("/v1/algo/demo/echo", "tok-alice"),
        ("/v1/algo/demo/echo", "tok-bob"),
    ]


def test_load_runs_with_a_key_minted_for_each_worker_start() -> None:
    """A replacement worker started later gets a fresh load() key, not the first one."""
    minted: list[str] = []

    def mint(d: Deployment) -> str:
        minted.append(f"load-key-{len(minted)}")
        return minted[-1]

    async def body(runner: LocalRunner) -> None:
        d = deployment("load_identity.py:apply")
        first = value(await runner.call(d, request("x")))
        assert first == {"load_key": "load-key-0", "now": None}  # gone after load()
        crashed = await runner.call(d, request("exit"))
        assert crashed.error is not None and crashed.error.error_type == "SystemExit"
        second = value(await runner.call(d, request("x", token="caller")))
        assert second == {"load_key": "load-key-1", "now": "caller"}

    run(body, load_key=mint)

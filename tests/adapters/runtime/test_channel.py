"""Each worker's channel acts as the right caller: the owner while it starts, each call's
caller while that call runs, no one in between; and no token ever enters a worker."""

from __future__ import annotations

import array
import asyncio
import importlib.util
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelport.adapters.runtime.channel import HEAD_LIMIT, Channel
from modelport.adapters.runtime.pool import LocalRunner
from modelport.core.calls import ContentType
from modelport.core.manifest import Batching
from modelport.core.ports import Deployment
from modelport.worker import main as worker
from tests.adapters.runtime.fake_api import Answer, FakeApi, Seen, echo
from tests.adapters.runtime.harness import bare_pythons, deployment, request, run, value


def who(seen: Seen) -> Answer:
    """``/v1/algo/demo/whoami`` answers with how the request reached it; others echo."""
    if not seen.path.endswith("/whoami"):
        return echo(seen)
    result = {"authorization": seen.authorization, "proof": seen.proof}
    body = json.dumps({"result": result, "metadata": {"content_type": "json"}}).encode()
    return 200, {"Content-Type": "application/json"}, body


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi(answer=who) as fake:
        yield fake


def test_each_call_acts_as_its_caller_and_the_worker_holds_no_token(api: FakeApi) -> None:
    async def body(runner: LocalRunner) -> None:
        d = deployment("identity.py:apply")
        first = value(await runner.call(d, request(0, token="tok-a")))
        alone = value(await runner.call(d, request(0)))
        second = value(await runner.call(d, request(0, token="tok-b")))
        assert [r["who"]["authorization"] for r in (first, alone, second)] == [
            "Bearer tok-a",
            None,  # a call with no caller's token acts as no one
            "Bearer tok-b",
        ]
        # what the worker holds is its channel's key, the same for every call: no token
        key = first["keys"][0]
        assert key.startswith("mpc_") and first["keys"] == [key, key] == second["keys"]
        # the channel's own proof, not the header the algorithm forged
        assert {r["who"]["proof"] for r in (first, alone, second)} == {"the-proof"}

    run(body, gateway=api.gateway("the-proof"))


def test_a_key_in_the_code_acts_as_itself_and_no_key_as_no_one(api: FakeApi) -> None:
    async def body(runner: LocalRunner) -> None:
        d = deployment("identity.py:apply")
        own = value(await runner.call(d, request("own", token="tok-a")))
        assert own["authorization"] == "Bearer mp_written_in_the_code"
        none = value(await runner.call(d, request("none", token="tok-a")))
        assert none["authorization"] is None

    run(body, gateway=api.gateway())


def test_a_request_made_after_its_call_acts_as_no_one(api: FakeApi) -> None:
    async def body(runner: LocalRunner) -> None:
        d = deployment("identity.py:apply")
        assert value(await runner.call(d, request("later", token="tok-a"))) is None
        await asyncio.sleep(1.0)  # the thread asks once the call is over
        seen = value(await runner.call(d, request("seen", token="tok-b")))
        assert seen["authorization"] is None

    run(body, gateway=api.gateway())


def test_calls_of_many_callers_queued_together_each_act_as_their_own(api: FakeApi) -> None:
    async def body(runner: LocalRunner) -> None:
        d = deployment("identity.py:apply")
        await runner.call(d, request(0))  # started, so the rest queue up together
        calls = [runner.call(d, request(i, token=f"tok-{i % 3}")) for i in range(30)]
        results = await asyncio.gather(*calls)
        got = [value(r)["who"]["authorization"] for r in results]
        assert got == [f"Bearer tok-{i % 3}" for i in range(30)]

    run(body, gateway=api.gateway())


def test_apply_batch_runs_one_caller_at_a_time(api: FakeApi) -> None:
    async def body(runner: LocalRunner) -> None:
        batch = deployment("identity_batch.py:apply", batch=Batching(max_size=8, max_wait_ms=20))
        tokens = [f"tok-{i % 3}" if i % 4 else "" for i in range(48)]
        calls = [runner.call(batch, request(i, token=t)) for i, t in enumerate(tokens)]
        results = [value(r) for r in await asyncio.gather(*calls)]
        assert [r["who"] for r in results] == [f"Bearer {t}" if t else None for t in tokens]
        assert max(r["batch"] for r in results) > 1

    run(body, gateway=api.gateway())


def test_load_acts_as_the_owner_with_a_token_minted_for_each_start(api: FakeApi) -> None:
    """A replacement worker started later gets a fresh token, not the first one."""
    minted: list[str] = []

    def mint(d: Deployment) -> str:
        minted.append(f"load-{len(minted)}")
        return minted[-1]

    async def body(runner: LocalRunner) -> None:
        d = deployment("load_identity.py:apply")
        first = value(await runner.call(d, request("x")))
        assert first == {"load": "Bearer load-0", "now": None}  # the owner's token is gone
        crashed = await runner.call(d, request("exit"))
        assert crashed.error is not None and crashed.error.error_type == "SystemExit"
        second = value(await runner.call(d, request("x", token="caller")))
        assert second == {"load": "Bearer load-1", "now": "Bearer caller"}

    run(body, load_key=mint, gateway=api.gateway())


def test_tokens_stay_out_of_logs_and_captured_output(api: FakeApi, tmp_path: Path) -> None:
    async def body(runner: LocalRunner) -> None:
        prints = deployment("prints.py:apply")
        result = await runner.call(prints, request(1, stdout=True, token="tok-secret-123"))
        assert value(result) == 1
        assert result.stdout is not None and "tok-secret-123" not in result.stdout
        assert value(await runner.call(prints, request(2, token="tok-secret-123"))) == 2

    run(body, log_dir=tmp_path, gateway=api.gateway())
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

    run(body, env={"MODELPORT_DATA_CACHE": str(tmp_path)}, gateway=api.gateway())
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
def test_an_algorithmia_client_made_at_import_acts_as_the_owner_then_each_caller(
    api: FakeApi,
) -> None:
    """The seed tutorials' pattern, unmodified: ``client = Algorithmia.client()`` and the
    model read at import, the same client used in ``apply``."""
    api.put(".my/models/model.txt", b"the owner's model", caller="owner")

    async def body(runner: LocalRunner) -> None:
        build = deployment("algorithmia_at_import.py:apply")
        check = runner.check(build)
        assert check.ok, check.log  # the import check reads the model as the owner too
        for token in ("tok-alice", "tok-bob"):
            result = value(await runner.call(build, request({"x": 1}, token=token)))
            assert result == {"model": "the owner's model", "echoed": {"x": 1}}

    started = time.monotonic()
    run(body, load_key=lambda d: "owner", gateway=api.gateway())
    assert time.monotonic() - started < 30
    reads = [s.authorization for s in api.seen if s.path.startswith("/v1/data/")]
    assert len(reads) >= 2 and set(reads) == {"Bearer owner"}  # the check's, the worker's
    calls = [s.authorization for s in api.seen if s.path.startswith("/v1/algo/")]
    assert calls == ["Bearer tok-alice", "Bearer tok-bob"]


def _through_channel(api: FakeApi, head: bytes) -> bytes:
    """Send ``head`` over a connection handed to a channel as a worker hands one; the answer."""

    async def main() -> bytes:
        channel = Channel(api.gateway(), lambda: "tok")
        ours, theirs = socket.socketpair()
        fds = array.array("i", [theirs.fileno()])
        channel.child.sendmsg([b"c"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        theirs.close()
        reader, writer = await asyncio.open_connection(sock=ours)
        writer.write(head)
        try:
            return await asyncio.wait_for(reader.read(), 10)
        finally:
            writer.close()
            channel.close()

    return asyncio.run(main())


def test_a_malformed_or_huge_request_head_gets_400_and_reaches_nothing(api: FakeApi) -> None:
    folded = b"POST /v1/algo/demo/whoami HTTP/1.1\r\nHost: x\r\n Authorization: folded\r\n\r\n"
    huge = b"GET / HTTP/1.1\r\nX-Pad: " + b"a" * HEAD_LIMIT + b"\r\n\r\n"
    for head in (folded, huge, b"GET / HTTP/1.1\r\nno colon here\r\n\r\n"):
        assert _through_channel(api, head).startswith(b"HTTP/1.1 400 "), head[:40]
    assert api.seen == []


def test_a_channel_passes_one_request_and_closes(api: FakeApi) -> None:
    key_head = b"POST /v1/algo/demo/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
    answer = _through_channel(api, key_head + b'Connection: keep-alive\r\n\r\n""')
    assert answer.startswith(b"HTTP/1.0 200 ") or answer.startswith(b"HTTP/1.1 200 ")
    assert [s.authorization for s in api.seen] == [None]  # no key sent: none added

"""A tenant's code against the server: each attack runs in a real sandboxed worker and fails.

The algorithm (``attacks.py``) is deployed by an ordinary user, mallory, on the shared test
gateway, and called once per attack; every answer must say the attack did not work, and the
gateway must keep serving. Needs bubblewrap: skipped without it, or failed when
``MODELPORT_REQUIRE_SANDBOX=1`` (CI sets it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.server import Live
from tests.http import algorithms
from tests.sandbox.attacks import ATTACKER
from tests.sandbox.hostile_package import hostile_sdist

MARKER = "4242.5"  # `sleep 4242.5`: the orphan the timeout must take with it


@dataclass
class Attacker:
    """mallory's client, and the build of her attacking algorithm."""

    client: httpx.Client
    sha: str


@pytest.fixture(scope="module")
def mallory(live: Live) -> Iterator[Attacker]:
    if getattr(live.platform.runner, "sandbox", None) is None:
        if os.environ.get("MODELPORT_REQUIRE_SANDBOX") == "1":
            pytest.fail("bubblewrap is required (MODELPORT_REQUIRE_SANDBOX=1) but not used")
        pytest.skip("bubblewrap (bwrap) is not installed: workers are not sandboxed")
    with live.client_of("mallory", frozenset({"algo:manage", "algo:call"})) as client:
        files = {"modelport.yaml": "name: attacker\nmemory: 256MiB\n", **ATTACKER}
        build = live.deploy("attacker", files, owner="mallory", client=client)
        assert build["status"] == "succeeded", build
        yield Attacker(client, build["commit_sha"])


def attack(mallory: Attacker, name: str, arg: Any = None, timeout: float = 30) -> Any:
    r = mallory.client.post(
        f"/v1/algo/mallory/attacker/{mallory.sha}?timeout={timeout}",
        json={"attack": name, "arg": arg},
    )
    assert r.status_code == 200, r.text
    return r.json()


def refused(answer: Any) -> str:
    result = answer["result"]
    assert result["ok"] is False, f"the attack worked: {result}"
    return str(result["error"])


def test_the_server_s_files_are_out_of_sight(live: Live, mallory: Attacker) -> None:
    home = live.settings.home
    for path in [
        live.settings.credentials_path,
        live.settings.secret_key_path,
        home / "modelport.db",
        home / "logs",
    ]:
        assert path.exists()  # there to be read, outside the sandbox
        assert "FileNotFoundError" in refused(attack(mallory, "read", str(path)))
    # only the folders its own build and environment are mounted under
    assert set(attack(mallory, "listdir", str(home))["result"]["got"]) == {"builds", "envs"}
    assert len(attack(mallory, "listdir", str(home / "builds"))["result"]["got"]) == 1
    assert len(attack(mallory, "listdir", str(home / "envs"))["result"]["got"]) == 1


def test_another_tenant_s_build_is_out_of_sight(live: Live, mallory: Attacker) -> None:
    build = live.deploy("victim", algorithms.ECHO)
    sources = list((live.settings.builds_path).glob(f"*/{build['commit_sha']}/algorithm.py"))
    assert sources, "the victim's build is on disk"
    assert "FileNotFoundError" in refused(attack(mallory, "read", str(sources[0])))


def test_the_gateway_cannot_be_seen_or_signalled(mallory: Attacker) -> None:
    gateway = os.getpid()  # the test gateway runs in this process
    assert "FileNotFoundError" in refused(attack(mallory, "read", f"/proc/{gateway}/environ"))
    assert "ProcessLookupError" in refused(attack(mallory, "signal", gateway))
    seen = attack(mallory, "whoami")["result"]["got"]
    assert seen["processes"] <= 3, seen  # bubblewrap's init, the worker, maybe a child
    if os.geteuid() == 0:
        assert seen["uid"] == 65534, seen  # nobody, not root


def test_code_on_disk_cannot_be_changed(mallory: Attacker) -> None:
    for name in ("plant", "tamper", "infect"):
        error = refused(attack(mallory, name))
        assert "Read-only file system" in error or "Permission denied" in error, (name, error)


def test_a_timeout_kills_every_process_the_call_started(mallory: Attacker) -> None:
    answer = attack(mallory, "orphan", MARKER, timeout=1)
    assert answer["error"]["error_type"] == "TimeoutError", answer
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _processes_with(MARKER):
        time.sleep(0.1)
    assert not _processes_with(MARKER), "a process the call started outlived its timeout"
    assert attack(mallory, "whoami")["result"]["ok"] is True  # a fresh worker serves


def test_an_isolated_worker_reaches_the_gateway_through_its_channel_only(
    live: Live, mallory: Attacker
) -> None:
    assert "ConnectionRefusedError" in refused(attack(mallory, "connect", live.settings.port))
    assert attack(mallory, "api")["result"]["got"] == '{"status":"ok"}'


def test_network_full_lets_a_worker_open_sockets(live: Live, mallory: Attacker) -> None:
    files = {"modelport.yaml": "name: networked\nnetwork: full\n", **ATTACKER}
    sha = live.deploy("networked", files, owner="mallory", client=mallory.client)["commit_sha"]
    r = mallory.client.post(
        f"/v1/algo/mallory/networked/{sha}", json={"attack": "connect", "arg": live.settings.port}
    )
    assert r.json()["result"] == {"ok": True, "got": live.settings.port}, r.text


def failed(answer: Any) -> str:
    """Why the attack did not work: the worker was killed (the call's error) or refused."""
    if "error" in answer:
        return f"{answer['error']['error_type']}: {answer['error']['message']}"
    return refused(answer)


@pytest.fixture(scope="module")
def limited(live: Live, mallory: Attacker) -> Attacker:
    if getattr(live.platform.runner, "cgroups", None) is None:
        if os.environ.get("MODELPORT_REQUIRE_SANDBOX") == "1":
            pytest.fail("cgroups are required with MODELPORT_REQUIRE_SANDBOX=1 but not used")
        pytest.skip("this host lets modelport make no cgroups: only RLIMIT_DATA holds")
    return mallory


def test_shared_memory_counts_against_the_memory_limit(limited: Attacker) -> None:
    why = failed(attack(limited, "shm", 512))  # the manifest allows 256 MiB
    assert "SIGKILL" in why or "No space" in why, why
    assert attack(limited, "whoami")["result"]["ok"] is True  # a fresh worker serves


def test_children_count_against_the_memory_limit(limited: Attacker) -> None:
    why = failed(attack(limited, "children", 150))  # 4 x 150 MiB, each under 256 MiB alone
    assert "SIGKILL" in why or "-9" in why, why


def test_a_fork_bomb_stops_at_the_process_cap(live: Live, limited: Attacker) -> None:
    why = refused(attack(limited, "fork_bomb", 10_000))
    assert "Resource temporarily unavailable" in why, why
    started = int(why.rsplit("after ", 1)[1].split()[0])
    assert started < live.settings.worker_processes, why
    assert live.http.get("/healthz").status_code == 200


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker.encode() in argv:
            found.append(int(entry.name))
    return found


def test_a_package_built_from_source_builds_in_the_sandbox(live: Live, mallory: Attacker) -> None:
    """A requirement built from source runs its build backend: code of the tenant's choosing,
    which must see and change nothing of the server's."""
    home = live.settings.home
    marker = live.settings.envs_path / "planted.txt"  # beside every tenant's environments
    files = {
        "modelport.yaml": "name: builder\n",
        "requirements.txt": "./vendor/probe-0.1.tar.gz\n",
        "vendor/probe-0.1.tar.gz": hostile_sdist(home / "secret.key", home, marker),
        "algorithm.py": "import probe\n\ndef apply(input):\n    return probe.FINDINGS\n",
    }
    build = live.deploy("builder", files, owner="mallory", client=mallory.client)
    assert build["status"] == "succeeded", build
    r = mallory.client.post(f"/v1/algo/mallory/builder/{build['commit_sha']}", json=0)
    assert "result" in r.json(), r.text
    findings = r.json()["result"]
    assert findings["uid"] == (65534 if os.geteuid() == 0 else os.getuid()), findings
    for attempt in ("secret", "write"):
        assert findings[attempt].startswith("failed: "), findings
    assert not marker.exists()
    # the home folder it sees holds only the empty folders its mounts need
    assert "secret.key" not in findings["home"] and "modelport.db" not in findings["home"]
    (built,) = live.settings.envs_path.glob("*/lib/python*/site-packages/probe.py")
    assert built.stat().st_uid == os.getuid()  # given back to the server once installed


def test_filling_tmp_ends_at_its_cap_and_the_next_call_goes_on(limited: Attacker) -> None:
    why = failed(attack(limited, "fill_tmp"))  # tmpfs: charged to the worker's 256 MiB
    assert "No space left" in why or "SIGKILL" in why or "-9" in why, why
    assert attack(limited, "whoami")["result"]["ok"] is True


def test_a_result_over_the_limit_is_refused_and_costs_the_gateway_nothing(
    live: Live, mallory: Attacker
) -> None:
    files = {"modelport.yaml": "name: bigger\nmemory: 1GiB\n", **ATTACKER}
    sha = live.deploy("bigger", files, owner="mallory", client=mallory.client)["commit_sha"]
    limit = live.settings.max_result_bytes >> 20
    before = _rss(os.getpid())
    r = mallory.client.post(
        f"/v1/algo/mallory/bigger/{sha}", json={"attack": "big_result", "arg": limit + 16}
    )
    assert r.json()["error"]["error_type"] == "ResultTooLarge", r.text[:300]
    assert _rss(os.getpid()) - before < 32 << 20  # the result never reached the gateway


def test_printing_without_end_fills_only_the_capped_log(live: Live, mallory: Attacker) -> None:
    assert attack(mallory, "flood", 48)["result"] == {"ok": True, "got": 48}
    logs = list((live.settings.home / "logs").glob("mallory_attacker*"))
    assert logs and all(p.stat().st_size <= live.settings.max_log_bytes for p in logs), logs


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) << 10
    return 0

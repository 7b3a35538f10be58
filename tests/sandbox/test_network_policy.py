"""A server may forbid ``network: full``: its builds are refused with a reason, and what was
built before still runs isolated."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from modelport.config import Settings
from tests.fixtures.server import Live, free_port, serving
from tests.sandbox.attacks import ATTACKER


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    home = tmp_path_factory.mktemp("closed")
    with serving(Settings(home=home, port=free_port(), allow_network=False)) as live:
        yield live


def test_a_build_asking_for_the_network_is_refused_with_its_reason(closed: Live) -> None:
    build = closed.deploy("networked", {"modelport.yaml": "name: networked\nnetwork: full\n",
                                        **ATTACKER})  # fmt: skip
    assert build["status"] == "failed"
    logs = closed.http.get(f"/v1/algorithms/admin/networked/builds/{build['commit_sha']}/logs")
    assert "network: full is not allowed on this server" in logs.json()["logs"]
    isolated = closed.deploy("isolated", {"modelport.yaml": "name: isolated\n", **ATTACKER})
    assert isolated["status"] == "succeeded"


def test_what_was_built_before_runs_isolated(closed: Live) -> None:
    if getattr(closed.platform.runner, "sandbox", None) is None:
        if os.environ.get("MODELPORT_REQUIRE_SANDBOX") == "1":
            pytest.fail("bubblewrap is required (MODELPORT_REQUIRE_SANDBOX=1) but not used")
        pytest.skip("bubblewrap (bwrap) is not installed: workers are not sandboxed")
    closed.platform.builds._allow_network = True  # as if built before the setting was made
    try:
        sha = closed.deploy("earlier", {"modelport.yaml": "name: earlier\nnetwork: full\n",
                                        **ATTACKER})["commit_sha"]  # fmt: skip
    finally:
        closed.platform.builds._allow_network = False
    r = closed.http.post(f"/v1/algo/admin/earlier/{sha}",
                         json={"attack": "connect", "arg": closed.settings.port})  # fmt: skip
    result = r.json()["result"]
    assert result["ok"] is False and "ConnectionRefusedError" in result["error"], result

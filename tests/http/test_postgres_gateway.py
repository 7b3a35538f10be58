"""The whole gateway on PostgreSQL: deploy, publish, call, and a restart that keeps it all."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelport.config import Settings
from tests.fixtures.server import free_port, serving
from tests.http import algorithms

pytestmark = pytest.mark.postgres


def test_gateway_on_postgresql(fresh_postgres_url: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, port=free_port(), database_url=fresh_postgres_url)
    with serving(settings) as live:
        build = live.deploy("scale", algorithms.SCALE)
        assert build["status"] == "succeeded"
        assert live.publish("scale")["version_info"]["semantic_version"] == "0.1.0"
        r = live.http.post("/v1/algo/admin/scale/0.1.*", json={"x": 4})
        assert r.json()["result"] == {"y": 8}
    with serving(settings.model_copy(update={"port": free_port()})) as again:
        r = again.http.post("/v1/algo/admin/scale/0.1.0", json={"x": 5})
        assert r.json()["result"] == {"y": 10}
        builds = again.http.get("/v1/algorithms/admin/scale/builds").json()["results"]
        assert [b["commit_sha"] for b in builds] == [build["commit_sha"]]

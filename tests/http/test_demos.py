"""Public demo pages: an algorithm its owner shares may be called without an account, as
``anonymous`` (public versions only, no data access), rate limited per client address."""

from __future__ import annotations

from pathlib import Path

import httpx

from modelport.config import Settings
from tests.fixtures.server import Live, free_port, serving

DEMO = {
    "modelport.yaml": """
        name: demo
        input: text
        output: json
        sample: {input: "ada", output: {"hello": "ada", "acting_as": "anonymous"}}
    """,
    "README.md": "# Demo\n\nSays hello.\n",
    "algorithm.py": """
        import os

        def apply(input):
            token = os.environ.get("MODELPORT_API_KEY", "")
            return {"hello": input, "acting_as": "anonymous" if token else "nobody"}
    """,
}


def test_a_shared_demo_is_callable_without_an_account(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, port=free_port(), demo_calls_per_minute=6)
    with serving(settings) as live, httpx.Client(base_url=live.url) as visitor:
        live.deploy("demo", DEMO)
        # not shared yet: no page, and a call without credentials needs them
        assert visitor.get("/v1/demos/admin/demo").status_code == 404
        r = visitor.post("/v1/algo/admin/demo", content=b"ada")
        assert r.status_code == 401 and "authorization required" in r.text
        r = live.http.put("/v1/algorithms/admin/demo", json={"settings": {"demo": True}})
        assert r.status_code == 200, r.text
        # shared, but nothing public to try yet
        r = visitor.get("/v1/demos/admin/demo")
        assert r.status_code == 404 and "no public version" in r.text
        private = live.publish("demo", public=False)
        assert private["version_info"]["semantic_version"] == "0.1.0"
        r = visitor.post("/v1/algo/admin/demo", content=b"ada", headers=TEXT)
        assert r.status_code == 404, r.text  # private versions do not resolve for visitors
        live.deploy("demo", DEMO | {"README.md": "# Demo\n\nSays hello, in public.\n"})
        live.publish("demo", public=True)
        page = visitor.get("/v1/demos/admin/demo").json()
        assert page == {
            "owner": "admin",
            "name": "demo",
            "summary": "",
            "version": "0.2.0",
            "interface": {"input": "text", "output": "json"},
            "sample_input": "ada",
        }
        r = visitor.post("/v1/algo/admin/demo", content=b"ada", headers=TEXT)
        assert r.json()["result"] == {"hello": "ada", "acting_as": "anonymous"}
        # a visitor cannot read the owner's data or manage anything
        assert visitor.get("/v1/data/.my").status_code == 401
        assert visitor.get("/v1/algorithms/admin/demo/builds").status_code == 401
        # a burst of 10 (two calls above, eight here), then 6 a minute: the 11th waits
        answers = [visitor.post("/v1/algo/admin/demo", content=b"x", headers=TEXT)
                   for _ in range(9)]  # fmt: skip
        limited = answers[-1]
        assert [a.status_code for a in answers[:8]] == [200] * 8
        assert limited.status_code == 429, limited.text
        assert 1 <= int(limited.headers["retry-after"]) <= 10
        # a signed-in caller is not limited by the demo's budget
        r = live.http.post("/v1/algo/admin/demo", content=b"owner", headers=TEXT)
        assert r.json()["result"]["hello"] == "owner"


TEXT = {"Content-Type": "text/plain"}


def test_pages_readme_interface_and_recent_calls(live: Live) -> None:
    live.deploy("described", DEMO)
    live.publish("described")
    for _ in range(3):
        live.http.post("/v1/algo/admin/described", content=b"ada", headers=TEXT)
    view = live.http.get("/v1/algorithms/admin/described").json()
    assert view["interface"] == {"input": "text", "output": "json"}
    assert view["stats"]["calls"] >= 4  # three here, and publish's sample check
    assert view["stats"]["errors"] == 0 and view["stats"]["p50_ms"] > 0
    listed = {a["name"]: a for a in live.http.get("/v1/algorithms").json()["results"]}
    assert listed["described"]["stats"] == view["stats"]
    r = live.http.get("/v1/algorithms/admin/described/readme")
    assert r.headers["content-type"].startswith("text/markdown")
    assert r.text == "# Demo\n\nSays hello.\n"
    live.deploy("bare", {"algorithm.py": "def apply(input):\n    return input\n"})
    r = live.http.get("/v1/algorithms/admin/bare/readme")
    assert r.status_code == 404 and "no README.md" in r.text

"""Calls over HTTP: versions, callability, hostile input and failing user code."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from modelport.config import Settings
from tests.fixtures.server import Live, free_port, serving
from tests.http import algorithms


@pytest.fixture(scope="module")
def deployed(live: Live) -> dict[str, str]:
    shas = {}
    for name, files in [
        ("c_echo", algorithms.ECHO),
        ("c_sleeps", algorithms.SLEEPS),
        ("c_raises", algorithms.RAISES),
    ]:
        build = live.deploy(name, files)
        assert build["status"] == "succeeded", build
        shas[name] = build["commit_sha"]
    return shas


@pytest.fixture(scope="module")
def stranger(live: Live) -> Iterator[httpx.Client]:
    with live.client_of("bob") as client:
        yield client


def error_of(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    return dict(body["error"])


def test_hash_addressed_call_before_publishing(live: Live, deployed: dict[str, str]) -> None:
    r = live.http.post(f"/v1/algo/admin/c_echo/{deployed['c_echo']}", json={"x": 1})
    assert r.status_code == 200
    assert r.json()["result"] == {"x": 1}
    r = live.http.post("/v1/algo/admin/c_echo", json={"x": 1})
    assert r.status_code == 404
    assert "no published version" in error_of(r)["message"]


def test_versions_resolve(live: Live, deployed: dict[str, str], stranger: httpx.Client) -> None:
    first = live.publish("c_echo", "minor", public=False)
    assert first["version_info"]["semantic_version"] == "0.1.0"
    # a second build of the same algorithm, published public as 0.2.0
    live.deploy("c_echo", {**algorithms.ECHO, "VERSION": "2"})
    second = live.publish("c_echo", "minor", public=True)
    assert second["version_info"]["semantic_version"] == "0.2.0"
    calls = {
        "0.1.0": first["version_info"]["git_hash"],
        "0.1.*": first["version_info"]["git_hash"],
        "0.2.*": second["version_info"]["git_hash"],
        "0.*": second["version_info"]["git_hash"],
        "latest": second["version_info"]["git_hash"],
        "latestPrivate": first["version_info"]["git_hash"],
    }
    versions = live.http.get("/v1/algorithms/admin/c_echo/versions").json()["results"]
    assert [v["version_info"]["semantic_version"] for v in versions] == ["0.2.0", "0.1.0"]
    for spec in calls:
        r = live.http.post(
            f"/v1/algo/admin/c_echo/{spec}", content="v", headers={"Content-Type": "text/plain"}
        )
        assert r.status_code == 200, (spec, r.text)
    # strangers see public versions only, and no build hashes
    assert stranger.post("/v1/algo/admin/c_echo/0.2.0", json=1).json()["result"] == 1
    for spec in ["0.1.0", "latestPrivate", deployed["c_echo"]]:
        r = stranger.post(f"/v1/algo/admin/c_echo/{spec}", json=1)
        assert r.status_code == 404, spec
    r = live.http.post("/v1/algo/admin/c_echo/7.*", json=1)
    assert r.status_code == 404
    assert error_of(r)["code"] == "version_not_found"
    assert "matches 7.*" in error_of(r)["message"]


def test_hostile_input(live: Live, deployed: dict[str, str]) -> None:
    url = f"/v1/algo/admin/c_echo/{deployed['c_echo']}"
    cases = [
        (
            dict(content=b"{not json", headers={"Content-Type": "application/json"}),
            400,
            "invalid_json",
        ),
        (
            dict(content=b"x", headers={"Content-Type": "application/x-unknown"}),
            415,
            "unsupported_content_type",
        ),
        (
            dict(content=b"x" * (2**20 + 1), headers={"Content-Type": "application/octet-stream"}),
            413,
            "payload_too_large",
        ),
    ]
    for kwargs, status, code in cases:
        r = live.http.post(url, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == status, r.text
        assert error_of(r)["code"] == code
    for path, status, code in [
        ("/v1/algo/admin/nope", 404, "algorithm_not_found"),
        ("/v1/algo/admin/c_echo/1.x.3", 400, "invalid_version"),
        ("/v1/algo/admin/c_echo/" + "0" * 40, 404, "version_not_found"),
        ("/v1/algo/admin/bad-name!", 404, "algorithm_not_found"),
    ]:
        r = live.http.post(path, json=1)
        assert r.status_code == status, (path, r.text)
        assert error_of(r)["code"] == code, path
    r = live.http.post(url + "?timeout=soon", json=1)
    assert (r.status_code, error_of(r)["code"]) == (400, "invalid_input")
    r = httpx.post(live.url + url, json=1)
    assert (r.status_code, error_of(r)["code"]) == (401, "unauthorized")
    # images are bytes to the algorithm
    r = live.http.post(url, content=b"\xff\xd8\xff", headers={"Content-Type": "image/jpeg"})
    assert r.json()["metadata"]["content_type"] == "binary", r.text
    # the gateway is still fine
    assert live.http.post(url, json={"ok": True}).json()["result"] == {"ok": True}


def test_timeout_then_recovery(live: Live, deployed: dict[str, str]) -> None:
    url = f"/v1/algo/admin/c_sleeps/{deployed['c_sleeps']}"
    r = live.http.post(url + "?timeout=1", json={"sleep": 30})
    assert r.status_code == 200
    error = error_of_call(r)
    assert error["error_type"] == "TimeoutError"
    assert live.http.post(url, json={}).json()["result"] == "awake"


def test_a_call_queued_when_its_client_hangs_up_never_runs(
    live: Live, deployed: dict[str, str]
) -> None:
    url = f"/v1/algo/admin/c_sleeps/{deployed['c_sleeps']}"
    assert live.http.post(url, json={}).json()["result"] == "awake"  # its one worker is up
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(live.http.post, url, json={"sleep": 1})
        time.sleep(0.3)
        # a client that gives up while its call waits behind the running one, and hangs up
        impatient = httpx.Client(base_url=live.url, headers=live.http.headers, timeout=0.3)
        with impatient, pytest.raises(httpx.ReadTimeout):
            impatient.post(url, json={"sleep": 20})
        started = time.monotonic()
        assert running.result().json()["result"] == "awake"  # the running call went on
        assert live.http.post(url, json={}).json()["result"] == "awake"
        assert time.monotonic() - started < 5  # the worker never slept the 20 s


def test_algorithm_error_envelope(live: Live, deployed: dict[str, str]) -> None:
    r = live.http.post(f"/v1/algo/admin/c_raises/{deployed['c_raises']}", json={})
    assert r.status_code == 200
    error = error_of_call(r)
    assert error["message"] == "x must be a number"
    assert error["error_type"] == "InputError"
    assert error["stacktrace"] == error["stack_trace"]
    assert "raise InputError" in error["stacktrace"]


def test_failed_build_is_recorded_and_not_callable(live: Live) -> None:
    build = live.deploy("c_bad_import", algorithms.BAD_IMPORT)
    assert build["status"] == "failed"
    logs = live.http.get(f"/v1/algorithms/admin/c_bad_import/builds/{build['commit_sha']}/logs")
    assert "module_that_does_not_exist" in logs.json()["logs"]
    r = live.http.post(f"/v1/algo/admin/c_bad_import/{build['commit_sha']}", json=1)
    assert r.status_code == 404
    assert "failed" in error_of(r)["message"]


def test_publish_checks_the_sample(live: Live) -> None:
    live.deploy("scale", algorithms.SCALE)
    assert live.publish("scale")["version_info"]["semantic_version"] == "0.1.0"
    broken = dict(algorithms.SCALE)
    broken["algorithm.py"] = broken["algorithm.py"].replace('"scale": 2', '"scale": 3')
    live.deploy("scale", broken)
    r = live.http.post(
        "/v1/algorithms/admin/scale/versions", json={"version_info": {"version_type": "minor"}}
    )
    assert r.status_code == 400
    error = error_of(r)
    assert error["code"] == "sample_mismatch"
    assert '{"y": 3}' in error["message"] and '{"y": 2}' in error["message"]


def test_metrics_and_health(live: Live, deployed: dict[str, str], stranger: httpx.Client) -> None:
    live.http.post(f"/v1/algo/admin/c_echo/{deployed['c_echo']}", json=1)
    # the series name every algorithm, private ones too: admins only
    assert httpx.get(live.url + "/metrics").status_code == 401
    assert stranger.get("/metrics").status_code == 403
    text = live.http.get("/metrics").text
    assert 'modelport_calls_total{algorithm="admin/c_echo",outcome="ok"}' in text
    assert "modelport_call_duration_seconds_bucket" in text
    assert "modelport_workers" in text
    assert live.http.get("/healthz").json() == {"status": "ok"}
    assert live.http.get("/readyz").json() == {"status": "ready"}
    paths = live.http.get("/openapi.json").json()["paths"]
    assert "/v1/algorithms/{owner}/{name}/versions" in paths
    assert "/v1/algo/{owner}/{name}/{version}" in paths


def error_of_call(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert "error" in body and "duration" in body["metadata"], body
    return dict(body["error"])


def test_void_output_checks_the_algorithm_before_answering(live: Live) -> None:
    r = live.http.post("/v1/algo/admin/nope?output=void", json=1)
    assert r.status_code == 404
    assert error_of(r)["code"] == "algorithm_not_found"


def test_the_default_timeout_applies_when_neither_the_call_nor_the_manifest_names_one(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = Settings(
        home=tmp_path_factory.mktemp("short"), port=free_port(), default_timeout=1.0
    )
    with serving(settings) as short:
        plain = short.deploy("plain", algorithms.SLEEPS)["commit_sha"]
        named = short.deploy(
            "named", {**algorithms.SLEEPS, "modelport.yaml": "name: named\ntimeout: 30\n"}
        )
        started = time.monotonic()
        r = short.http.post(f"/v1/algo/admin/plain/{plain}", json={"sleep": 20})
        assert error_of_call(r)["message"].startswith("call exceeded its 1.0 s timeout")
        assert time.monotonic() - started < 15
        # the manifest's own timeout wins over the server's default
        r = short.http.post(f"/v1/algo/admin/named/{named['commit_sha']}", json={"sleep": 1.5})
        assert r.json()["result"] == "awake", r.text


def test_json_nested_too_deeply_is_a_bad_request(live: Live, deployed: dict[str, str]) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    json_type = {"Content-Type": "application/json"}
    for url in (f"/v1/algo/admin/c_echo/{deployed['c_echo']}", "/v1/algorithms/admin"):
        r = live.http.post(url, content=deep, headers=json_type)
        assert r.status_code == 400, (url, r.status_code)
        assert "nested too deeply" in error_of(r)["message"]
    assert (
        live.http.post(f"/v1/algo/admin/c_echo/{deployed['c_echo']}", json=[[1]]).status_code == 200
    )


def test_a_private_algorithm_answers_strangers_as_a_missing_one_does(
    live: Live, stranger: httpx.Client
) -> None:
    live.deploy("c_hidden", algorithms.ECHO)
    live.publish("c_hidden", "minor", public=True)
    assert stranger.post("/v1/algo/admin/c_hidden/0.1.0", json=1).json()["result"] == 1
    r = live.http.put(
        "/v1/algorithms/admin/c_hidden", json={"settings": {"algorithm_callability": "private"}}
    )
    assert r.status_code == 200, r.text
    time.sleep(live.settings.cache_ttl + 0.1)  # resolved versions are cached that long
    for version in ("0.1.0", "latest", ""):
        hidden = stranger.post(f"/v1/algo/admin/c_hidden/{version}".rstrip("/"), json=1)
        missing = stranger.post(f"/v1/algo/admin/c_nothing/{version}".rstrip("/"), json=1)
        assert hidden.status_code == missing.status_code == 404, (version, hidden.text)
        assert error_of(hidden)["message"].replace("c_hidden", "X") == error_of(missing)[
            "message"
        ].replace("c_nothing", "X")
    assert live.http.post("/v1/algo/admin/c_hidden/0.1.0", json=1).json()["result"] == 1

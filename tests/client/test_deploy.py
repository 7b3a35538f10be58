from __future__ import annotations

import io
import tarfile
from pathlib import Path

import httpx
import pytest

from modelport import errors
from modelport.client import Client, read_manifest
from tests.client.fake_api import ADDRESS, SHA, FakeApi, body_json, build, error

ALGO = "/v1/algorithms/alice/digits"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "digits"
    root.mkdir()
    (root / "modelport.yaml").write_text(
        "name: digits\ndescription: doubles x\nsample: {input: {x: 1}, output: {y: 2}}\n"
    )
    (root / "algorithm.py").write_text("def apply(input):\n    return {'y': 2 * input['x']}\n")
    return root


def test_read_manifest_validates_locally(folder: Path) -> None:
    manifest = read_manifest(folder)
    assert (manifest.name, manifest.sample_input) == ("digits", {"x": 1})
    assert read_manifest(folder / "modelport.yaml").name == "digits"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", r"modelport.yaml is not valid YAML \(line 2\)"),
        (
            "name: digits\ncolour: blue\n",
            r"modelport.yaml: unknown setting\(s\) in modelport.yaml: colour",
        ),
        ("- a list\n", "must be a mapping"),
        # the worker runs on 3.8 and newer: an older one must not fail later, in the build
        ('name: digits\npython: "3.7"\n', r"python 3.7 is too old: workers run on Python 3.8"),
    ],
)
def test_a_bad_manifest_is_a_clear_error(folder: Path, text: str, message: str) -> None:
    (folder / "modelport.yaml").write_text(text)
    with pytest.raises(errors.InvalidManifest, match=message):
        read_manifest(folder)


def test_a_folder_without_a_manifest_points_to_init(tmp_path: Path) -> None:
    with pytest.raises(errors.InvalidManifest, match="modelport init NAME"):
        read_manifest(tmp_path)


def test_deploy_creates_a_missing_algorithm_uploads_and_waits(
    api: FakeApi, client: Client, folder: Path
) -> None:
    api.on("GET", ALGO, error(404, "algorithm_not_found", "No such algorithm"))
    api.json("POST", "/v1/algorithms/alice", {"name": "digits"})
    api.json("POST", f"{ALGO}/builds", build("in-progress"), status=202)
    api.on(
        "GET",
        f"{ALGO}/builds/{SHA}",
        httpx.Response(200, json=build("in-progress")),
        httpx.Response(200, json=build("succeeded")),
    )
    sent: list[tuple[int, int]] = []
    seen: list[str] = []
    result = client.deploy(
        folder,
        owner="alice",
        progress=lambda a, b: sent.append((a, b)),
        on_status=lambda b: seen.append(b["status"]),
        poll=0,
    )
    assert result["status"] == "succeeded"
    assert seen == ["in-progress", "succeeded"]
    assert api.paths() == [
        f"GET {ALGO}",
        "POST /v1/algorithms/alice",
        f"POST {ALGO}/builds",
        f"GET {ALGO}/builds/{SHA}",
        f"GET {ALGO}/builds/{SHA}",
    ]
    create = body_json(api.last("POST", "/v1/algorithms/alice"))
    assert create == {
        "name": "digits",
        "details": {"label": "digits", "summary": "doubles x"},
        "settings": {"algorithm_callability": "private"},
    }
    upload = api.last("POST", f"{ALGO}/builds")
    assert upload.headers["content-type"] == "application/gzip"
    assert upload.url.params["wait"] == "false"
    assert (
        int(upload.headers["content-length"]) == len(upload.content) == sent[-1][0] == sent[-1][1]
    )
    with tarfile.open(fileobj=io.BytesIO(upload.content), mode="r:gz") as tar:
        assert tar.getnames() == ["algorithm.py", "modelport.yaml"]


def test_an_existing_algorithm_is_not_created_again(
    api: FakeApi, client: Client, folder: Path
) -> None:
    api.json("GET", ALGO, {"name": "digits"})
    api.json("POST", f"{ALGO}/builds", build("succeeded"))
    assert client.deploy(folder, owner="alice")["commit_sha"] == SHA
    assert "POST /v1/algorithms/alice" not in api.paths()


def test_the_owner_defaults_to_the_credentials_user(
    api: FakeApi, folder: Path, no_user_settings: Path
) -> None:
    no_user_settings.mkdir(parents=True)
    (no_user_settings / "credentials.json").write_text('{"api_key": "k", "user": "alice"}')
    api.json("GET", ALGO, {"name": "digits"})
    api.json("POST", f"{ALGO}/builds", build("succeeded"))
    with Client(api_address=ADDRESS, transport=api.transport) as client:
        client.deploy(folder)
    assert api.last().headers["authorization"] == "Simple k"


def test_no_owner_at_all_is_a_clear_error(client: Client, folder: Path) -> None:
    with pytest.raises(errors.InvalidInput, match="no owner to deploy as"):
        client.deploy(folder)


def test_a_failed_build_raises_with_its_logs(api: FakeApi, client: Client, folder: Path) -> None:
    api.json("GET", ALGO, {"name": "digits"})
    api.json("POST", f"{ALGO}/builds", build("in-progress"), status=202)
    api.json("GET", f"{ALGO}/builds/{SHA}", build("failed"))
    api.json("GET", f"{ALGO}/builds/{SHA}/logs", {"logs": "ERROR: no matching distribution\n"})
    with pytest.raises(errors.BuildFailed, match=f"build {SHA} of alice/digits failed") as caught:
        client.deploy(folder, owner="alice", poll=0)
    assert caught.value.details["logs"] == "ERROR: no matching distribution\n"


def test_wait_for_build_gives_up_after_its_timeout(api: FakeApi, client: Client) -> None:
    api.json("GET", f"{ALGO}/builds/{SHA}", build("in-progress"))
    with pytest.raises(errors.BuildInProgress, match="still running"):
        client.wait_for_build("alice", "digits", SHA, poll=0, timeout=0)


def test_management_calls(api: FakeApi, client: Client) -> None:
    api.json("GET", "/v1/algorithms", {"results": [{"name": "digits"}]})
    api.json("GET", f"{ALGO}/builds", {"marker": None, "results": [build()]})
    api.json("GET", f"{ALGO}/versions", {"marker": None, "results": [{"name": "digits"}]})
    api.json("GET", f"{ALGO}/builds/{SHA}/logs", {"logs": "ok"})
    api.json("POST", f"{ALGO}/versions", {"version_info": {"semantic_version": "0.1.0"}})
    assert client.algorithms() == [{"name": "digits"}]
    assert [b["commit_sha"] for b in client.builds("alice", "digits")] == [SHA]
    assert client.versions("alice", "digits") == [{"name": "digits"}]
    assert client.build_logs("alice", "digits", SHA) == "ok"
    client.publish(
        "alice", "digits", "revision", callability="public", release_notes="n", commit_sha=SHA
    )
    assert body_json(api.last()) == {
        "settings": {"algorithm_callability": "public"},
        "version_info": {"version_type": "patch", "release_notes": "n"},
        "build": {"commit_sha": SHA},
    }


def test_publish_refuses_an_unknown_bump(client: Client) -> None:
    with pytest.raises(errors.InvalidVersion):
        client.publish("alice", "digits", "huge")

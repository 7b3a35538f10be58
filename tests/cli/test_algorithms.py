from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from modelport.cli.output import when
from tests.cli.conftest import Cli
from tests.client.fake_api import ADDRESS, SHA, FakeApi, body_json, build, error

ALGO = "/v1/algorithms/alice/digits"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "digits"
    root.mkdir()
    (root / "modelport.yaml").write_text("name: digits\nsample: {input: {x: 1}, output: {y: 2}}\n")
    (root / "algorithm.py").write_text("def apply(input):\n    return {'y': 2 * input['x']}\n")
    return root


@pytest.fixture
def builds(api: FakeApi) -> FakeApi:
    api.json("GET", ALGO, {"name": "digits"})
    api.json("POST", f"{ALGO}/builds", build("in-progress"), status=202)
    api.on(
        "GET",
        f"{ALGO}/builds/{SHA}",
        httpx.Response(200, json=build("in-progress")),
        httpx.Response(200, json=build("succeeded")),
    )
    return api


def test_deploy_prints_the_hash_the_url_and_next_steps(
    cli: Cli, builds: FakeApi, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    result = cli("deploy", str(folder))
    assert result.code == 0, result.err
    assert result.text.splitlines() == [
        f"Deployed alice/digits build {SHA}",
        f"  URL:      {ADDRESS}/v1/algo/alice/digits/{SHA}",
        f"""  Call:     modelport call alice/digits/{SHA} -i '{{"x": 1}}'""",
        "  Publish:  modelport publish alice/digits --minor",
    ]
    assert "Uploaded digits/" in result.err
    assert f"Build {SHA[:12]} succeeded" in result.err


def test_build_prints_only_the_hash(
    cli: Cli, builds: FakeApi, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.sleep", lambda s: None)
    result = cli("build", str(folder), "--owner", "alice")
    assert (result.code, result.text) == (0, SHA + "\n")


def test_a_failed_deploy_prints_the_build_logs(cli: Cli, api: FakeApi, folder: Path) -> None:
    api.json("GET", ALGO, {"name": "digits"})
    api.json("POST", f"{ALGO}/builds", build("failed"))
    api.json(
        "GET",
        f"{ALGO}/builds/{SHA}/logs",
        {"logs": "Collecting nope\nERROR: No matching distribution\n"},
    )
    result = cli("deploy", str(folder))
    assert result.code == 1
    assert result.out == b""
    assert result.err.endswith(
        "Collecting nope\nERROR: No matching distribution\n"
        f"modelport: error: build {SHA} of alice/digits failed\n"
    )


def test_deploy_of_a_folder_without_manifest(cli: Cli, tmp_path: Path) -> None:
    result = cli("deploy", str(tmp_path))
    assert result.code == 2
    assert "run `modelport init NAME`" in result.err


def test_publish_prints_the_new_version(cli: Cli, api: FakeApi) -> None:
    api.json(
        "POST",
        f"{ALGO}/versions",
        {
            "version_info": {"semantic_version": "0.1.0", "git_hash": SHA},
            "settings": {"algorithm_callability": "public"},
        },
    )
    result = cli("publish", "alice/digits", "--minor", "--public", "--notes", "first")
    assert result.code == 0, result.err
    assert result.text.splitlines() == [
        f"Published alice/digits 0.1.0 (public) from build {SHA}",
        "  Call:  modelport call alice/digits/0.1.0",
    ]
    assert body_json(api.last()) == {
        "settings": {"algorithm_callability": "public"},
        "version_info": {"version_type": "minor", "release_notes": "first"},
    }


def test_publish_demo_publishes_public_and_shares_the_demo_page(cli: Cli, api: FakeApi) -> None:
    api.json(
        "POST",
        f"{ALGO}/versions",
        {
            "version_info": {"semantic_version": "1.0.0", "git_hash": SHA},
            "settings": {"algorithm_callability": "public"},
        },
    )
    api.json("PUT", ALGO, {"name": "digits", "settings": {"demo": True}})
    result = cli("publish", "alice/digits", "--major", "--demo")
    assert result.code == 0, result.err
    assert result.text.splitlines() == [
        f"Published alice/digits 1.0.0 (public) from build {SHA}",
        "  Call:  modelport call alice/digits/1.0.0",
        f"  Demo:  {ADDRESS}/demo/alice/digits",
    ]
    published = body_json(api.last("POST", f"{ALGO}/versions"))
    assert published["settings"] == {"algorithm_callability": "public"}  # a demo needs public
    assert body_json(api.last("PUT", ALGO)) == {"settings": {"demo": True}}


def test_publish_without_demo_leaves_the_demo_page_alone(cli: Cli, api: FakeApi) -> None:
    api.json("POST", f"{ALGO}/versions", {"version_info": {"semantic_version": "0.1.0"}})
    assert cli("publish", "alice/digits", "--minor").code == 0
    assert f"PUT {ALGO}" not in api.paths()


def test_publish_refused_on_a_sample_mismatch_exits_1(cli: Cli, api: FakeApi) -> None:
    message = 'the sample input gave {"y": 3}, but the sample output is {"y": 2}'
    api.on("POST", f"{ALGO}/versions", error(400, "sample_mismatch", message))
    result = cli("publish", "alice/digits", "--patch", "--build", SHA)
    assert (result.code, result.err) == (1, f"modelport: error: {message}\n")
    assert body_json(api.last())["build"] == {"commit_sha": SHA}


def test_publish_needs_exactly_one_bump(cli: Cli) -> None:
    assert cli("publish", "alice/digits").code == 2
    assert cli("publish", "alice/digits", "--major", "--minor").code == 2


def test_versions_table(cli: Cli, api: FakeApi) -> None:
    published = "2026-11-21T17:00:00.000Z"
    api.json(
        "GET",
        f"{ALGO}/versions",
        {
            "results": [
                {
                    "version_info": {
                        "semantic_version": "0.2.0",
                        "git_hash": SHA,
                        "published_at": published,
                    },
                    "settings": {"algorithm_callability": "public"},
                },
                {
                    "version_info": {"semantic_version": "0.1.0", "git_hash": "b" * 40},
                    "settings": {"algorithm_callability": "private"},
                },
            ]
        },
    )
    lines = cli("versions", "alice/digits").text.splitlines()
    assert lines[0].split() == ["VERSION", "BUILD", "CALLABILITY", "PUBLISHED"]
    assert lines[1] == f"0.2.0    {SHA}  public       {when(published)}"
    assert lines[2] == f"0.1.0    {'b' * 40}  private      -"


def test_builds_table(cli: Cli, api: FakeApi) -> None:
    api.json(
        "GET",
        f"{ALGO}/builds",
        {"results": [build("succeeded"), build("in-progress", sha="c" * 40)]},
    )
    lines = cli("builds", "alice/digits").text.splitlines()
    start = when("2026-11-21T17:00:00.000Z")
    assert lines == [
        f"BUILD{' ' * 37}STATUS       STARTED{' ' * (len(start) - 7)}  DURATION",
        f"{SHA}  succeeded    {start}  4.2s",
        f"{'c' * 40}  in-progress  {start}  -",
    ]


def test_empty_lists_say_what_to_do(cli: Cli, api: FakeApi) -> None:
    api.json("GET", f"{ALGO}/versions", {"results": []})
    result = cli("versions", "alice/digits")
    assert (result.code, result.out) == (0, b"")
    assert "modelport publish alice/digits --minor" in result.err


def test_logs(cli: Cli, api: FakeApi) -> None:
    api.json("GET", f"{ALGO}/builds/{SHA}/logs", {"logs": "step 1\nstep 2"})
    assert cli("logs", "alice/digits", SHA).text == "step 1\nstep 2\n"


def test_a_version_where_none_belongs_is_refused(cli: Cli) -> None:
    result = cli("versions", "alice/digits/1.0.0")
    assert (result.code, result.err) == (
        2,
        "modelport: error: expected OWNER/NAME without a version, got 'alice/digits/1.0.0'\n",
    )


def test_model_file_flags_on_a_folder_are_refused(cli: Cli, folder: Path) -> None:
    done = cli("deploy", str(folder), "--replicas", "2", "--scale", "16")
    assert done.code == 2
    assert "--scale, --replicas: for model files" in done.err

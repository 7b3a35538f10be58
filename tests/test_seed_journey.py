"""The seeds' journey: train a model, upload it to a collection with the CLI, load it in
``load()`` through ``data://.my/...``, call it, and chain a second algorithm to it; plus an
algorithm reading its owner's "my algorithms" collection on behalf of another user."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import joblib
import pytest
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from tests.fixtures.server import Live

MODELPORT = str(Path(sys.executable).parent / "modelport")
pytestmark = pytest.mark.slow

CLASSIFIER = {
    "modelport.yaml": """
        name: digit_svc
        requirements: [scikit-learn>=1.5]
    """,
    "algorithm.py": """
        import joblib
        import modelport

        def load():
            return joblib.load(modelport.data.path("data://.my/digits/svc.joblib"))

        def apply(input, model):
            return {"prediction": int(model.predict([input["pixels"]])[0])}
    """,
}

PIPELINE = {
    "modelport.yaml": "name: digit_pipeline\n",
    "algorithm.py": """
        import modelport

        def apply(input):
            # an 8x8 image of 0-255 grey levels, dark ink on white: invert and scale to 0-16
            pixels = [round((255 - v) / 16) for row in input["image"] for v in row]
            return modelport.Client().algo("admin/digit_svc/0.1.*").pipe({"pixels": pixels}).result
    """,
}


def cli(live: Live, *args: str, cwd: Path) -> str:
    env = {**os.environ, "MODELPORT_HOME": str(live.settings.home)}
    done = subprocess.run(
        [MODELPORT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout + done.stderr


def test_model_in_a_collection_loaded_and_chained(live: Live, tmp_path: Path) -> None:
    digits = load_digits()
    joblib.dump(SVC(gamma=0.001).fit(digits.data, digits.target), tmp_path / "svc.joblib")
    cli(live, "data", "mkdir", "data://.my/digits", cwd=tmp_path)
    cli(live, "data", "cp", "svc.joblib", "data://.my/digits/", cwd=tmp_path)
    assert "svc.joblib" in cli(live, "data", "ls", "data://.my/digits", cwd=tmp_path)

    build = live.deploy("digit_svc", CLASSIFIER)
    assert build["status"] == "succeeded", build
    live.publish("digit_svc")
    pixels = [int(v) for v in digits.images[7].ravel()]
    r = live.http.post("/v1/algo/admin/digit_svc/0.1.0", json={"pixels": pixels})
    assert r.json()["result"] == {"prediction": int(digits.target[7])}, r.text

    assert live.deploy("digit_pipeline", PIPELINE)["status"] == "succeeded"
    live.publish("digit_pipeline")
    image = [[255 - int(v) * 16 for v in row] for row in digits.images[7]]
    r = live.http.post("/v1/algo/admin/digit_pipeline/0.1.0", json={"image": image})
    assert r.json()["result"] == {"prediction": int(digits.target[7])}, r.text


READS_OWNER_DATA = {
    "modelport.yaml": "name: reads_notes\n",
    "algorithm.py": """
        import modelport

        def apply(input):
            return modelport.data.read_text(input["uri"])
    """,
}


def test_my_algorithms_acl_lets_the_owners_algorithm_read_for_any_caller(live: Live) -> None:
    live.http.post("/v1/data/.my", json={"name": "notes"})  # default ACL: my algorithms
    live.http.put("/v1/data/.my/notes/n.txt", content=b"for my algorithms")
    assert live.deploy("reads_notes", READS_OWNER_DATA)["status"] == "succeeded"
    live.publish("reads_notes", public=True)
    if live.http.get("/v1/users/j_bob").status_code == 404:
        live.http.post("/v1/users", json={"username": "j_bob"})
    key = live.http.post(
        "/v1/keys", json={"username": "j_bob", "scopes": ["algo:call", "data:read"]}
    ).json()["key"]
    with httpx.Client(base_url=live.url, headers={"Authorization": key}) as bob:
        assert bob.get("/v1/data/admin/notes/n.txt").status_code == 404
        r = bob.post("/v1/algo/admin/reads_notes/0.1.0", json={"uri": "data://admin/notes/n.txt"})
        assert r.json()["result"] == "for my algorithms", r.text
        # and .my inside a call is the caller: bob has no collection named notes
        r = bob.post("/v1/algo/admin/reads_notes/0.1.0", json={"uri": "data://.my/notes/n.txt"})
        assert "data://j_bob/notes does not exist" in r.json()["error"]["message"], r.text

"""Who an algorithm acts as, end to end: its owner while it imports and loads, each caller
while that caller's call runs, no one after; with the unmodified ``algorithmia`` client made
once at import, as the seed tutorials write it. Tokens never reach the worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import Algorithmia
import httpx
import pytest
from Algorithmia.acl import ReadAcl

from tests.fixtures.server import Live

SEEDED = {
    "modelport.yaml": "name: seeded\nrequirements: requirements.txt\n",
    "requirements.txt": "algorithmia\n",
    "algorithm.py": """
import os
import threading
import time

import Algorithmia

client = Algorithmia.client()  # at import, with no key: the seed tutorials' way
MODEL = client.file("data://.my/models/model.txt").getString()  # the owner's, private
LATER = {}


def read_later(uri):
    time.sleep(1.0)  # the call is over by then
    try:
        LATER[uri] = client.file(uri).getString()
    except Exception as exc:
        LATER[uri] = "failed: " + str(exc)


def apply(input):
    if input.get("later"):
        threading.Thread(target=read_later, args=(input["later"],)).start()
    held = {k: v for k, v in os.environ.items() if "KEY" in k or "TOKEN" in k}
    note = client.file(input["note"]).getString() if input.get("note") else None
    return {"model": MODEL, "note": note, "held": held, "later": LATER}
""",
}


def put(live: Live, key: str, uri: str, text: str, acl: ReadAcl = ReadAcl.my_algos) -> None:
    client = Algorithmia.client(key, api_address=live.url)
    folder = client.dir(uri.rsplit("/", 1)[0])
    if not folder.exists():
        folder.create(acl)
    client.file(uri).put(text)


@pytest.fixture(scope="module")
def bob(live: Live) -> Iterator[tuple[httpx.Client, str]]:
    scopes = frozenset({"algo:call", "data:read", "data:write"})
    with live.client_of("bob_reader", scopes) as client:
        yield client, str(client.headers["Authorization"])


@pytest.fixture(scope="module")
def seeded(live: Live) -> dict[str, Any]:
    put(live, live.key, "data://.my/models/model.txt", "admin's model")
    build = live.deploy("seeded", SEEDED)
    assert build["status"] == "succeeded", build  # the import read the owner's model
    return live.publish("seeded")


def call(client: httpx.Client, payload: dict[str, Any]) -> dict[str, Any]:
    r = client.post("/v1/algo/admin/seeded", json=payload, params={"timeout": 60})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert "error" not in body, body
    result: dict[str, Any] = body["result"]
    return result


def test_the_module_client_acts_as_the_owner_at_import_and_as_each_caller_after(
    live: Live, seeded: dict[str, Any], bob: tuple[httpx.Client, str]
) -> None:
    client, key = bob
    put(live, key, "data://.my/notes/note.txt", "bob's note")
    put(live, live.key, "data://.my/notes/note.txt", "admin's note")
    as_bob = call(client, {"note": "data://.my/notes/note.txt"})
    assert (as_bob["model"], as_bob["note"]) == ("admin's model", "bob's note")
    as_admin = call(live.http, {"note": "data://.my/notes/note.txt"})
    assert (as_admin["model"], as_admin["note"]) == ("admin's model", "admin's note")
    # bob's call cannot read what the owner keeps from even its own algorithms: it acts as bob
    put(live, live.key, "data://.my/vault/diary.txt", "admin's diary", ReadAcl.private)
    r = client.post("/v1/algo/admin/seeded", json={"note": "data://admin/vault/diary.txt"})
    assert "error" in r.json() and "admin's diary" not in r.text, r.text


def test_nothing_a_worker_holds_works_from_outside_or_after_its_call(
    live: Live, seeded: dict[str, Any], bob: tuple[httpx.Client, str]
) -> None:
    client, key = bob
    put(live, key, "data://.my/private/secret.txt", "bob's secret", ReadAcl.private)
    uri = "data://.my/private/secret.txt"
    held = call(client, {"later": uri})["held"]
    assert held and key.removeprefix("Simple ") not in str(held)
    for name, value in held.items():
        for header in (value, f"Bearer {value}", f"Simple {value}"):
            r = httpx.get(f"{live.url}/v1/data/.my/private", headers={"Authorization": header})
            assert r.status_code == 401, (name, r.text)
    time.sleep(1.5)
    later = call(live.http, {})["later"][uri]  # what the thread read once bob's call was over
    assert later.startswith("failed:") and "bob's secret" not in later, later

"""What a stranger sees of a public algorithm: its public versions only, never a private
version's notes, hash or README, nor its unpublished builds."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.server import Live
from tests.http import algorithms


@pytest.fixture(scope="module")
def stranger(live: Live) -> Iterator[httpx.Client]:
    with live.client_of("v_eve") as client:
        yield client


def test_a_private_version_stays_its_owner_s(live: Live, stranger: httpx.Client) -> None:
    first = live.deploy("v_notes", {**algorithms.ECHO, "README.md": "# open plans\n"})
    live.publish("v_notes", public=True, notes="public notes")
    second = live.deploy("v_notes", {**algorithms.ECHO, "README.md": "# secret plans\n"})
    live.publish("v_notes", public=False, notes="secret notes")
    live.deploy("v_notes", {**algorithms.ECHO, "README.md": "# draft plans\n"})  # unpublished

    seen = [
        stranger.get("/v1/algorithms/admin/v_notes").text,
        stranger.get("/v1/algorithms/admin/v_notes/readme").text,
        stranger.get("/v1/algorithms/admin/v_notes/versions").text,
        stranger.get("/v1/algorithms").text,
    ]
    for text in seen:
        assert "secret" not in text and "draft" not in text, text
        assert second["commit_sha"] not in text
    assert "open plans" in seen[1] and "public notes" in seen[0]
    assert first["commit_sha"] in seen[0]
    # the owner sees everything
    assert "secret notes" in live.http.get("/v1/algorithms/admin/v_notes").text
    assert "secret" in live.http.get("/v1/algorithms/admin/v_notes/versions").text

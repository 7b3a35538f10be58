from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelport.client import Client
from tests.client.fake_api import ADDRESS, FakeApi


@pytest.fixture(autouse=True)
def no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Keep the developer's ~/.modelport and MODELPORT_* variables out of the tests."""
    for name in ("MODELPORT_API_KEY", "MODELPORT_API"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("MODELPORT_HOME", str(home))
    return home


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def client(api: FakeApi) -> Iterator[Client]:
    with Client("secret", ADDRESS, transport=api.transport) as c:
        yield c

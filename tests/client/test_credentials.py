from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelport import errors
from modelport.client import Client, Credentials
from modelport.client.credentials import DEFAULT_ADDRESS


def write(home: Path, **values: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "credentials.json").write_text(json.dumps(values))


def test_defaults_without_anything() -> None:
    creds = Credentials.resolve()
    assert (creds.api_address, creds.api_key, creds.user) == (DEFAULT_ADDRESS, None, None)


def test_the_servers_credentials_file(no_user_settings: Path) -> None:
    write(no_user_settings, api_address="http://h:9/", api_key="k1", user="admin")
    creds = Credentials.resolve()
    assert (creds.api_address, creds.api_key, creds.user) == ("http://h:9", "k1", "admin")


def test_environment_beats_the_file(
    no_user_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(no_user_settings, api_address="http://h:9", api_key="k1", user="admin")
    monkeypatch.setenv("MODELPORT_API_KEY", "k2")
    monkeypatch.setenv("MODELPORT_API", "http://env:1")
    creds = Credentials.resolve()
    assert (creds.api_address, creds.api_key, creds.user) == ("http://env:1", "k2", "admin")


def test_arguments_beat_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELPORT_API_KEY", "k2")
    creds = Credentials.resolve("k3", "http://arg:2")
    assert (creds.api_address, creds.api_key) == ("http://arg:2", "k3")


def test_an_explicit_home(tmp_path: Path) -> None:
    write(tmp_path / "other", api_key="k4", user="bob")
    with Client(home=tmp_path / "other") as client:
        assert (client.credentials.api_key, client.user) == ("k4", "bob")


def test_a_broken_file_is_a_clear_error(no_user_settings: Path) -> None:
    no_user_settings.mkdir(parents=True)
    (no_user_settings / "credentials.json").write_text("{nope")
    with pytest.raises(errors.ModelportError, match=r"credentials\.json is not valid JSON"):
        Credentials.resolve()

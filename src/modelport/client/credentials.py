"""Where the client finds its API key and server address.

Order: explicit arguments, then ``MODELPORT_API_KEY`` / ``MODELPORT_API``, then the
``credentials.json`` that ``modelport serve`` writes into its home, then the local default.

>>> creds = Credentials.resolve(api_key="k", api_address="http://h:1/", home=Path("/nowhere"))
>>> (creds.api_key, creds.api_address, creds.user)
('k', 'http://h:1', None)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from modelport.errors import ModelportError

DEFAULT_ADDRESS = "http://127.0.0.1:8080"


def default_home() -> Path:
    """``$MODELPORT_HOME``, else ``~/.modelport`` (the server's default home)."""
    env = os.environ.get("MODELPORT_HOME")
    return Path(env).expanduser() if env else Path.home() / ".modelport"


@dataclass(frozen=True, slots=True)
class Credentials:
    api_address: str
    api_key: str | None = None
    user: str | None = None

    @classmethod
    def resolve(
        cls,
        api_key: str | None = None,
        api_address: str | None = None,
        *,
        home: Path | None = None,
    ) -> Credentials:
        saved = read_credentials_file((home or default_home()) / "credentials.json")
        key = api_key or os.environ.get("MODELPORT_API_KEY") or saved.get("api_key")
        address = (
            api_address
            or os.environ.get("MODELPORT_API")
            or saved.get("api_address")
            or DEFAULT_ADDRESS
        )
        return cls(api_address=address.rstrip("/"), api_key=key, user=saved.get("user"))


def read_credentials_file(path: Path) -> dict[str, str]:
    """The string fields of ``credentials.json``; an empty mapping when there is no file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ModelportError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelportError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ModelportError(f"{path} must hold a JSON object")
    return {str(k): v for k, v in data.items() if isinstance(v, str) and v}

"""``modelport serve``: run the gateway with SQLite and local disk under the home folder.

modelport serve                         # http://127.0.0.1:8080, home ~/.modelport
modelport serve --port 9000 --home /srv/modelport --no-examples
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelport.cli.session import Session, Subparsers
from modelport.errors import ModelportError

if TYPE_CHECKING:
    from modelport.config import Settings


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="run the server (gateway, builds, workers)",
        description="Run the modelport server. Settings come from these flags, then MODELPORT_*"
        " variables; the server writes the admin key to HOME/credentials.json, where the"
        " CLI and the Python client find it.",
    )
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default 8080)")
    p.add_argument(
        "--no-examples",
        dest="examples",
        action="store_false",
        help="do not install the example algorithms on first start",
    )
    p.set_defaults(run=run)


def settings_from(args: argparse.Namespace) -> Settings:
    """Flags override ``MODELPORT_*`` variables, which override the defaults."""
    from modelport.config import Settings  # pydantic: only ``serve`` pays for it

    overrides: dict[str, Any] = {}
    if getattr(args, "home", None):
        overrides["home"] = Path(args.home).expanduser()
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["port"] = args.port
    try:
        return Settings(**overrides)
    except ValueError as exc:  # pydantic's ValidationError: a bad MODELPORT_* value
        problems = "; ".join(_validation_lines(exc))
        raise ModelportError(f"invalid settings: {problems}") from None


def _validation_lines(exc: ValueError) -> list[str]:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return [str(exc)]
    return [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors()]


def run(session: Session) -> int:
    # Imported when serving: the web stack and the store take a second to import, which
    # every other verb of the CLI would pay.
    from modelport import app

    settings = settings_from(session.args)
    app.serve(settings, examples=session.args.examples)
    return 0

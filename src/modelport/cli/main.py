"""``modelport``: the command line, thin over the HTTP API and ``modelport.client``.

>>> main(["init", "digits", "--dir", tempfile.mkdtemp()])      # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata

import httpx

from modelport.cli import accounts, algorithms, calls, convert, data, scaffold, serve, stream
from modelport.cli.session import Session
from modelport.client import AlgorithmError
from modelport.errors import BuildFailed, ModelportError, SampleMismatch

DESCRIPTION = """\
Serve ML models as versioned HTTP APIs.

  modelport serve                                   # the server, on http://127.0.0.1:8080
  modelport init digits                             # a new algorithm folder
  modelport deploy digits/                          # upload and build; prints the build hash
  modelport call alice/digits/HASH -i '{"x": 1}'    # call a build or a version
  modelport publish alice/digits --minor            # 0.1.0, after the sample still passes
  echo '{"x": 1}' | modelport call alice/digits/0.1.*
  modelport stream --source clip.mp4 --algo alice/mobilenet --out annotated.mp4"""

EPILOG = """\
The key and address come from --key/--api, else MODELPORT_API_KEY/MODELPORT_API,
else HOME/credentials.json (written by `modelport serve`; HOME is --home,
MODELPORT_HOME or ~/.modelport).

Exit status: 0 ok; 1 what you asked for failed (an algorithm error, a failed build,
a sample mismatch); 2 the platform refused, or a usage error."""

EXIT_FAILED = 1
EXIT_REFUSED = 2


def _global_flags(parser: argparse.ArgumentParser, default: object) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--api", metavar="URL", default=default, help="server address")
    group.add_argument("--key", metavar="KEY", default=default, help="API key")
    group.add_argument("--home", metavar="DIR", default=default, help="modelport home folder")


def build_parser() -> argparse.ArgumentParser:
    # The global flags work before or after the verb: SUPPRESS keeps a verb's parser from
    # overwriting a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    _global_flags(common, argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="modelport",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_flags(parser, None)
    parser.add_argument("--version", action="version", version=f"modelport {_version()}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in (serve, scaffold, algorithms, convert, calls, stream, data, accounts):
        module.register(sub, common)
    return parser


def _version() -> str:
    try:
        return metadata.version("modelport")
    except metadata.PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    """Run one command; the exit status. ``transport`` lets tests stand in for the server."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_REFUSED
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return EXIT_REFUSED
    session = Session(args, transport=transport)
    try:
        return int(args.run(session))
    except AlgorithmError as exc:
        session.err(f"{exc.error_type}: {exc.message}")
        if exc.stacktrace and exc.error_type != "InputError":  # bad input: the message is all
            session.err(exc.stacktrace.rstrip())
        return EXIT_FAILED
    except BuildFailed as exc:
        logs = str(exc.details.get("logs") or "").rstrip()
        if logs:
            session.err(logs)
        session.err(f"modelport: error: {exc.message}")
        return EXIT_FAILED
    except SampleMismatch as exc:
        session.err(f"modelport: error: {exc.message}")
        return EXIT_FAILED
    except ModelportError as exc:
        session.err(f"modelport: error: {exc.message}")
        return EXIT_REFUSED
    except BrokenPipeError:  # e.g. `modelport builds x/y | head -1`
        _silence_stdout()
        return EXIT_FAILED
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        session.err(f"modelport: error: {where}{exc.strerror or exc}")
        return EXIT_REFUSED
    except KeyboardInterrupt:
        session.err("modelport: interrupted")
        return 130
    except Exception as exc:
        if os.environ.get("MODELPORT_DEBUG"):
            raise
        session.err(
            f"modelport: unexpected error: {type(exc).__name__}: {exc}"
            " (set MODELPORT_DEBUG=1 to see the traceback)"
        )
        return EXIT_FAILED
    finally:
        session.close()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())

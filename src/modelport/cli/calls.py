"""``modelport call``: send JSON, text or bytes to an algorithm and print what it answers.

modelport call alice/digits/0.1.* -i '{"x": 1}'
echo '{"x": 1}' | modelport call alice/digits        # JSON on stdin is sent as JSON
base64 img.jpg | modelport call alice/ssd            # other UTF-8 text is sent as text
modelport call alice/ssd -f img.jpg -o boxes.json    # a file is sent as bytes
modelport call alice/ssd --url https://x/img.jpg     # sent as {"url": ...}
modelport call alice/ssd -f img.jpg --render out.jpg # the image with the boxes drawn
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from modelport.cli.session import Session, Subparsers
from modelport.client import Response
from modelport.client.calls import Output, Render
from modelport.core.names import AlgorithmRef
from modelport.errors import InvalidInput

DESCRIPTION = """\
Call an algorithm. REF is OWNER/NAME[/VERSION]; VERSION is latest (default),
latestPrivate, 1.2.3, 1.2.*, 1.* or a build hash.

Input: -i JSON, --text TEXT, -f FILE (bytes; - for stdin) or --url URL (sent as
{"url": URL}, for vision algorithms). Without them stdin is read: JSON is sent as
JSON, other UTF-8 text as text (one trailing newline dropped), anything else as bytes.

--render OUT.jpg|OUT.png asks for the input image with the detections (or the top
label) drawn, and writes it to OUT; a result with nothing to draw is printed.

Output: JSON results pretty-printed, text as is, bytes raw (-o FILE to save).
Exit status: 0 ok, 1 the algorithm failed (its error and stack trace go to
stderr; for an InputError, the message alone), 2 the platform refused the call."""


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "call",
        parents=[common],
        help="call an algorithm with JSON, text or bytes",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("ref", metavar="REF", help="OWNER/NAME[/VERSION]")
    source = p.add_mutually_exclusive_group()
    source.add_argument("-i", "--input", metavar="JSON", help="JSON input")
    source.add_argument("--text", metavar="TEXT", help="text input, sent as text/plain")
    source.add_argument("-f", "--file", metavar="FILE", help="send a file's bytes (- for stdin)")
    source.add_argument("--url", metavar="URL", help='send {"url": URL} (an image to fetch)')
    p.add_argument("--timeout", type=float, metavar="S", help="seconds before the call fails")
    p.add_argument("--stdout", action="store_true", help="show what the algorithm printed")
    p.add_argument(
        "--raw", action="store_true", help="ask for the bare result (output=raw); JSON on one line"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the result to FILE")
    p.add_argument(
        "--render",
        metavar="OUT",
        help="write the input image with the result drawn to OUT (.png: PNG, else JPEG)",
    )
    p.set_defaults(run=run)


def read_input(session: Session) -> object:
    """The call's input from the flags, else from stdin."""
    args = session.args
    if args.input is not None:
        try:
            return json.loads(args.input)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"-i is not valid JSON: {exc}; use --text to send text") from None
    if args.text is not None:
        return str(args.text)
    if args.file is not None:
        return session.read_stdin() if args.file == "-" else Path(args.file).read_bytes()
    if args.url is not None:
        return {"url": str(args.url)}
    if session.stdin.isatty():
        raise InvalidInput("no input: pass -i JSON, --text TEXT or -f FILE, or pipe data in")
    return sniff(session.read_stdin())


def sniff(data: bytes) -> object:
    """Stdin bytes as JSON data, else text, else bytes.

    >>> sniff(b'{"x": 1}\\n'), sniff(b"aGk=\\n"), sniff(b"\\xff\\xd8")
    ({'x': 1}, 'aGk=', b'\\xff\\xd8')
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text.removesuffix("\n")


def run(session: Session) -> int:
    args = session.args
    ref = AlgorithmRef.parse(args.ref)
    data = read_input(session)
    output: Output | None = "raw" if args.raw else None
    render: Render | None = None
    if args.render is not None:
        if args.raw:
            raise InvalidInput("--render cannot be combined with --raw")
        render = "png" if args.render.lower().endswith(".png") else "jpeg"
    response = (
        session.client()
        .algo(ref)
        .pipe(
            data,
            timeout=args.timeout,
            stdout=args.stdout,
            output=output,
            render=render or False,
        )
    )
    if args.stdout and response.stdout:
        session.stderr.write(
            response.stdout if response.stdout.endswith("\n") else response.stdout + "\n"
        )
    if render is not None:
        if isinstance(response.result, bytes) and (response.content_type or "").startswith(
            "image/"
        ):
            Path(args.render).write_bytes(response.result)
            session.err(f"wrote {len(response.result)} bytes to {args.render}")
            return 0
        else:
            session.err("nothing to draw: the result is not detections or a classification")
    show(session, response, raw=args.raw, path=args.output)
    return 0


def render(result: object, *, raw: bool = False) -> bytes:
    """A result as the bytes the CLI prints."""
    if isinstance(result, bytes):
        return result
    if isinstance(result, str):
        return result.encode("utf-8")
    if raw:
        return json.dumps(result, ensure_ascii=False).encode("utf-8")
    return json.dumps(result, indent=2, ensure_ascii=False).encode("utf-8")


def show(session: Session, response: Response, *, raw: bool, path: str | None) -> None:
    body = render(response.result, raw=raw)
    if path:
        Path(path).write_bytes(body)
        session.err(f"wrote {len(body)} bytes to {path}")
    elif isinstance(response.result, bytes):
        if session.stdout.isatty():
            session.err(f"binary result ({len(body)} bytes): save it with -o FILE or a pipe")
        else:
            session.write_bytes(body)
    else:
        session.write_bytes(body if body.endswith(b"\n") else body + b"\n")

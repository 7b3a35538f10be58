from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from modelport.cli.main import main
from tests.cli.conftest import Cli
from tests.client.fake_api import FakeApi, error

CALL = "/v1/algo/alice/digits/0.1.*"


def ok(result: object, content_type: str = "json", **meta: object) -> httpx.Response:
    metadata = {"content_type": content_type, "duration": 0.01, **meta}
    return httpx.Response(200, json={"result": result, "metadata": metadata})


@pytest.fixture
def echo(api: FakeApi) -> FakeApi:
    api.on("POST", CALL, ok({"y": 2}))
    return api


@pytest.mark.parametrize(
    ("stdin", "content_type", "body"),
    [
        (b'{"x": 1}\n', "application/json", b'{"x": 1}'),
        (b"aGVsbG8=\n", "text/plain; charset=utf-8", b"aGVsbG8="),
        (b"two\nlines\n", "text/plain; charset=utf-8", b"two\nlines"),
        (b"\xff\xd8\xff\xe0jpeg", "application/octet-stream", b"\xff\xd8\xff\xe0jpeg"),
    ],
)
def test_stdin_is_sent_as_json_text_or_bytes(
    cli: Cli, echo: FakeApi, stdin: bytes, content_type: str, body: bytes
) -> None:
    result = cli("call", "alice/digits/0.1.*", stdin=stdin)
    assert result.code == 0, result.err
    assert echo.last().headers["content-type"] == content_type
    assert echo.last().content == body
    assert echo.last().headers["authorization"] == "Simple secret"


def test_flags_choose_the_input_kind(cli: Cli, echo: FakeApi, tmp_path: Path) -> None:
    (tmp_path / "img.jpg").write_bytes(b"\xff\xd8")
    for argv, content_type, body in [
        (["-i", '{"x": 1}'], "application/json", b'{"x": 1}'),
        (["--text", '{"x": 1}'], "text/plain; charset=utf-8", b'{"x": 1}'),
        (["-f", str(tmp_path / "img.jpg")], "application/octet-stream", b"\xff\xd8"),
    ]:
        assert cli("call", "alice/digits/0.1.*", *argv).code == 0
        assert (echo.last().headers["content-type"], echo.last().content) == (content_type, body)


def test_json_results_are_pretty_printed(cli: Cli, echo: FakeApi) -> None:
    assert cli("call", "alice/digits/0.1.*", "-i", '{"x": 1}').text == '{\n  "y": 2\n}\n'


def test_text_results_are_printed_as_is(cli: Cli, api: FakeApi) -> None:
    api.on("POST", CALL, ok("hello", "text"))
    assert cli("call", "alice/digits/0.1.*", "--text", "x").text == "hello\n"


def test_binary_results_go_to_stdout_raw_or_to_a_file(
    cli: Cli, api: FakeApi, tmp_path: Path
) -> None:
    api.on("POST", CALL, ok(base64.b64encode(b"\x89PNG\x00").decode(), "binary"))
    assert cli("call", "alice/digits/0.1.*", "-i", "1").out == b"\x89PNG\x00"
    result = cli("call", "alice/digits/0.1.*", "-i", "1", "-o", str(tmp_path / "out.png"))
    assert (result.out, (tmp_path / "out.png").read_bytes()) == (b"", b"\x89PNG\x00")


def test_raw_asks_for_the_bare_result_and_prints_one_line(cli: Cli, api: FakeApi) -> None:
    api.on("POST", CALL, httpx.Response(200, json={"y": [1, 2]}))
    assert cli("call", "alice/digits/0.1.*", "-i", "1", "--raw").text == '{"y": [1, 2]}\n'
    assert api.last().url.params["output"] == "raw"


def test_stdout_of_the_algorithm_goes_to_stderr(cli: Cli, api: FakeApi) -> None:
    api.on("POST", CALL, ok(1, stdout="loading...\n"))
    result = cli("call", "alice/digits/0.1.*", "-i", "1", "--stdout", "--timeout", "7")
    assert (result.text, result.err) == ("1\n", "loading...\n")
    assert dict(api.last().url.params) == {"timeout": "7", "stdout": "true"}


@pytest.mark.parametrize(
    ("error_type", "trace_shown"), [("AlgorithmError", True), ("InputError", False)]
)
def test_an_algorithm_error_prints_type_message_and_trace(
    cli: Cli, api: FakeApi, error_type: str, trace_shown: bool
) -> None:
    """A failure prints its type and message, and the stack trace unless the input was bad
    (then the trace is the algorithm's business, and the message says what to fix)."""
    api.json(
        "POST",
        CALL,
        {
            "error": {
                "message": "x must be a number",
                "error_type": error_type,
                "stacktrace": "Traceback (most recent call last):\n  ...",
            }
        },
    )
    result = cli("call", "alice/digits/0.1.*", "-i", '{"x": "one"}')
    assert result.code == 1
    assert result.out == b""
    trace = "\nTraceback (most recent call last):\n  ...\n" if trace_shown else "\n"
    assert result.err == f"{error_type}: x must be a number{trace}"


def test_a_platform_error_is_one_line_and_exit_2(cli: Cli, api: FakeApi) -> None:
    api.on(
        "POST",
        CALL,
        error(404, "version_not_found", "no published version of alice/digits matches 0.1.*"),
    )
    result = cli("call", "alice/digits/0.1.*", "-i", "1")
    assert result.code == 2
    assert result.err == "modelport: error: no published version of alice/digits matches 0.1.*\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["call", "digits", "-i", "1"], "expected OWNER/NAME[/VERSION]"),
        (["call", "alice/digits", "-i", "{x}"], "-i is not valid JSON"),
        (
            ["call", "alice/digits", "-f", "/no/such/file"],
            "/no/such/file: No such file or directory",
        ),
    ],
)
def test_local_mistakes_are_one_line(cli: Cli, argv: list[str], message: str) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert message in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def test_no_input_from_a_terminal_is_refused(cli: Cli) -> None:
    result = cli("call", "alice/digits", stdin=None)
    assert (result.code, result.err) == (
        2,
        "modelport: error: no input: pass -i JSON, --text TEXT or -f FILE, or pipe data in\n",
    )


def test_global_flags_work_before_and_after_the_verb(cli: Cli, api: FakeApi) -> None:
    api.on("POST", CALL, ok(1))
    assert cli("--key", "k1", "call", "alice/digits/0.1.*", "-i", "1").code == 0
    assert api.last().headers["authorization"] == "Simple k1"
    assert (
        cli("call", "alice/digits/0.1.*", "-i", "1", "--api", "http://other:1", "--key", "k2").code
        == 0
    )
    assert (api.last().url.host, api.last().headers["authorization"]) == ("other", "Simple k2")


def test_an_unreachable_server_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--api", "http://127.0.0.1:9", "call", "alice/digits", "-i", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("modelport: error: cannot reach http://127.0.0.1:9")
    assert err.count("\n") == 1

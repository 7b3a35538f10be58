from __future__ import annotations

import base64

import httpx
import pytest

from modelport import errors
from modelport.client import AlgorithmError, Client
from tests.client.fake_api import ADDRESS, FakeApi, error

CALL = "/v1/algo/alice/digits/0.1.*"


def ok(result: object, content_type: str = "json", **meta: object) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "result": result,
            "metadata": {"content_type": content_type, "duration": 0.01, **meta},
        },
    )


def test_the_key_is_sent_in_the_simple_form(api: FakeApi, client: Client) -> None:
    api.on("POST", CALL, ok({"y": 2}))
    client.algo("alice/digits/0.1.*").pipe({"x": 1})
    assert api.last().headers["authorization"] == "Simple secret"


def test_no_key_sends_no_authorization_header(api: FakeApi) -> None:
    api.on("POST", CALL, ok(None))
    with Client(api_address=ADDRESS, transport=api.transport) as client:
        client.algo("alice/digits/0.1.*").pipe(None)
    assert "authorization" not in api.last().headers


@pytest.mark.parametrize(
    ("given", "content_type", "body"),
    [
        ({"x": 1}, "application/json", b'{"x": 1}'),
        ([1, 2], "application/json", b"[1, 2]"),
        (3, "application/json", b"3"),
        (None, "application/json", b"null"),
        ("hello", "text/plain; charset=utf-8", b"hello"),
        ('{"looks": "like json"}', "text/plain; charset=utf-8", b'{"looks": "like json"}'),
        (b"\xff\xd8", "application/octet-stream", b"\xff\xd8"),
        (bytearray(b"ab"), "application/octet-stream", b"ab"),
    ],
)
def test_each_input_kind_has_its_content_type(
    api: FakeApi, client: Client, given: object, content_type: str, body: bytes
) -> None:
    api.on("POST", CALL, ok(None))
    client.algo("alice/digits/0.1.*").pipe(given)
    assert api.last().headers["content-type"] == content_type
    assert api.last().content == body


def test_an_input_that_is_not_json_data_is_refused_locally(client: Client) -> None:
    with pytest.raises(errors.InvalidInput, match="cannot send a set"):
        client.algo("alice/digits").pipe({1, 2})


def test_json_and_text_results(api: FakeApi, client: Client) -> None:
    api.on("POST", CALL, ok({"y": 2}), ok("hi", "text"))
    response = client.algo("alice/digits/0.1.*").pipe({"x": 1})
    assert (response.result, response.content_type, response.duration) == ({"y": 2}, "json", 0.01)
    assert client.algo("alice/digits/0.1.*").pipe("x").result == "hi"


def test_binary_results_are_decoded_to_bytes(api: FakeApi, client: Client) -> None:
    api.on("POST", CALL, ok(base64.b64encode(b"\x00\xffpng").decode(), "binary"))
    assert client.algo("alice/digits/0.1.*").pipe(b"in").result == b"\x00\xffpng"


def test_options_become_query_parameters(api: FakeApi, client: Client) -> None:
    api.on("POST", CALL, ok(1, stdout="printed\n"))
    response = client.algo("alice/digits/0.1.*").pipe(1, timeout=5, stdout=True)
    assert dict(api.last().url.params) == {"timeout": "5", "stdout": "true"}
    assert response.stdout == "printed\n"


def test_raw_output_is_the_bare_body(api: FakeApi, client: Client) -> None:
    api.on(
        "POST",
        CALL,
        httpx.Response(200, json={"y": 2}),
        httpx.Response(200, text="hi"),
        httpx.Response(200, content=b"\x00", headers={"content-type": "application/octet-stream"}),
    )
    algo = client.algo("alice/digits/0.1.*")
    assert algo.pipe(1, output="raw").result == {"y": 2}
    assert api.last().url.params["output"] == "raw"
    assert algo.pipe(1, output="raw").result == "hi"
    assert algo.pipe(1, output="raw").result == b"\x00"


def test_void_output_answers_the_request_id(api: FakeApi, client: Client) -> None:
    api.json("POST", CALL, {"async": "void", "request_id": "req-1"})
    response = client.algo("alice/digits/0.1.*").pipe(1, output="void")
    assert response.result is None
    assert response.metadata["request_id"] == "req-1"


def test_an_algorithm_error_raises_algorithm_error(api: FakeApi, client: Client) -> None:
    api.json(
        "POST",
        CALL,
        {
            "error": {
                "message": "x must be a number",
                "error_type": "InputError",
                "stacktrace": "Traceback ...",
                "stack_trace": "Traceback ...",
            },
            "metadata": {"duration": 0.001},
        },
    )
    with pytest.raises(AlgorithmError) as caught:
        client.algo("alice/digits/0.1.*").pipe({"x": "one"})
    assert (caught.value.message, caught.value.error_type) == ("x must be a number", "InputError")
    assert caught.value.stacktrace == "Traceback ..."
    assert isinstance(caught.value, errors.ModelportError)
    assert caught.value.code == "algorithm_error"


def test_a_bare_string_error_and_the_algorithmia_trace_key(api: FakeApi, client: Client) -> None:
    api.on(
        "POST",
        CALL,
        httpx.Response(200, json={"error": "boom"}),
        httpx.Response(200, json={"error": {"message": "m", "stack_trace": "t"}}),
    )
    with pytest.raises(AlgorithmError, match="boom"):
        client.algo("alice/digits/0.1.*").pipe(1)
    with pytest.raises(AlgorithmError) as caught:
        client.algo("alice/digits/0.1.*").pipe(1)
    assert (caught.value.error_type, caught.value.stacktrace) == ("AlgorithmError", "t")


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (401, "unauthorized", errors.Unauthorized),
        (403, "forbidden", errors.Forbidden),
        (404, "version_not_found", errors.VersionNotFound),
        (404, "algorithm_not_found", errors.AlgorithmNotFound),
        (400, "invalid_json", errors.InvalidJSON),
        (400, "sample_mismatch", errors.SampleMismatch),
        (413, "payload_too_large", errors.PayloadTooLarge),
        (415, "unsupported_content_type", errors.UnsupportedContentType),
        (503, "busy", errors.Busy),
        (500, "internal", errors.ModelportError),
        (418, "a_code_from_the_future", errors.ModelportError),
    ],
)
def test_platform_errors_raise_the_class_their_code_names(
    api: FakeApi, client: Client, status: int, code: str, cls: type[errors.ModelportError]
) -> None:
    api.on("POST", CALL, error(status, code, f"the {code} message"))
    with pytest.raises(cls) as caught:
        client.algo("alice/digits/0.1.*").pipe(1)
    assert type(caught.value) is cls
    assert caught.value.message == f"the {code} message"


def test_an_error_without_a_code_maps_by_status(api: FakeApi, client: Client) -> None:
    api.json("POST", CALL, {"error": {"message": "authorization required"}}, status=401)
    with pytest.raises(errors.Unauthorized, match="authorization required"):
        client.algo("alice/digits/0.1.*").pipe(1)


def test_a_non_json_error_keeps_the_status_and_text(api: FakeApi, client: Client) -> None:
    api.on("POST", CALL, httpx.Response(502, text="<html>Bad   gateway</html>"))
    with pytest.raises(errors.ModelportError, match=r"HTTP 502: <html>Bad gateway</html>"):
        client.algo("alice/digits/0.1.*").pipe(1)


def test_an_unreachable_server_says_so() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        Client("k", ADDRESS, transport=httpx.MockTransport(refuse)) as client,
        pytest.raises(errors.ModelportError, match="is `modelport serve` running"),
    ):
        client.algo("alice/digits").pipe(1)


def test_a_bad_reference_is_refused_locally(client: Client) -> None:
    with pytest.raises(errors.InvalidName):
        client.algo("digits")

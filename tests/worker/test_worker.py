"""The frame format and the user-contract code, without processes."""

from __future__ import annotations

import io
import json

import pytest

from modelport.worker import protocol
from modelport.worker.program import Program, decode_input, encode_output
from modelport.worker.protocol import Kind
from tests.adapters.runtime.harness import ALGORITHMS


def test_frames_round_trip() -> None:
    calls = {"calls": [[1, "json", False, 3]]}  # id, content type, stdout, size
    frame = protocol.pack(Kind.CALLS, calls, [b"[1]"])
    stream = io.BytesIO(frame + protocol.pack(Kind.SHUTDOWN, {}))
    assert protocol.read_frame(stream) == (Kind.CALLS, calls, b"[1]")
    assert protocol.read_frame(stream) == (Kind.SHUTDOWN, {}, b"")
    assert protocol.read_frame(stream) is None


def test_truncated_frame_is_end_of_stream() -> None:
    frame = protocol.pack(Kind.RESULTS, {"results": []}, [b"abcdef"])
    assert protocol.read_frame(io.BytesIO(frame[:-2])) is None


def test_inputs_decode_like_the_adk() -> None:
    assert decode_input("json", b'{"a": [1]}') == {"a": [1]}
    assert decode_input("text", "héllo".encode()) == "héllo"
    assert decode_input("binary", b"\x00\xff") == b"\x00\xff"


@pytest.mark.parametrize(
    ("value", "kind", "encoded"),
    [
        ({"a": 1}, "json", b'{"a":1}'),
        (None, "json", b"null"),
        ("héllo", "text", json.dumps("héllo").encode()),
        (b"\x00\xff", "binary", b'"AP8="'),
        (bytearray(b"ab"), "binary", b'"YWI="'),
    ],
)
def test_outputs_encode_as_json_values(value: object, kind: str, encoded: bytes) -> None:
    assert encode_output(value) == (kind, encoded)


def test_unserialisable_result_names_its_type() -> None:
    program = Program(str(ALGORITHMS), "unserialisable.py:apply", module_name="_t_unserialisable")
    program.load()
    outcome = program.run_one("json", b"1", capture=False)
    assert outcome.error is not None
    assert outcome.error[:2] == ("result is not JSON-serialisable: Matrix", "AlgorithmError")


def test_stack_traces_start_in_user_code() -> None:
    program = Program(str(ALGORITHMS), "raises.py:apply", module_name="_t_raises")
    program.load()
    outcome = program.run_one("text", b"boom", capture=False)
    assert outcome.error is not None
    message, error_type, trace = outcome.error
    assert (message, error_type) == ("bad input", "AlgorithmError")
    assert trace.startswith("Traceback") and "raises.py" in trace
    assert "program.py" not in trace


def test_apply_batch_with_too_few_outputs_fails_every_call() -> None:
    program = Program(str(ALGORITHMS), "bad_batch.py:apply", module_name="_t_bad_batch")
    program.load()
    outcomes = program.run_batch([("json", b"1", False), ("json", b"2", True)])
    assert [o.error[0] if o.error else None for o in outcomes] == [
        "apply_batch returned 1 outputs for 2 inputs"
    ] * 2
    assert [o.stdout for o in outcomes] == [None, ""]


def test_a_bad_input_in_a_batch_fails_only_its_own_call() -> None:
    program = Program(str(ALGORITHMS), "picky_batch.py:apply", module_name="_t_picky_batch")
    program.load()
    calls = [("text", b"a", False), ("text", b"bad", False), ("text", b"c", False)]
    outcomes = program.run_batch(calls)
    assert [o.body for o in outcomes][::2] == [b'"A"', b'"C"']
    assert [o.error[0] if o.error else None for o in outcomes] == [None, "bad input", None]


def test_runs_as_batch_only_for_batchable_frames_of_several_calls() -> None:
    assert protocol.runs_as_batch(True, 2)
    assert not protocol.runs_as_batch(True, 1)
    assert not protocol.runs_as_batch(False, 16)

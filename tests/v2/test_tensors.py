"""Parsing v2 inference requests in the gateway: JSON, binary buffers, raw bodies."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from modelport.errors import InvalidInput
from modelport.http.v2_tensors import Tensor, check_inputs, parse_request, unpack_inputs

MODEL = [Tensor("a", "INT32", [-1, 2]), Tensor("b", "BOOL", [3])]


def framed(head: dict[str, Any], *buffers: bytes) -> tuple[bytes, int]:
    text = json.dumps(head).encode()
    return text + b"".join(buffers), len(text)


def test_mixed_binary_and_json_inputs() -> None:
    head: dict[str, Any] = {
        "id": 7,
        "inputs": [
            {
                "name": "a",
                "datatype": "INT32",
                "shape": [2, 2],
                "parameters": {"binary_data_size": 16},
            },
            {"name": "b", "datatype": "BOOL", "shape": [3], "data": [[True], [False], [True]]},
        ],
        "parameters": {"binary_data_output": True},
        "outputs": [{"name": "x"}, {"name": "y", "parameters": {"binary_data": False}}],
    }
    body, size = framed(head, struct.pack("<4i", 1, 2, 3, 4))
    parsed = parse_request(body, size, MODEL)
    check_inputs(parsed.inputs, MODEL)
    assert parsed.id == "7"
    assert [(o.name, o.binary) for o in parsed.outputs] == [("x", True), ("y", False)]
    a, b = unpack_inputs(parsed.inputs)
    assert base64.b64decode(a["raw"]) == struct.pack("<4i", 1, 2, 3, 4)
    assert b["data"] == [True, False, True]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            [{"name": "a", "datatype": "INT32", "shape": [1, 2], "data": [1, 2]}],
            "missing input 'b'",
        ),
        ([{"name": "a", "datatype": "INT32", "shape": [1, 3], "data": [1, 2, 3]}], "shape [1, 3]"),
        ([{"name": "a", "datatype": "INT32", "shape": [1, 2], "data": [1]}], "has 1 values"),
        ([{"name": "a", "datatype": "FP32", "shape": [1, 2], "data": [1, 2]}], "must be INT32"),
        ([{"name": "c", "datatype": "FP32", "shape": [1], "data": [1]}], "unexpected input 'c'"),
        ([{"name": "a", "datatype": "INT32", "shape": [-1, 2], "data": []}], "non-negative"),
    ],
)
def test_bad_inputs_are_explained(inputs: list[dict[str, object]], message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        body = json.dumps({"inputs": inputs}).encode()
        check_inputs(parse_request(body, None, MODEL).inputs, MODEL)


def test_binary_sizes_must_add_up() -> None:
    head: dict[str, Any] = {
        "inputs": [
            {
                "name": "a",
                "datatype": "INT32",
                "shape": [1, 2],
                "parameters": {"binary_data_size": 8},
            }
        ]
    }
    body, size = framed(head, bytes(4))
    with pytest.raises(InvalidInput, match="binary_data_size 8"):
        parse_request(body, size, MODEL)
    body, size = framed(head, bytes(12))
    with pytest.raises(InvalidInput, match="4 bytes after"):
        parse_request(body, size, MODEL)
    head["inputs"][0]["parameters"] = {"binary_data_size": 4}
    body, size = framed(head, bytes(4))
    with pytest.raises(InvalidInput, match="has 4 bytes"):
        check_inputs(parse_request(body, size, MODEL).inputs, MODEL[:1])


def test_a_raw_body_is_one_input_of_batch_one() -> None:
    model = [Tensor("x", "FP32", [-1, 4])]
    parsed = parse_request(bytes(16), 0, model)
    assert [(i.name, i.shape, len(i.raw or b"")) for i in parsed.inputs] == [("x", [1, 4], 16)]
    assert parsed.all_outputs(["y"])[0].binary
    with pytest.raises(InvalidInput, match="exactly one input"):
        parse_request(bytes(16), 0, MODEL)

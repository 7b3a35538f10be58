"""Open Inference Protocol tensors in the gateway: parse and check requests, without numpy.

The gateway never decodes tensor values: JSON ``data`` is flattened and passed on, binary
buffers are sliced off the body and passed on as base64; the worker builds the arrays.

>>> t = Tensor("input", "FP32", [-1, 3])
>>> parse_request(b'{"inputs": []}', 100, [t])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
modelport.errors.InvalidInput: Inference-Header-Content-Length is 100, but the body has 14 ...
>>> body = b'{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3],"data":[[1,2,3]]}]}'
>>> parsed = parse_request(body, None, [t])
>>> check_inputs(parsed.inputs, [t])
>>> unpack_inputs(parsed.inputs)
[{'name': 'input', 'datatype': 'FP32', 'shape': [1, 3], 'data': [1, 2, 3]}]
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from typing import Any

from modelport.errors import InvalidInput

SIZES = {
    "BOOL": 1, "UINT8": 1, "UINT16": 2, "UINT32": 4, "UINT64": 8, "INT8": 1, "INT16": 2,
    "INT32": 4, "INT64": 8, "FP16": 2, "FP32": 4, "FP64": 8, "BYTES": 0,
}  # fmt: skip
HEADER = "Inference-Header-Content-Length"


@dataclass(frozen=True, slots=True)
class Tensor:
    """A model's tensor: ``-1`` marks a dynamic dimension."""

    name: str
    datatype: str
    shape: list[int]


@dataclass(frozen=True, slots=True)
class Input:
    name: str
    datatype: str
    shape: list[int]
    raw: bytes | None
    data: list[Any] | None


@dataclass(frozen=True, slots=True)
class Output:
    name: str
    binary: bool


@dataclass(frozen=True, slots=True)
class Parsed:
    id: str | None
    inputs: list[Input]
    outputs: list[Output]
    binary_default: bool

    def all_outputs(self, names: list[str]) -> list[Output]:
        """No ``outputs`` asked for: all of them, binary if ``binary_data_output``."""
        return [Output(name, self.binary_default) for name in names]


def b64decode(text: str) -> bytes:
    return base64.b64decode(text)


def _object(value: object, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return value


def _shape(value: object, name: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in value
    ):
        raise InvalidInput(f"input {name!r}: shape must be a list of non-negative integers")
    return list(value)


def _flatten(value: object) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    out: list[Any] = []
    for item in value:
        out.extend(_flatten(item))
    return out


def parse_request(body: bytes, header_length: int | None, model: list[Tensor]) -> Parsed:
    """An inference request: JSON, or a JSON header and binary buffers (Triton's extension)."""
    if header_length == 0:
        return _raw_request(body, model)
    if header_length is None:
        header_length = len(body)
    if not 0 < header_length <= len(body):
        raise InvalidInput(
            f"{HEADER} is {header_length}, but the body has {len(body)} bytes"
            " and the JSON header must fit"
        )
    try:
        head = json.loads(body[:header_length])
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InvalidInput(f"the inference request is not valid JSON: {reason}") from None
    head = _object(head, "the inference request")
    binary, offset = body[header_length:], 0
    raw_inputs = head.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise InvalidInput('the request needs "inputs": a list of tensors')
    inputs = []
    for entry in raw_inputs:
        item = _object(entry, "each input")
        name, datatype = item.get("name"), item.get("datatype")
        if not isinstance(name, str) or not isinstance(datatype, str):
            raise InvalidInput('each input needs a "name" and a "datatype"')
        shape = _shape(item.get("shape"), name)
        size = _object(item.get("parameters"), f"input {name!r} parameters").get("binary_data_size")
        if size is not None:
            if not isinstance(size, int) or size < 0 or offset + size > len(binary):
                raise InvalidInput(
                    f"input {name!r}: binary_data_size {size} is more than the"
                    f" {len(binary) - offset} bytes left after the JSON header"
                )
            inputs.append(Input(name, datatype, shape, binary[offset : offset + size], None))
            offset += size
        elif "data" in item:
            inputs.append(Input(name, datatype, shape, None, _flatten(item["data"])))
        else:
            raise InvalidInput(f'input {name!r} has neither "data" nor binary_data_size')
    if offset != len(binary):
        raise InvalidInput(f"{len(binary) - offset} bytes after the last binary input")
    params = _object(head.get("parameters"), "parameters")
    default = params.get("binary_data_output", False) is True
    outputs = []
    for entry in head.get("outputs") or []:
        item = _object(entry, "each output")
        if not isinstance(item.get("name"), str):
            raise InvalidInput('each output needs a "name"')
        binary_data = _object(item.get("parameters"), "output parameters").get("binary_data")
        outputs.append(
            Output(item["name"], default if binary_data is None else binary_data is True)
        )
    request_id = head.get("id")
    return Parsed(None if request_id is None else str(request_id), inputs, outputs, default)


def _raw_request(body: bytes, model: list[Tensor]) -> Parsed:
    """``Inference-Header-Content-Length: 0``: the body is one input's bytes, batch 1."""
    if len(model) != 1:
        raise InvalidInput("a raw binary request needs a model with exactly one input")
    tensor = model[0]
    shape = [1 if i == 0 and d < 0 else d for i, d in enumerate(tensor.shape)]
    size = SIZES.get(tensor.datatype, 0)
    unknown = [i for i, d in enumerate(shape) if d < 0]
    if tensor.datatype == "BYTES":
        shape = [1]
    elif len(unknown) == 1 and size:
        known = math.prod(d for d in shape if d >= 0) * size
        if not known or len(body) % known:
            raise InvalidInput(f"{len(body)} bytes do not make a {tensor.datatype} tensor")
        shape[unknown[0]] = len(body) // known
    elif unknown:
        raise InvalidInput(f"input {tensor.name!r} has too many dynamic dimensions for raw bytes")
    inputs = [Input(tensor.name, tensor.datatype, shape, body, None)]
    return Parsed(None, inputs, [], True)


def check_inputs(inputs: list[Input], model: list[Tensor]) -> None:
    """Each of the model's inputs given once, with its datatype and a shape it accepts."""
    expected = {t.name: t for t in model}
    seen: set[str] = set()
    for given in inputs:
        tensor = expected.get(given.name)
        if tensor is None:
            raise InvalidInput(
                f"unexpected input {given.name!r}: the model's inputs are {sorted(expected)}"
            )
        if given.name in seen:
            raise InvalidInput(f"input {given.name!r} is given twice")
        seen.add(given.name)
        if given.datatype != tensor.datatype:
            raise InvalidInput(
                f"input {given.name!r} must be {tensor.datatype}, got {given.datatype}"
            )
        if not _fits(given.shape, tensor.shape):
            raise InvalidInput(
                f"input {given.name!r} has shape {given.shape}, but the model takes"
                f" {tensor.shape} (-1: any size)"
            )
        count = math.prod(given.shape)
        if given.data is not None and len(given.data) != count:
            raise InvalidInput(
                f"input {given.name!r} has {len(given.data)} values, its shape {given.shape}"
                f" needs {count}"
            )
        size = SIZES.get(given.datatype, 0)
        if given.raw is not None and size and len(given.raw) != count * size:
            raise InvalidInput(
                f"input {given.name!r} has {len(given.raw)} bytes, its shape {given.shape}"
                f" of {given.datatype} needs {count * size}"
            )
    missing = sorted(set(expected) - seen)
    if missing:
        raise InvalidInput(
            f"missing input {missing[0]!r}: the model's inputs are {sorted(expected)}"
        )


def _fits(given: list[int], wanted: list[int]) -> bool:
    return len(given) == len(wanted) and all(
        w < 0 or w == g for g, w in zip(given, wanted, strict=True)
    )


def unpack_inputs(inputs: list[Input]) -> list[dict[str, Any]]:
    """The inputs as the worker's ``{"v2": {"inputs": [...]}}`` takes them."""
    out: list[dict[str, Any]] = []
    for given in inputs:
        item: dict[str, Any] = {
            "name": given.name,
            "datatype": given.datatype,
            "shape": given.shape,
        }
        if given.raw is not None:
            item["raw"] = base64.b64encode(given.raw).decode("ascii")
        else:
            item["data"] = given.data
        out.append(item)
    return out

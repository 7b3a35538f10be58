"""``/v2/…``: the Open Inference Protocol (KServe v2 / Triton HTTP) for model-file algorithms.

The unmodified ``tritonclient.http`` client works, binary tensors included. A model is an
algorithm ``owner/name``: tritonclient quotes the name with ``/`` kept, so
``client.infer("admin/colours", …)`` asks for ``/v2/models/admin/colours/infer`` (``%2F`` works
too); ``versions/{v}`` takes any modelport version spec (``1.2.3``, ``1.*``, ``latest``, a build
hash). Inference keeps the worker model unchanged: each request is ONE JSON call
``{"v2": {...}}`` that the generated algorithm answers from its raw ONNX session (see
``templates/image_classification/onnx_model.py.tmpl``, ``Model.apply_tensors``). Tensor
metadata is asked for once per build and cached here. Errors are ``{"error": "message"}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from modelport.core.calls import ContentType
from modelport.errors import InvalidInput, ModelportError
from modelport.http.auth import caller_on_loop
from modelport.http.bodies import read_body
from modelport.http.statuses import STATUS_BY_CODE
from modelport.http.v2_tensors import Tensor, b64decode, check_inputs, parse_request, unpack_inputs
from modelport.services.platform import Platform
from modelport.services.principal import Principal

try:
    VERSION = package_version("modelport")
except PackageNotFoundError:  # a source tree that is not installed
    VERSION = "0.0.0"
router = APIRouter(prefix="/v2", tags=["open inference protocol"])
EXTENSIONS = ["binary_tensor_data", "model_configuration", "model_repository"]
HEADER = "inference-header-content-length"
_TYPES = {
    "BOOL": "TYPE_BOOL",
    "UINT8": "TYPE_UINT8",
    "UINT16": "TYPE_UINT16",
    "UINT32": "TYPE_UINT32",
    "UINT64": "TYPE_UINT64",
    "INT8": "TYPE_INT8",
    "INT16": "TYPE_INT16",
    "INT32": "TYPE_INT32",
    "INT64": "TYPE_INT64",
    "FP16": "TYPE_FP16",
    "FP32": "TYPE_FP32",
    "FP64": "TYPE_FP64",
    "BYTES": "TYPE_STRING",
}


class V2Error(Exception):
    """An answer ``{"error": message}`` with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True, slots=True)
class Model:
    """A resolved ``owner/name[/version]``: its build, the version to report, its tensors."""

    name: str
    owner: str
    algorithm: str
    spec: str | None
    version: str
    sha: str
    inputs: list[Tensor]
    outputs: list[Tensor]


_metadata: dict[str, tuple[list[Tensor], list[Tensor]]] = {}  # by build hash


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def _caller(request: Request) -> Principal:
    caller = await caller_on_loop(request)
    caller.require("algo:call")
    return caller


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status)


async def _answer(work: Callable[[], Awaitable[Response]]) -> Response:
    """Every failure as ``{"error": message}``: 400 for bad requests, 404 for unknown models."""
    try:
        return await work()
    except V2Error as exc:
        return _error(exc.status, exc.message)
    except ModelportError as exc:
        return _error(STATUS_BY_CODE.get(exc.code, 500), exc.message)


async def _call(
    platform: Platform, caller: Principal, model: Model | None, owner: str, name: str,
    version: str | None, request: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """One call of the algorithm with ``{"v2": request}``; the ``v2`` part of its answer."""
    body = json.dumps({"v2": request}).encode()
    target = model.sha if model is not None and caller.owns(owner) else version
    result = await platform.calls.call(caller, owner, name, target, ContentType.JSON, body)
    label = f"{owner}/{name}"
    if result.error is not None:
        raise V2Error(500, f"{label} failed: {result.error.error_type}: {result.error.message}")
    answer = json.loads(result.result_json)
    part = answer.get("v2") if isinstance(answer, dict) else None
    if not isinstance(part, dict):
        raise V2Error(
            400,
            f"{label} does not speak the tensor protocol: deploy a model file"
            " (modelport deploy MODEL.onnx) to serve it on /v2",
        )
    if "error" in part:
        raise V2Error(400, f"{label}: {part['error']}")
    return part


async def _model(request: Request, owner: str, name: str, version: str | None) -> Model:
    platform, caller = _platform(request), await _caller(request)
    resolved = (await platform.calls.target(caller, owner, name, version)).resolved
    sha = resolved.build.commit_sha
    label = str(resolved.version.semver) if resolved.version is not None else sha
    tensors = _metadata.get(sha)
    if tensors is None:
        pinned = sha if caller.owns(owner) else version  # the build just resolved, if allowed
        part = await _call(platform, caller, None, owner, name, pinned, {"metadata": True})
        tensors = (_tensors(part.get("inputs")), _tensors(part.get("outputs")))
        if len(_metadata) > 1_000:
            _metadata.clear()
        _metadata[sha] = tensors
    return Model(f"{owner}/{name}", owner, name, version, label, sha, *tensors)


def _tensors(value: object) -> list[Tensor]:
    malformed = V2Error(500, "the algorithm's tensor metadata is malformed")
    if not isinstance(value, list):
        raise malformed
    try:
        return [
            Tensor(str(t["name"]), str(t["datatype"]), [int(d) for d in t["shape"]]) for t in value
        ]
    except (KeyError, TypeError, ValueError):
        raise malformed from None


def _describe(tensors: list[Tensor]) -> list[dict[str, Any]]:
    return [{"name": t.name, "datatype": t.datatype, "shape": t.shape} for t in tensors]


# --- server ---------------------------------------------------------------------------------


@router.get("")
async def server_metadata() -> dict[str, Any]:
    return {"name": "modelport", "version": VERSION, "extensions": EXTENSIONS}


@router.get("/health/live")
async def live() -> dict[str, bool]:
    return {"live": True}


@router.get("/health/ready")
async def ready(request: Request) -> Response:
    try:
        ok = await asyncio.to_thread(_platform(request).ready)
    except Exception as exc:
        return _error(503, f"not ready: {type(exc).__name__}")
    return JSONResponse({"ready": ok}, 200 if ok else 503)


@router.post("/repository/index")
async def repository_index(request: Request) -> Response:
    """The algorithms the caller may call, each with its newest published version."""

    async def work() -> Response:
        platform, caller = _platform(request), await _caller(request)

        def index() -> list[dict[str, str]]:
            rows = []
            for algorithm in platform.registry.visible(caller):
                versions = platform.registry.versions(algorithm)
                rows.append(
                    {
                        "name": f"{algorithm.owner}/{algorithm.name}",
                        "version": str(versions[0].semver) if versions else "",
                        "state": "READY" if versions else "UNAVAILABLE",
                        "reason": "" if versions else "no published version",
                    }
                )
            return rows

        return JSONResponse(await asyncio.to_thread(index))

    return await _answer(work)


# --- models: each route with and without /versions/{version} --------------------------------


def _both(path: str, method: str = "GET") -> Callable[[Any], Any]:
    def register(fn: Any) -> Any:
        router.add_api_route("/models/{owner}/{name}" + path, fn, methods=[method])
        router.add_api_route(
            "/models/{owner}/{name}/versions/{version}" + path, fn, methods=[method]
        )
        return fn

    return register


@_both("")
async def model_metadata(
    request: Request, owner: str, name: str, version: str | None = None
) -> Response:
    async def work() -> Response:
        model = await _model(request, owner, name, version)
        return JSONResponse(
            {
                "name": model.name,
                "versions": [model.version],
                "platform": "onnxruntime_onnx",
                "inputs": _describe(model.inputs),
                "outputs": _describe(model.outputs),
            }
        )

    return await _answer(work)


@_both("/ready")
async def model_ready(
    request: Request, owner: str, name: str, version: str | None = None
) -> Response:
    async def work() -> Response:
        model = await _model(request, owner, name, version)
        return JSONResponse({"name": model.name, "ready": True})

    return await _answer(work)


@_both("/config")
async def model_config(
    request: Request, owner: str, name: str, version: str | None = None
) -> Response:
    """A Triton ``ModelConfig``; ``max_batch_size`` 0, so dims include the batch dimension."""

    async def work() -> Response:
        model = await _model(request, owner, name, version)

        def config(tensors: list[Tensor]) -> list[dict[str, Any]]:
            return [
                {"name": t.name, "data_type": _TYPES.get(t.datatype, t.datatype), "dims": t.shape}
                for t in tensors
            ]

        return JSONResponse(
            {
                "name": model.name,
                "platform": "onnxruntime_onnx",
                "backend": "onnxruntime",
                "max_batch_size": 0,
                "input": config(model.inputs),
                "output": config(model.outputs),
            }
        )

    return await _answer(work)


@_both("/infer", "POST")
async def infer(request: Request, owner: str, name: str, version: str | None = None) -> Response:
    async def work() -> Response:
        platform = _platform(request)
        model = await _model(request, owner, name, version)
        body = await read_body(request, platform.max_body_bytes)
        raw_header = request.headers.get(HEADER)
        try:
            header_length = int(raw_header) if raw_header is not None else None
        except ValueError:
            raise InvalidInput(f"{HEADER} must be a number, got {raw_header!r}") from None
        parsed = parse_request(body, header_length, model.inputs)
        check_inputs(parsed.inputs, model.inputs)
        known = {t.name for t in model.outputs}
        for wanted in parsed.outputs:
            if wanted.name not in known:
                raise InvalidInput(
                    f"{model.name} has no output {wanted.name!r}: it has {sorted(known)}"
                )
        outputs = parsed.outputs or parsed.all_outputs([t.name for t in model.outputs])
        part = await _call(
            platform, await _caller(request), model, owner, name, version,
            {
                "inputs": unpack_inputs(parsed.inputs),
                "outputs": [{"name": o.name, "binary": o.binary} for o in outputs],
            },
        )  # fmt: skip
        return _response(model, parsed.id, part.get("outputs") or [])

    return await _answer(work)


def _response(model: Model, request_id: str | None, outputs: list[dict[str, Any]]) -> Response:
    head: dict[str, Any] = {"model_name": model.name, "model_version": model.version}
    if request_id is not None:
        head["id"] = request_id
    described, buffers = [], []
    for out in outputs:
        tensor: dict[str, Any] = {k: out[k] for k in ("name", "datatype", "shape")}
        if "raw" in out:
            data = b64decode(out["raw"])
            tensor["parameters"] = {"binary_data_size": len(data)}
            buffers.append(data)
        else:
            tensor["data"] = out.get("data", [])
        described.append(tensor)
    head["outputs"] = described
    text = json.dumps(head).encode()
    if not buffers:
        return Response(text, 200, media_type="application/json")
    return Response(
        text + b"".join(buffers),
        200,
        {"Inference-Header-Content-Length": str(len(text))},
        "application/octet-stream",
    )

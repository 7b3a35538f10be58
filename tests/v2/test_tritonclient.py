"""The Open Inference Protocol (/v2) with the unmodified ``tritonclient.http`` client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped, unused-ignore]
import pytest
import tritonclient.http as triton  # type: ignore[import-untyped]
from tritonclient.utils import InferenceServerException  # type: ignore[import-untyped]

from tests.fixtures.server import Live
from tests.modelfile.conftest import Deploy
from tests.modelfile.models import colour_classifier, constant_detector

MODEL = "admin/v2colours"


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return colour_classifier(tmp_path_factory.mktemp("v2") / "colours.onnx")


@pytest.fixture(scope="module")
def sha(live: Live, deploy_model: Deploy, onnx_file: Path) -> str:
    labels = onnx_file.parent / "labels.txt"
    labels.write_text("red\ngreen\nblue\nother\n")
    flags = ["--task", "image-classification", "--labels", str(labels), "--name", MODEL]
    digest = deploy_model(onnx_file, *flags)
    live.publish("v2colours")
    return digest


@pytest.fixture(scope="module")
def headers(live: Live) -> dict[str, str]:
    """Pass a copy each time: ``infer`` adds Inference-Header-Content-Length to the dict given."""
    return {"Authorization": f"Simple {live.key}"}


@pytest.fixture(scope="module")
def client(live: Live, sha: str) -> Any:
    c = triton.InferenceServerClient(url=live.url.removeprefix("http://"))
    yield c
    c.close()


def expected(onnx_file: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(["logits"], {"input": x})[0])


def batch(n: int = 2) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.random((n, 3, 32, 32), dtype=np.float32)


def test_server_health_and_metadata(client: Any, headers: dict[str, str]) -> None:
    assert client.is_server_live()
    assert client.is_server_ready()
    meta = client.get_server_metadata(headers=dict(headers))
    assert meta["name"] == "modelport"
    assert "binary_tensor_data" in meta["extensions"]


def test_model_ready_metadata_and_config(client: Any, headers: dict[str, str], sha: str) -> None:
    assert client.is_model_ready(MODEL, headers=dict(headers))
    assert client.is_model_ready(MODEL, "0.1.0", headers=dict(headers))
    assert client.is_model_ready(MODEL, sha, headers=dict(headers))
    meta = client.get_model_metadata(MODEL, headers=dict(headers))
    assert meta["name"] == MODEL
    assert meta["versions"] == ["0.1.0"]
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 3, 32, 32]}]
    assert meta["outputs"] == [{"name": "logits", "datatype": "FP32", "shape": [-1, 4]}]
    assert client.get_model_metadata(MODEL, sha, headers=dict(headers))["versions"] == [sha]
    config = client.get_model_config(MODEL, headers=dict(headers))
    assert config["max_batch_size"] == 0
    assert config["input"] == [{"name": "input", "data_type": "TYPE_FP32", "dims": [-1, 3, 32, 32]}]
    assert config["output"][0]["data_type"] == "TYPE_FP32"


def test_the_name_may_be_percent_encoded(live: Live, sha: str) -> None:
    r = live.http.get("/v2/models/admin%2Fv2colours")
    assert r.status_code == 200, r.text
    assert r.json()["name"] == MODEL


@pytest.mark.parametrize("binary_in", [False, True])
@pytest.mark.parametrize("binary_out", [False, True, None])
def test_infer_matches_onnxruntime(
    client: Any,
    headers: dict[str, str],
    onnx_file: Path,
    binary_in: bool,
    binary_out: bool | None,
) -> None:
    x = batch(3)
    given = triton.InferInput("input", list(x.shape), "FP32")
    given.set_data_from_numpy(x, binary_data=binary_in)
    outputs = None if binary_out is None else [triton.InferRequestedOutput("logits", binary_out)]
    result = client.infer(
        MODEL,
        [given],
        outputs=outputs,
        headers=dict(headers),
        request_id="r1",
        model_version="0.1.0",
    )
    got = result.as_numpy("logits")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected(onnx_file, x), rtol=1e-5, atol=1e-6)
    response = result.get_response()
    assert response["model_name"] == MODEL
    assert response["id"] == "r1"
    binary = binary_out is not False  # no outputs asked for: the client sets binary_data_output
    assert ("data" in response["outputs"][0]) is not binary


def test_repository_index(client: Any, headers: dict[str, str]) -> None:
    index = client.get_model_repository_index(headers=dict(headers))
    row = next(r for r in index if r["name"] == MODEL)
    assert row["state"] == "READY"
    assert row["version"] == "0.1.0"


def test_multiple_outputs_and_integer_datatypes(
    live: Live, deploy_model: Deploy, client: Any, headers: dict[str, str], tmp_path: Path
) -> None:
    values: dict[str, np.ndarray] = {
        "boxes": np.arange(8, dtype=np.float32).reshape(1, 2, 4) / 10,
        "scores": np.array([[0.9, 0.1]], dtype=np.float32),
        "classes": np.array([[1, 7]], dtype=np.int64),
    }
    model = constant_detector(tmp_path / "det.onnx", values, size=8)
    sha = deploy_model(model, "--task", "object-detection", "--name", "admin/v2det")
    meta = client.get_model_metadata("admin/v2det", sha, headers=dict(headers))
    assert meta["inputs"] == [{"name": "images", "datatype": "FP32", "shape": [1, 3, 8, 8]}]
    assert [o["datatype"] for o in meta["outputs"]] == ["FP32", "FP32", "INT64"]
    given = triton.InferInput("images", [1, 3, 8, 8], "FP32")
    given.set_data_from_numpy(np.zeros((1, 3, 8, 8), np.float32))
    wanted = [
        triton.InferRequestedOutput("classes", binary_data=True),
        triton.InferRequestedOutput("scores", binary_data=False),
    ]
    result = client.infer("admin/v2det", [given], sha, outputs=wanted, headers=dict(headers))
    np.testing.assert_array_equal(result.as_numpy("classes"), values["classes"])
    np.testing.assert_allclose(result.as_numpy("scores"), values["scores"])
    assert result.as_numpy("boxes") is None
    assert [o["name"] for o in result.get_response()["outputs"]] == ["classes", "scores"]


def raises(status: int, fn: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(InferenceServerException) as info:
        fn(*args, **kwargs)
    assert info.value.status() == str(status), info.value
    return str(info.value.message())


def test_errors(client: Any, headers: dict[str, str]) -> None:
    x = batch(1)
    good = triton.InferInput("input", list(x.shape), "FP32")
    good.set_data_from_numpy(x)
    message = raises(404, client.get_model_metadata, "admin/nosuchmodel", headers=dict(headers))
    assert "nosuchmodel" in message
    raises(404, client.infer, "admin/nosuchmodel", [good], headers=dict(headers))
    assert not client.is_model_ready("admin/nosuchmodel", headers=dict(headers))
    raises(404, client.infer, MODEL, [good], "9.9.9", headers=dict(headers))

    wrong_name = triton.InferInput("pixels", list(x.shape), "FP32")
    wrong_name.set_data_from_numpy(x)
    assert "unexpected input 'pixels'" in raises(
        400, client.infer, MODEL, [wrong_name], headers=dict(headers)
    )

    y = np.zeros((1, 3, 16, 16), np.float32)
    wrong_shape = triton.InferInput("input", list(y.shape), "FP32")
    wrong_shape.set_data_from_numpy(y, binary_data=False)
    message = raises(400, client.infer, MODEL, [wrong_shape], headers=dict(headers))
    assert "shape [1, 3, 16, 16]" in message and "[-1, 3, 32, 32]" in message

    z = x.astype(np.float64)
    wrong_type = triton.InferInput("input", list(z.shape), "FP64")
    wrong_type.set_data_from_numpy(z)
    assert "must be FP32, got FP64" in raises(
        400, client.infer, MODEL, [wrong_type], headers=dict(headers)
    )

    wrong_output = [triton.InferRequestedOutput("probabilities")]
    message = raises(400, client.infer, MODEL, [good], outputs=wrong_output, headers=dict(headers))
    assert "no output 'probabilities'" in message


def test_no_key_is_401(client: Any, live: Live) -> None:
    raises(401, client.get_model_metadata, MODEL)
    x = batch(1)
    given = triton.InferInput("input", list(x.shape), "FP32")
    given.set_data_from_numpy(x)
    raises(401, client.infer, MODEL, [given])
    r = httpx.post(f"{live.url}/v2/models/{MODEL}/infer", json={"inputs": []})
    assert r.status_code == 401
    assert isinstance(r.json()["error"], str)


def test_bad_json_bodies_are_400(live: Live, sha: str) -> None:
    url = f"/v2/models/{MODEL}/infer"
    assert live.http.post(url, content=b"{not json").status_code == 400
    r = live.http.post(url, json={"inputs": [{"name": "input", "datatype": "FP32", "shape": [1]}]})
    assert r.status_code == 400
    assert "neither" in r.json()["error"]
    data = [0.0] * 5
    body = {
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 3, 32, 32], "data": data}]
    }
    r = live.http.post(url, json=body)
    assert r.status_code == 400 and "5 values" in r.json()["error"], r.text

"""``modelport convert``: scikit-learn and PyTorch models to ONNX, with the drift measured."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from modelport.convert.to_onnx import convert, load_torch
from tests.convert.conftest import Run, small_cnn


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.data, data.target


@pytest.mark.parametrize("kind", ["svc", "logistic"])
def test_sklearn_classifier_agrees(
    kind: str, digits: tuple[np.ndarray, np.ndarray], tmp_path: Path, cli: Run
) -> None:
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    x, y = digits
    model = SVC() if kind == "svc" else make_pipeline(StandardScaler(), LogisticRegression())
    model.fit(x[:1200], y[:1200])
    joblib.dump(model, tmp_path / "digits.joblib")
    np.save(tmp_path / "test.npy", x[1200:].astype(np.float32))

    code, out, err = cli(
        "convert", tmp_path / "digits.joblib", "--sample-data", tmp_path / "test.npy",
        "-o", tmp_path / "digits.onnx",
    )  # fmt: skip
    assert code == 0, err
    assert re.search(r"top-1 agreement +100.00%", out), out
    drift = json.loads((tmp_path / "digits.drift.json").read_text())
    assert drift["top1_agreement"] == 1.0
    assert drift["samples"] == len(x) - 1200
    assert drift["operation"] == "convert:sklearn"
    assert drift["max_abs_diff"] < 1e-3

    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp_path / "digits.onnx"))
    labels, scores = session.run(None, {"input": x[1200:1210].astype(np.float32)})
    assert labels.tolist() == model.predict(x[1200:1210]).tolist()
    assert scores.shape == (10, 10)  # zipmap=False: a plain tensor


def test_sklearn_regressor_on_random_rows(tmp_path: Path) -> None:
    import joblib
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 5))
    joblib.dump(Ridge().fit(x, x @ np.arange(5.0)), tmp_path / "ridge.pkl")
    drift = convert(tmp_path / "ridge.pkl", tmp_path / "ridge.onnx")
    assert drift.top1_agreement is None
    assert drift.max_abs_diff < 1e-3
    assert drift.samples == 64


def test_torch_cnn_converts_within_1e4(cnn_onnx: Path) -> None:
    drift = json.loads(cnn_onnx.with_suffix(".drift.json").read_text())
    assert drift["max_abs_diff"] < 1e-4
    assert drift["top1_agreement"] == 1.0
    assert drift["samples"] == 8

    import onnxruntime as ort

    session = ort.InferenceSession(str(cnn_onnx))
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert [o.name for o in session.get_outputs()] == ["output"]
    (out,) = session.run(None, {"input": np.zeros((3, 3, 64, 64), np.float32)})
    assert out.shape == (3, 10)  # the batch axis is dynamic


def test_torchscript_file(tmp_path: Path, cli: Run) -> None:
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():  # TorchScript is deprecated on torch 2.13
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.trace(small_cnn(), torch.zeros(1, 3, 64, 64))
        torch.jit.save(scripted, str(tmp_path / "cnn.pt"))
    assert isinstance(load_torch(tmp_path / "cnn.pt"), torch.jit.ScriptModule)
    code, out, err = cli("convert", tmp_path / "cnn.pt", "--input-shape", "1,3,64,64")
    assert code == 0, err
    assert (tmp_path / "cnn.onnx").is_file()
    assert "Converted" in out and "max abs diff" in out


def test_zero_tolerance_refuses_and_writes_nothing(tmp_path: Path, cli: Run) -> None:
    """A real gate failure: the ONNX scores differ from scikit-learn's by float32 rounding."""
    import joblib
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 20))
    model = LogisticRegression().fit(x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0))
    joblib.dump(model, tmp_path / "m.joblib")
    code, out, err = cli(
        "convert", tmp_path / "m.joblib", "--tolerance", "0", "-o", tmp_path / "m.onnx"
    )
    assert code == 1
    assert "refused: max abs diff" in err and "> --tolerance 0" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "max abs diff" in out  # the drift is still printed
    assert not (tmp_path / "m.onnx").exists()
    assert not (tmp_path / "m.drift.json").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["model.h5"], "cannot convert .h5 files"),
        (["missing.pt", "--input-shape", "1,3,8,8"], "missing.pt: no such file"),
        (["state.pt"], "need --input-shape"),
        (["state.pt", "--input-shape", "1,3,8,8"], "holds a OrderedDict, not a model"),
    ],
)
def test_usage_errors_are_one_line(argv: list[str], message: str, tmp_path: Path, cli: Run) -> None:
    torch = pytest.importorskip("torch")
    (tmp_path / "model.h5").write_bytes(b"x")
    torch.save(small_cnn().state_dict(), tmp_path / "state.pt")
    code, _, err = cli("convert", *[str(tmp_path / argv[0]), *argv[1:]])
    assert code == 2
    assert message in err and err.count("\n") == 1, err

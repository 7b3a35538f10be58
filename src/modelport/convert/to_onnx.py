"""PyTorch and scikit-learn models to ONNX, refused when the outputs drift (docs/vision.md).

``modelport convert model.pt --input-shape 1,3,224,224 -o model.onnx`` and
``modelport convert model.joblib -o model.onnx``. Both run the original and the ONNX model on
sample inputs; past ``tolerance`` (max abs diff) or under ``min_agreement`` (top-1) nothing is
written and :class:`~modelport.convert.drift.DriftExceeded` is raised.

Loading a ``.pt``/``.pth``/``.joblib``/``.pkl`` file unpickles it, which runs code from the
file: convert only files you trust. Needs the ``convert`` extra (skl2onnx, onnx, onnxruntime)
and, for PyTorch, torch.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import joblib
import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.base import is_classifier

from modelport.convert.drift import (
    NEAR_TIE,
    Array,
    Drift,
    compare,
    drift_path,
    top1_agreement,
)
from modelport.errors import InvalidInput

TORCH_SUFFIXES = {".pt", ".pth", ".torchscript"}
SKLEARN_SUFFIXES = {".joblib", ".pkl", ".pickle"}
OPSET = 17
TORCH_SAMPLES = 8
SKLEARN_SAMPLES = 64
SEED = 0


def kind_of(path: Path) -> str:
    """``"torch"`` or ``"sklearn"``, from the file's suffix."""
    suffix = path.suffix.lower()
    if suffix in TORCH_SUFFIXES:
        return "torch"
    if suffix in SKLEARN_SUFFIXES:
        return "sklearn"
    known = ", ".join(sorted(TORCH_SUFFIXES | SKLEARN_SUFFIXES))
    raise InvalidInput(f"{path}: cannot convert {suffix or 'this file'} files (expected {known})")


def convert(
    source: Path,
    output: Path,
    *,
    input_shape: tuple[int, ...] | None = None,
    sample_data: Path | None = None,
    tolerance: float | None = 1e-3,
    min_agreement: float | None = 0.99,
    near_tie: float = NEAR_TIE,
) -> Drift:
    """Convert ``source`` to ONNX at ``output``; the drift, also written to ``*.drift.json``."""
    if not source.is_file():
        raise FileNotFoundError(2, "no such file", str(source))
    kind = kind_of(source)
    with tempfile.TemporaryDirectory(prefix="modelport-convert-") as temp:
        onnx_path = Path(temp) / "model.onnx"
        if kind == "torch":
            if input_shape is None:
                raise InvalidInput("PyTorch models need --input-shape, e.g. 1,3,224,224")
            drift = _torch(source, onnx_path, input_shape, near_tie)
        else:
            drift = _sklearn(source, onnx_path, sample_data)
        drift.operation = f"convert:{kind}"
        drift.extra.update(source=source.name, output=output.name, opset=OPSET)
        drift.check(tolerance, min_agreement)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(onnx_path, output)
    drift.write(output)
    return drift


def run_onnx(path: Path, feed: Array) -> list[Array]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return [np.asarray(o) for o in session.run(None, {name: feed})]


# PyTorch ------------------------------------------------------------------------------------


def load_torch(path: Path) -> Any:
    """A whole pickled ``nn.Module`` or a TorchScript file, in eval mode (trusts the file)."""
    torch = _torch_module()
    with warnings.catch_warnings():  # TorchScript is deprecated on torch 2.13, still loads
        warnings.simplefilter("ignore", DeprecationWarning)
        if _is_torchscript(path):
            model: Any = torch.jit.load(str(path), map_location="cpu")
        else:
            with _importable(path.resolve().parent):
                model = torch.load(str(path), map_location="cpu", weights_only=False)  # nosec
    if not isinstance(model, torch.nn.Module):
        raise InvalidInput(
            f"{path} holds a {type(model).__name__}, not a model: save the whole module "
            "(torch.save(model, path)) or a TorchScript file (torch.jit.save)"
        )
    return model.eval()


@contextlib.contextmanager
def _importable(folder: Path) -> Iterator[None]:
    """The model file's folder on ``sys.path`` while it loads: a whole pickled module names
    its class by import path (``nets.DigitsCNN``), usually a module saved beside it."""
    entry = str(folder)
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added and entry in sys.path:
            sys.path.remove(entry)


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("/constants.pkl") for name in archive.namelist())


def _torch_module() -> ModuleType:
    """torch, or a clear error: it is not in the ``convert`` extra, since the CPU or CUDA
    wheel is the user's choice."""
    try:
        import torch
    except ImportError:
        raise InvalidInput("converting PyTorch models needs torch: pip install torch") from None
    return torch


def _torch(source: Path, onnx_path: Path, input_shape: tuple[int, ...], near_tie: float) -> Drift:
    torch = _torch_module()

    model = load_torch(source)
    generator = torch.Generator().manual_seed(SEED)
    sample = torch.randn((TORCH_SAMPLES, *input_shape[1:]), generator=generator)
    with torch.no_grad():
        expected = _flatten(model(sample))
        with warnings.catch_warnings():  # the TorchScript exporter is deprecated on torch 2.13
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (sample[:1],),
                str(onnx_path),
                input_names=["input"],
                output_names=["output"] if len(expected) == 1 else None,
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
    actual = run_onnx(onnx_path, sample.numpy())
    return compare([e.numpy() for e in expected], actual, near_tie=near_tie)


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _flatten(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _flatten(v)]
    return [value.detach()]


# scikit-learn -------------------------------------------------------------------------------


def load_sklearn(path: Path) -> Any:
    """A pickled scikit-learn estimator or pipeline (trusts the file)."""
    model = joblib.load(path)  # nosec: documented as trusting the file
    if not hasattr(model, "predict"):
        raise InvalidInput(f"{path} holds a {type(model).__name__}, not a fitted estimator")
    return model


def _sklearn(source: Path, onnx_path: Path, sample_data: Path | None) -> Drift:
    model = load_sklearn(source)
    width = getattr(model, "n_features_in_", None)
    if not isinstance(width, int):
        raise InvalidInput(f"{source}: the estimator does not say its width (n_features_in_)")
    if sample_data is not None:
        x = np.load(sample_data, allow_pickle=False).astype(np.float32)
        if x.ndim != 2 or x.shape[1] != width:
            raise InvalidInput(f"{sample_data}: expected shape (N, {width}), got {x.shape}")
    else:
        x = np.random.default_rng(SEED).normal(size=(SKLEARN_SAMPLES, width)).astype(np.float32)
    classifier = bool(is_classifier(model))
    options = {id(_final_step(model)): {"zipmap": False}} if classifier else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skl2onnx's notes on opsets and dtypes
        onx = convert_sklearn(
            model, initial_types=[("input", FloatTensorType([None, width]))], options=options
        )
    onnx_path.write_bytes(onx.SerializeToString())
    actual = run_onnx(onnx_path, x)
    inputs = sample_data.name if sample_data else "random"
    if not classifier:
        return compare(
            [np.asarray(model.predict(x)).reshape(len(x), -1)], actual[:1], inputs=inputs
        )
    scores = _scores(model, x)
    drift = compare([scores], actual[1:2], inputs=inputs) if scores is not None else None
    agreement = top1_agreement(np.asarray(model.predict(x)), actual[0])
    if drift is None:
        drift = Drift(len(x), 0.0, 0.0, agreement, inputs=inputs)
    drift.top1_agreement = agreement  # on labels: predict() may not be the argmax of the scores
    drift.near_tie = drift.decisive_samples = drift.decisive_agreement = None
    return drift


def _final_step(model: Any) -> Any:
    while hasattr(model, "steps"):
        model = model.steps[-1][1]
    return model


def _scores(model: Any, x: Array) -> Array | None:
    """What skl2onnx's second output holds: probabilities, else the decision function."""
    final = _final_step(model)
    if hasattr(final, "predict_proba") and getattr(final, "probability", True):
        return np.asarray(model.predict_proba(x))
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(x))
    return None


__all__ = ["convert", "drift_path", "kind_of", "load_sklearn", "load_torch"]

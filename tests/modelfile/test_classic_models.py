"""scikit-learn ``.joblib`` and OpenCV ``cv2.ml`` SVM files deployed with no code, end to end."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import cv2
import joblib
import numpy as np
import pytest
from PIL import Image
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from modelport.errors import InvalidInput
from modelport.modelfile import ModelOptions, generate, sklearn_version
from tests.modelfile.conftest import Call, Deploy

HELD_OUT = 50  # the last digits are never trained on
SAMPLES = [-1, -7, -13, -22, -40]


def digits() -> Any:
    return load_digits()


def rendered(image: np.ndarray) -> bytes:
    """An 8x8 digit (0-16, ink high) as a 64x64 PNG: dark ink on white."""
    ink = np.kron(image / 16.0, np.ones((8, 8)))
    out = io.BytesIO()
    Image.fromarray(np.round(255 * (1 - ink)).astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def hog_features(image: np.ndarray) -> np.ndarray:
    """What ``--features hog-digits`` computes, from an 8x8 digit: OpenCV's digits tutorial."""
    bright = np.round(255 * np.kron(image / 16.0, np.ones((8, 8)))).astype(np.uint8)
    gray = cv2.resize(bright, (20, 20), interpolation=cv2.INTER_AREA)
    m = cv2.moments(gray)
    if abs(m["mu02"]) >= 1e-2:
        skew = m["mu11"] / m["mu02"]
        matrix = np.array([[1, skew, -0.5 * 20 * skew], [0, 1, 0]], dtype=np.float32)
        flags = cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR
        gray = cv2.warpAffine(gray, matrix, (20, 20), flags=flags)
    hog = cv2.HOGDescriptor(
        (20, 20), (10, 10), (5, 5), (10, 10), 9, 1, -1.0, 0, 0.2, True, 64, True
    )
    return np.asarray(hog.compute(gray), dtype=np.float32).reshape(-1)


@pytest.fixture(scope="module")
def joblib_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    data = digits()
    # a pipeline with probabilities (SVC's probability=True is deprecated in scikit-learn 1.9)
    svc = CalibratedClassifierCV(SVC(gamma=0.001), ensemble=False)
    model = make_pipeline(FunctionTransformer(), svc)
    model.fit(data.data[:-HELD_OUT], data.target[:-HELD_OUT])
    path = tmp_path_factory.mktemp("sklearn") / "digits.joblib"
    joblib.dump(model, path)
    return path, model


@pytest.fixture(scope="module")
def svm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = digits()
    samples = np.stack([hog_features(image) for image in data.images[:-HELD_OUT]])
    svm = cv2.ml.SVM.create()
    svm.setKernel(cv2.ml.SVM_RBF)
    svm.setType(cv2.ml.SVM_C_SVC)
    svm.setC(2.67)
    svm.setGamma(5.383)
    svm.train(samples, cv2.ml.ROW_SAMPLE, data.target[:-HELD_OUT].astype(np.int32))
    path = tmp_path_factory.mktemp("opencv") / "svm.dat"
    svm.save(str(path))
    return path


def test_sklearn_behind_an_image_pipeline(
    joblib_model: tuple[Path, Any], deploy_model: Deploy, call: Call
) -> None:
    path, model = joblib_model
    flags = ["--features", "image:8x8-gray-inverted", "--scale", "16", "--name", "admin/digits"]
    sha = deploy_model(path, *flags)
    data = digits()
    for i in SAMPLES:
        result = call(f"admin/digits/{sha}", rendered(data.images[i]))
        assert result["prediction"] == int(model.predict(data.data[[i]])[0]), result
        assert result["prediction"] == data.target[i]
        probabilities = result["probabilities"]
        assert sorted(probabilities) == [str(d) for d in range(10)]
        assert sum(probabilities.values()) == pytest.approx(1, abs=1e-4)
    wrong = call(f"admin/digits/{sha}", [0.0] * 64)
    assert wrong["error"]["error_type"] == "InputError", wrong


def test_sklearn_as_a_plain_tensor_model(
    joblib_model: tuple[Path, Any], deploy_model: Deploy, call: Call
) -> None:
    path, model = joblib_model
    sha = deploy_model(path, "--name", "admin/digits_plain")
    data = digits()
    for i in SAMPLES[:3]:
        expected = int(model.predict(data.data[[i]])[0])
        for body in (data.data[i].tolist(), {"features": data.data[i].tolist()}):
            assert call(f"admin/digits_plain/{sha}", body)["prediction"] == expected
    for body, words in (([1.0] * 10, "64 features"), ({"x": [1]}, "features"), ("3", "list")):
        result = call(f"admin/digits_plain/{sha}", body)
        assert result["error"]["error_type"] == "InputError", result
        assert words in result["error"]["message"], result


def test_opencv_svm_with_hog_digits(svm_file: Path, deploy_model: Deploy, call: Call) -> None:
    flags = ["--task", "image-classification", "--features", "hog-digits", "--name", "admin/svm"]
    sha = deploy_model(svm_file, *flags)
    data = digits()
    right = 0
    for i in SAMPLES:
        result = call(f"admin/svm/{sha}", rendered(data.images[i]))
        assert set(result) == {"prediction"}, result
        right += result["prediction"] == data.target[i]
    assert right >= 4


def test_opencv_svm_with_raw_vectors(svm_file: Path, deploy_model: Deploy, call: Call) -> None:
    sha = deploy_model(svm_file, "--task", "tensor", "--name", "admin/svm_raw")
    data = digits()
    svm = cv2.ml.SVM.load(str(svm_file))
    for i in SAMPLES[:3]:
        features = hog_features(data.images[i])
        expected = int(svm.predict(features[np.newaxis])[1][0, 0])
        assert call(f"admin/svm_raw/{sha}", {"features": features.tolist()}) == {
            "prediction": expected
        }


def test_generated_folders_and_requirements(
    joblib_model: tuple[Path, Any], svm_file: Path, tmp_path: Path
) -> None:
    import sklearn

    path, _ = joblib_model
    assert sklearn_version(path) == sklearn.__version__
    options = ModelOptions(
        task="image-classification", name="d", features="image:8x8-gray-inverted", scale=16
    )
    folder = generate(path, options, tmp_path / "d")
    manifest = (folder / "modelport.yaml").read_text()
    assert f'["scikit-learn=={sklearn.__version__}", "joblib", "numpy", "pillow"]' in manifest
    settings = json.loads((folder / "settings.json").read_text())
    assert (settings["features"], settings["scale"]) == ("image:8x8-gray-inverted", 16)
    assert "{{" not in (folder / "algorithm.py").read_text()
    folder = generate(svm_file, ModelOptions(task="image-classification", name="s"), tmp_path / "s")
    assert sorted(p.name for p in folder.iterdir()) == [
        "algorithm.py",
        "features.py",
        "labels.txt",
        "model.dat",
        "modelport.yaml",
        "settings.json",
    ]
    assert (
        '["opencv-python-headless>=4.10,<5", "numpy", "pillow"]'
        in (folder / "modelport.yaml").read_text()
    )
    assert json.loads((folder / "settings.json").read_text())["features"] == "hog-digits"


def test_bad_classic_options_are_refused(joblib_model: tuple[Path, Any], tmp_path: Path) -> None:
    path, _ = joblib_model
    for options in (
        ModelOptions(task="image-classification", name="d"),  # which pipeline?
        ModelOptions(task="tensor", name="d", features="image:8x8-colour"),
        ModelOptions(task="object-detection", name="d"),
        ModelOptions(task="tensor", name="d", scale=0),
    ):
        with pytest.raises(InvalidInput):
            generate(path, options, tmp_path / "out")

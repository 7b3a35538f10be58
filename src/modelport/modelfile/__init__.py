"""Deploy a model file with no code: generate an algorithm folder around it.

``modelport deploy mobilenet_v2.onnx --task image-classification --labels imagenet.txt``
writes a normal algorithm folder (``modelport.yaml``, the model, ``labels.txt``,
``settings.json``, ``algorithm.py`` and ``onnx_model.py`` from the templates in
``modelfile/templates/image_classification`` or ``object_detection``) and deploys it like
any other folder, so builds, environments, batching and versions work unchanged.

A TF frozen graph ``.pb`` or Caffe ``.caffemodel`` detector runs on cv2.dnn
(``templates/opencv_dnn``, with ``--config``, generated for TF-OD-API SSDs; see
:mod:`modelport.modelfile.opencv_dnn`).

``--task tensor`` wraps an ONNX model as tensors in, tensors out (``templates/tensor``). A
scikit-learn ``.joblib`` (``templates/sklearn``) or OpenCV ``cv2.ml`` SVM ``.dat``
(``templates/opencv_svm``) is served behind a feature pipeline (``--features``: ``raw``,
``image:WxH-gray[-inverted]`` or ``hog-digits``). Loading a ``.joblib`` unpickles it, which
runs code from the file: deploying one trusts it exactly as loading it locally would.

By concern: ``options`` (what the flags say, checked), ``labels`` (reading a labels file),
``kinds`` (which template serves a model file, and its feature pipeline), ``requirements``
(what the generated environment installs) and ``folder`` (writing the folder from the
templates), beside ``ssd_graph`` (the text graph cv2.dnn needs for a TF-OD-API SSD) and
``opencv_dnn`` (how cv2.dnn runs such a detector).
"""

from modelport.modelfile.folder import IMAGES, SHARED, generate
from modelport.modelfile.kinds import (
    FEATURES,
    IMAGE_FEATURES,
    MODEL_SUFFIXES,
    feature_spec,
    is_model_file,
    template_of,
)
from modelport.modelfile.labels import read_labels
from modelport.modelfile.options import (
    FORMATS,
    IMAGENET_MEAN,
    IMAGENET_STD,
    RESIZES,
    TASKS,
    ModelOptions,
    default_name,
    parse_floats,
)
from modelport.modelfile.requirements import OPENCV, requirements, sklearn_version

__all__ = [
    "FEATURES",
    "FORMATS",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "IMAGES",
    "IMAGE_FEATURES",
    "MODEL_SUFFIXES",
    "OPENCV",
    "RESIZES",
    "SHARED",
    "TASKS",
    "ModelOptions",
    "default_name",
    "feature_spec",
    "generate",
    "is_model_file",
    "parse_floats",
    "read_labels",
    "requirements",
    "sklearn_version",
    "template_of",
]

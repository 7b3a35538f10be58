"""Handwritten digits: a scikit-learn SVC, loaded once per worker from a data collection, fed
by a second algorithm, image_preprocess.

Input: {"url": URL} or {"base64": BASE64}. Output: the digit, e.g. 2.
"""

import joblib

import modelport

MODEL = "data://.my/digits_recognition/digits-classifier.joblib"  # .my in load(): the owner
PREPROCESS = "admin/image_preprocess/1.*"  # your account instead of admin, if it differs


class InputError(Exception):
    error_type = "InputError"  # the caller is told what was wrong, not a stack trace


def load():
    return joblib.load(modelport.data.path(MODEL))


def apply(input, model):
    if not (isinstance(input, dict) and len(input) == 1 and ("url" in input or "base64" in input)):
        raise InputError('expected {"url": "https://..."} or {"base64": "..."}')
    # called as whoever called us, with their rights; errors come back as exceptions
    pixels = modelport.Client().algo(PREPROCESS).pipe(input).result["pixels"]
    return int(model.predict([pixels])[0])

"""Digit classifier: an SVC trained once per worker in load(), answering per call in apply().

Input: {"pixels": [64 numbers 0-16]} (an 8x8 image, row by row). Output: {"prediction": n}.
"""

from sklearn.datasets import load_digits
from sklearn.svm import SVC


class InputError(Exception):
    error_type = "InputError"


def load():
    digits = load_digits()
    return SVC(gamma=0.001).fit(digits.data, digits.target)


def _pixels(input):
    pixels = input.get("pixels") if isinstance(input, dict) else None
    if not isinstance(pixels, list) or len(pixels) != 64:
        raise InputError('expected {"pixels": [64 numbers]} (an 8x8 image, row by row)')
    return pixels


def apply(input, model):
    return {"prediction": int(model.predict([_pixels(input)])[0])}


def apply_batch(inputs, model):
    """Many calls in one predict: what the runner uses under load."""
    predictions = model.predict([_pixels(i) for i in inputs])
    return [{"prediction": int(p)} for p in predictions]

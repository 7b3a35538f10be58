"""Handwritten digits: OpenCV's HOG + SVM, loaded once per worker from a data collection.

Input: {"image": IMAGE}, where IMAGE is a data:// file, an https:// URL, base64 or a data URI
(raw image bytes work too). Output: {"prediction": DIGIT}.
"""

import cv2
import numpy as np
from features import features  # opencv_digits/features.py

import modelport
from modelport.vision import load_image

MODEL = "data://.my/opencv_digits/svm_data.dat"  # in load(), .my is this algorithm's owner


def load():
    """Once per worker, not per call: fetch the model (cached locally) and load it."""
    return cv2.ml.SVM_load(modelport.data.path(MODEL))


def apply(input, svm):
    gray = load_image(input, mode="L")  # any image form, decoded and checked by modelport
    _, predicted = svm.predict(np.float32([features(gray)]))
    return {"prediction": int(predicted[0, 0])}

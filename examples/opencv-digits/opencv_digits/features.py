"""Deskew and HOG, as in OpenCV's digits tutorial. train.py and the algorithm share this file,
so the model is served exactly the features it was trained on."""

import cv2
import numpy as np

SZ = 20  # a digit is 20x20 pixels, white ink on black, in a 2-pixel margin
INNER = 16
HOG = cv2.HOGDescriptor((SZ, SZ), (10, 10), (5, 5), (5, 5), 9, 1, -1.0, 0, 0.2, True, 64, True)


def to_digit(gray):
    """Any grayscale image as a 20x20 digit: 16x16 with bright ink (dark ink on light paper
    is inverted), in a black 2-pixel margin."""
    shrink = gray.shape[0] > INNER or gray.shape[1] > INNER
    small = cv2.resize(
        gray, (INNER, INNER), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    if border.mean() > 127:
        small = 255 - small
    pad = (SZ - INNER) // 2
    return cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)


def deskew(img):
    """Straighten a slanted digit by its second-order moments."""
    m = cv2.moments(img)
    if abs(m["mu02"]) < 1e-2:
        return img.copy()
    skew = m["mu11"] / m["mu02"]
    matrix = np.float32([[1, skew, -0.5 * SZ * skew], [0, 1, 0]])
    return cv2.warpAffine(img, matrix, (SZ, SZ), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


def features(gray):
    """A grayscale uint8 image of any size → the 324 HOG values the SVM takes."""
    return HOG.compute(deskew(to_digit(gray))).reshape(-1)

"""Frames of handwritten digits (scikit-learn's 8x8 ``load_digits``) as a camera would see
them: dark ink on white paper, zoomed and panned. ``clip.py`` films the held-out digits with
it and ``train.py`` trains on the others, preprocessed as the deployed classifier will."""

import cv2
import numpy as np

SIZE = 160  # frame width and height, pixels
INPUT = 16  # the CNN's input size


def frame(digit: np.ndarray, zoom: float = 1.0, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    """One BGR frame with an 8x8 digit (values 0..16) drawn about 100 px tall at ``zoom``."""
    paper = (255 - digit * (255 / 16)).astype(np.float32)
    scale = 100 / 8 * zoom
    shift_x = SIZE / 2 + dx - 4 * scale
    shift_y = SIZE / 2 + dy - 4 * scale
    matrix = np.float32([[scale, 0, shift_x], [0, scale, shift_y]])
    gray = cv2.warpAffine(
        paper,
        matrix,
        (SIZE, SIZE),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=255,
    )
    return cv2.cvtColor(np.clip(gray, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def preprocess(image: np.ndarray) -> np.ndarray:
    """What modelport's image classifier does before the model: shorter side to 16/0.875,
    centre crop 16x16, RGB scaled to [0, 1], ImageNet mean and std, channels first."""
    side = round(INPUT / 0.875)
    small = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
    top = (side - INPUT) // 2
    crop = small[top : top + INPUT, top : top + INPUT, ::-1].astype(np.float32) / 255
    crop = (crop - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    return crop.transpose(2, 0, 1).astype(np.float32)

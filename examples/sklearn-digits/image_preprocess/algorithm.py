"""Image preprocessing for the digits classifier: any image → grayscale → 8x8 → inverted
(dark ink becomes high) → scaled to 0..16, the form of scikit-learn's digits.

Input: {"url": URL} or {"base64": BASE64} (any form modelport.vision.load_image reads).
Output: {"pixels": [64 numbers 0..16]}, row by row.
"""

import numpy as np
from PIL import Image

from modelport.vision import load_image


def apply(input):
    gray = load_image(input, mode="L", as_array=False)
    small = np.asarray(gray.resize((8, 8), Image.BOX), dtype=np.float64)
    pixels = (255.0 - small) * 16.0 / 255.0
    return {"pixels": [round(float(p), 3) for p in pixels.reshape(-1)]}

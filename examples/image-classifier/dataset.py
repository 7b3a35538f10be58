"""Build a folder-per-class image dataset from photos that ship inside scikit-image: nothing
is downloaded. Each class is one texture photo; training crops come from its top three
quarters and held-out crops from the bottom quarter, so no held-out pixel is ever trained on.

    textures/train/brick/000.png ...   textures/valid/gravel/019.png ...
"""

import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance
from skimage import data

CLASSES = ["brick", "grass", "gravel"]  # skimage.data.brick(), .grass(), .gravel(): 512x512
ROOT = Path("textures")
rng = np.random.default_rng(0)


def crops(photo, top, bottom, count):
    """Random square crops (64 to 128 px) between rows top and bottom, flipped and brightened."""
    for _ in range(count):
        size = int(rng.integers(64, 129))
        y = int(rng.integers(top, bottom - size + 1))
        x = int(rng.integers(0, photo.width - size + 1))
        crop = photo.crop((x, y, x + size, y + size))
        if rng.random() < 0.5:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        yield ImageEnhance.Brightness(crop).enhance(float(rng.uniform(0.7, 1.3)))


shutil.rmtree(ROOT, ignore_errors=True)
for label in CLASSES:
    photo = Image.fromarray(getattr(data, label)()).convert("RGB")
    for split, (top, bottom, count) in {"train": (0, 384, 120), "valid": (384, 512, 20)}.items():
        folder = ROOT / split / label
        folder.mkdir(parents=True)
        for i, crop in enumerate(crops(photo, top, bottom, count)):
            crop.save(folder / f"{i:03d}.png")
    if label == "gravel":  # a photo to try the API on, from the held-out bottom quarter
        photo.crop((300, 384, 428, 512)).save("gravel.jpg", quality=90)
print(f"built {ROOT}/: {', '.join(CLASSES)}; 120 training and 20 held-out images each")

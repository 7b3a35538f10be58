"""Train scikit-learn's digits classifier (an SVC, as in scikit-learn's own example), save it
with joblib, write a picture of a 2 to try it on, and pin the algorithm's scikit-learn to the
version that pickled the model."""

from pathlib import Path

import joblib
import numpy as np
import sklearn
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

digits = load_digits()  # 1797 8x8 images, ink 0..16; ships inside scikit-learn
X, y = digits.data, digits.target
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, shuffle=False)
print(f"held-out accuracy: {SVC(gamma=0.001).fit(X_train, y_train).score(X_test, y_test):.2f}")

joblib.dump(SVC(gamma=0.001).fit(X, y), "digits-classifier.joblib")

# a 2 as someone would photograph it: dark ink on white paper, 64x64 pixels
ink = digits.images[2] / 16.0
paper = np.uint8(255 * (1 - ink))
Image.fromarray(paper).resize((64, 64), Image.NEAREST).save("digit_2.png")

# a pickle loads reliably only in the scikit-learn that wrote it
Path("digits_recognition/requirements.txt").write_text(f"scikit-learn=={sklearn.__version__}\n")
print(f"saved digits-classifier.joblib, digit_2.png; pinned scikit-learn=={sklearn.__version__}")

"""Train OpenCV's HOG + SVM digit classifier on scikit-learn's digits (they ship inside the
package: nothing is downloaded), save it as svm_data.dat, and write two images to try it on."""

import cv2
import numpy as np
from opencv_digits.features import INNER, features
from sklearn.datasets import load_digits

digits = load_digits()  # 1797 8x8 digits, ink 0..16
images = [np.uint8(d * 16) for d in digits.images]
data = np.float32([features(img) for img in images])
labels = digits.target.astype(np.int32)


def svm_trained_on(rows):
    svm = cv2.ml.SVM_create()
    svm.setType(cv2.ml.SVM_C_SVC)
    svm.setKernel(cv2.ml.SVM_RBF)
    svm.setC(12.5)
    svm.setGamma(0.5)
    svm.train(data[rows], cv2.ml.ROW_SAMPLE, labels[rows])
    return svm


test = np.arange(len(labels)) % 5 == 0  # every fifth digit held out, to measure
_, predicted = svm_trained_on(~test).predict(data[test])
print(f"held-out accuracy: {(predicted.ravel() == labels[test]).mean():.2f}")

svm_trained_on(np.ones(len(labels), bool)).save("svm_data.dat")  # then learn from all


def picture(image, paper=False):
    """A digit as an 80x80 PNG: white ink on black, or dark ink on white paper."""
    big = cv2.resize(cv2.resize(image, (INNER, INNER)), (80, 80), interpolation=cv2.INTER_NEAREST)
    return 255 - big if paper else big


cv2.imwrite("zero.png", picture(images[0]))  # label 0
cv2.imwrite("two.png", picture(images[2], paper=True))  # label 2
print("saved svm_data.dat, zero.png, two.png")

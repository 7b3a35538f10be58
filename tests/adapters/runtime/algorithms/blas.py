import numpy as np


def load():
    return np.random.default_rng(0).random((300, 300))


def apply(input, matrix):
    return float((matrix @ matrix).sum() > 0) * input

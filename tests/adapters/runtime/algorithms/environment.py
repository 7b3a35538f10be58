import os


def apply(input):
    return dict(os.environ)

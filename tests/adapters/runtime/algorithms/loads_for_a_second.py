import time


def load():
    time.sleep(1)


def apply(input):
    return input

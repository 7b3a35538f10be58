import time


def load():
    time.sleep(30)


def apply(input):
    return input

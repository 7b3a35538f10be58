from helpers import double


def apply(input):
    return double(input)

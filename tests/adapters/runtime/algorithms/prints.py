import sys


def apply(input):
    print("hello from apply")
    print("to stderr", file=sys.stderr)
    return input

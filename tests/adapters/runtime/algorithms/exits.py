import sys


def apply(input):
    if input == "exit":
        sys.exit(3)
    return input

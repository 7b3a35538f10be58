import os
import sys

print("native library failed to initialise", file=sys.stderr, flush=True)
os._exit(5)


def apply(input):
    return input

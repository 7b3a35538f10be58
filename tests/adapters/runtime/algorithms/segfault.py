import ctypes


def apply(input):
    if input == "crash":
        ctypes.string_at(0)
    return input

import os


def apply(input):
    if input == "exit":
        os._exit(7)
    return input

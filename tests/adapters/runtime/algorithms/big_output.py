import os
import struct
import sys
import time


def apply(input):
    if input.get("forge"):  # past the worker's own checks: a frame declaring a gigabyte
        fd = int(sys.argv[sys.argv.index("--fd") + 1])
        os.write(fd, struct.pack("!BII", 3, 2, 2**30) + b"{}")
        time.sleep(30)
    print("y" * input.get("print", 0))
    return "x" * input.get("size", 0)

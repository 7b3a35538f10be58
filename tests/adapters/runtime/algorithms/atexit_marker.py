import atexit
import os
from pathlib import Path


@atexit.register
def _mark():
    Path(os.environ["MARKER"]).write_text("clean exit")


def apply(input):
    return input

import os
import sys


def load():
    # what load() saw, and whether the key is gone once load() has returned
    return {"load_key": os.environ.get("MODELPORT_API_KEY")}


def apply(input, state):
    if input == "exit":
        sys.exit(3)
    return {**state, "now": os.environ.get("MODELPORT_API_KEY")}

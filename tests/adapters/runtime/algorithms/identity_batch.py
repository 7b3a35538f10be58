import os
import time


def apply(input):
    return {"key": os.environ.get("ALGORITHMIA_API_KEY"), "batch": 1}


def apply_batch(inputs):
    time.sleep(0.01)  # long enough for concurrent calls to pile up
    key = os.environ.get("ALGORITHMIA_API_KEY")
    assert key == os.environ.get("MODELPORT_API_KEY")
    return [{"key": key, "batch": len(inputs)} for _ in inputs]

import time

from identity import whoami


def apply(input):
    return {"who": whoami()["authorization"], "batch": 1}


def apply_batch(inputs):
    time.sleep(0.01)  # long enough for concurrent calls to pile up
    who = whoami()["authorization"]
    return [{"who": who, "batch": len(inputs)} for _ in inputs]

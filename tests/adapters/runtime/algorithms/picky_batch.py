def apply(input):
    if input == "bad":
        raise ValueError("bad input")
    return input.upper()


def apply_batch(inputs):
    return [apply(i) for i in inputs]  # one bad input raises for the whole batch

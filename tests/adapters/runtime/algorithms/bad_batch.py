def apply(input):
    return input


def apply_batch(inputs):
    return inputs[:1]  # one output for many inputs: every call of the batch fails

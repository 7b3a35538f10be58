import program  # named like a module of the worker's own folder


def apply(input):
    return program.VALUE

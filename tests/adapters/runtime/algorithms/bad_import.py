import nonexistent_module_for_tests  # noqa: F401


def apply(input):
    return input

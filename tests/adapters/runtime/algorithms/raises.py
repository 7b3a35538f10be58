class InputError(Exception):
    error_type = "InputError"


def apply(input):
    if input == "ok":
        return "ok"
    if input == "custom":
        raise InputError("input must be a number")
    raise ValueError("bad input")

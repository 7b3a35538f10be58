"""The smallest modelport algorithm: text in, text out."""


def apply(input):
    if isinstance(input, dict):
        input = input.get("name", "world")
    return f"Hello {input}"

"""One-file algorithms deployed through the HTTP API by the tests."""

ECHO = {
    "algorithm.py": """
        def apply(input):
            return input
    """
}

RAISES = {
    "algorithm.py": """
        class InputError(Exception):
            error_type = "InputError"

        def apply(input):
            raise InputError("x must be a number")
    """
}

PRINTS = {
    "algorithm.py": """
        def apply(input):
            print("hello from apply")
            return "printed"
    """
}

SLEEPS = {
    "algorithm.py": """
        import time

        def apply(input):
            if isinstance(input, dict) and input.get("sleep"):
                time.sleep(input["sleep"])
            return "awake"
    """
}

BAD_IMPORT = {
    "algorithm.py": """
        import module_that_does_not_exist

        def apply(input):
            return input
    """
}

SCALE = {
    "modelport.yaml": """
        name: scale
        sample:
          input: {"x": 1}
          output: {"y": 2}
    """,
    "algorithm.py": """
        def load():
            return {"scale": 2}

        def apply(input, state):
            return {"y": state["scale"] * input["x"]}
    """,
}

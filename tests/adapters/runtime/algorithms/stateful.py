def load():
    return {"scale": 2}


def apply(input, state):
    return {"y": state["scale"] * input["x"]}

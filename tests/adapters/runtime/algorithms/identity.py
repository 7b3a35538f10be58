import os


def apply(input):
    if input == "set":  # a key the algorithm sets itself must not outlive the call either
        os.environ["MODELPORT_API_KEY"] = "set by the algorithm"
    return [os.environ.get("ALGORITHMIA_API_KEY"), os.environ.get("MODELPORT_API_KEY")]

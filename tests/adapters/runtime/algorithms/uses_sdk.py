import modelport  # not installed in this environment: the worker's own SDK


def apply(input):
    path = modelport.data.path(input)
    with open(path, encoding="utf-8") as file:
        text = file.read()
    echoed = modelport.Client().algo("demo/echo").pipe(text).result
    return {"sdk": modelport.__file__, "path": path, "text": text, "echoed": echoed}

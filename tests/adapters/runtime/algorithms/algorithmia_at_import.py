"""The seed tutorials' pattern: one client made at import, a model read at import."""

import Algorithmia

client = Algorithmia.client()
MODEL = client.file("data://.my/models/model.txt").getString()


def apply(input):
    return {"model": MODEL, "echoed": client.algo("demo/echo").pipe(input).result}

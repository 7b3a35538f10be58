"""modelport: computer-vision models as versioned, secure, fast HTTP APIs.

A complete algorithm, served with ``modelport deploy .``::

    # algorithm.py
    def load():                   # once per worker
        return {"scale": 2}

    def apply(input, state):      # per call
        return {"y": state["scale"] * input["x"]}

    # and from Python, once deployed and published:
    import modelport
    modelport.Client().algo("admin/scale/0.1.*").pipe({"x": 1}).result   # {"y": 2}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from modelport.client import Client


def __getattr__(name: str) -> Any:
    # lazy, so importing modelport (e.g. for settings) does not pull in httpx
    if name == "Client":
        from modelport.client import Client

        return Client
    raise AttributeError(f"module 'modelport' has no attribute {name!r}")


__all__ = ["Client", "__version__"]

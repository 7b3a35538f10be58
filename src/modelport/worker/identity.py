"""Who a worker acts as: the caller of the running call, or the algorithm's owner in ``load()``.

A call's token is a short-lived key acting as the caller: while the call runs it is
``ALGORITHMIA_API_KEY`` and ``MODELPORT_API_KEY`` in ``os.environ``, so ``Algorithmia.client()``
and the in-worker ``modelport`` SDK reach ``data://.my/...`` and other algorithms as the caller.
``load()`` runs with ``MODELPORT_LOAD_KEY``, a read-only key of the owner, removed once it
returns. Standard library only, Python 3.8+.
"""

from __future__ import annotations

import os

KEY_VARIABLES = ("ALGORITHMIA_API_KEY", "MODELPORT_API_KEY")  # the caller's token, per call
LOAD_KEY = "MODELPORT_LOAD_KEY"  # the owner's key for load(), set by the gateway per worker


class Identity:
    """Makes a call's token the API key in ``os.environ`` while it runs.

    ``leave()`` after a call with a token puts back the worker's own values (normally none),
    undoing whatever the call set there too, so no caller's key outlives its call. A call
    without a token costs nothing.
    """

    def __init__(self) -> None:
        self._own = [(name, os.environ.get(name)) for name in KEY_VARIABLES]
        self._entered = False

    def enter(self, token: str) -> None:
        if token:
            self._entered = True
            for name in KEY_VARIABLES:
                os.environ[name] = token

    def leave(self) -> None:
        if self._entered:
            self._entered = False
            for name, value in self._own:
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

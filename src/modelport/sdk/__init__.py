"""modelport inside an algorithm: data files and calls to other algorithms, as the caller.

Workers answer ``import modelport`` with this standard-library-only package (Python 3.8+)
when the build's environment has no modelport installed (one installed there wins); in the
gateway's own tree it is ``modelport.sdk``, and its modules import each other relatively::

    import modelport

    def load():
        return joblib.load(modelport.data.path("data://.my/digits/model.joblib"))

    def apply(input, state):
        features = modelport.Client().algo("alice/features/1.*").pipe(input).result
        return {"prediction": int(state.predict([features])[0])}

While a call runs, ``MODELPORT_API_KEY`` (and ``ALGORITHMIA_API_KEY``) hold a short-lived
token that acts as the caller, and ``MODELPORT_API`` (and ``ALGORITHMIA_API``) the gateway.

``modelport.vision.load_image(input)`` decodes an image from any input form; it imports
Pillow and numpy only when called, so ``import modelport`` stays standard-library only.
"""

from __future__ import annotations

from . import data, vision
from .client import Algo, AlgorithmError, ApiError, Client, Response

__all__ = ["Algo", "AlgorithmError", "ApiError", "Client", "Response", "data", "vision"]

"""modelport inside an algorithm: data files and calls to other algorithms, as the caller.

Workers put this standard-library-only package last on ``sys.path``, so user code can
``import modelport`` without installing it (a modelport installed in the environment wins)::

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

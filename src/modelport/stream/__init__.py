"""Video through an algorithm: ``modelport stream``.

- ``video.py``: sources (files, cameras, RTSP/HTTP streams) read and annotated videos written
  with OpenCV (the ``video`` extra, imported on first use);
- ``pipeline.py``: many calls in flight, answers in input order (``stream(algo, inputs)``).
"""

from modelport.stream.pipeline import Answer, ordered, stream

__all__ = ["Answer", "ordered", "stream"]

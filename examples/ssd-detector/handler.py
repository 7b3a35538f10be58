"""people_handler: the SSDLite person detector as a DCF-style handler.

Handler() runs once per worker and loads the network; each call runs handler(req), where
req.input holds the call's bytes: raw JPEG or PNG bytes, base64 text (`base64 img.jpg |
modelport call ...`), a data URI or {"image": ...}. The answer is one dict per person.
"""

from pathlib import Path

import cv2

from modelport.vision import load_image

HERE = Path(__file__).resolve().parent
SIZE = 300  # the detector's square input
THRESHOLD = 0.5


class Handler:
    def __init__(self):
        # Once per worker, not per call: the TF graph on OpenCV's dnn module, no TensorFlow.
        self.net = cv2.dnn.readNetFromTensorflow(
            str(HERE / "frozen_inference_graph.pb"), str(HERE / "graph.pbtxt")
        )

    def __call__(self, req):
        image = load_image(req.input)  # any image form, decoded in memory: H x W x 3 RGB
        height, width = image.shape[:2]
        # raw 0..255 RGB pixels, stretched to 300x300: the graph scales its own input
        self.net.setInput(cv2.dnn.blobFromImage(image, size=(SIZE, SIZE)))
        rows = self.net.forward().reshape(-1, 7)  # [image, class, score, x0, y0, x1, y1] in 0..1
        people = []
        for _, _, score, x0, y0, x1, y1 in rows:  # one class: person
            if score < THRESHOLD:
                continue
            box = {  # a new dict for each person, each corner from its own coordinate
                "class": "person",
                "confidence": round(float(score), 3),
                "xmin": round(float(max(x0, 0.0)) * width),
                "ymin": round(float(max(y0, 0.0)) * height),
                "xmax": round(float(min(x1, 1.0)) * width),
                "ymax": round(float(min(y1, 1.0)) * height),
            }
            if box["xmax"] > box["xmin"] and box["ymax"] > box["ymin"]:
                people.append(box)
        return people  # a list: the caller gets JSON, no json.dumps needed

"""Run the handler here, before deploying: `python -m pytest -q` in people_handler/."""

import base64
from pathlib import Path
from types import SimpleNamespace

from handler import Handler

HERE = Path(__file__).resolve().parent


def test_one_person_on_the_astronaut():
    text = base64.encodebytes((HERE.parent / "astronaut.jpg").read_bytes())  # as `base64` does
    (person,) = Handler()(SimpleNamespace(input=text))
    assert person["class"] == "person" and person["confidence"] > 0.5
    assert 0 <= person["xmin"] < person["xmax"] <= 512
    assert 0 <= person["ymin"] < person["ymax"] <= 512

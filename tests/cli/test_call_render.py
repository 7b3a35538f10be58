"""``modelport call --render OUT`` and ``--url URL`` against a real gateway."""

from __future__ import annotations

import contextlib
import functools
import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from modelport.cli.main import main
from modelport.client import Client
from modelport.config import Settings
from tests.fixtures.server import Live, free_port, serving
from tests.modelfile.models import colour_classifier, image
from tests.overlays.conftest import call, classifier, deploy_model, detector

__all__ = ["call", "classifier", "deploy_model", "detector"]  # fixtures


def cli(live: Live, home: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = [*argv, "--api", live.url, "--key", live.key, "--home", str(home)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("name", "fmt"), [("out.jpg", "JPEG"), ("out.png", "PNG")])
def test_render_writes_the_drawn_image(
    live: Live, detector: str, tmp_path: Path, name: str, fmt: str
) -> None:
    source = tmp_path / "in.jpg"
    source.write_bytes(image((90, 90, 90), (128, 96)))
    out = tmp_path / name
    code, _, err = cli(live, tmp_path, "call", detector, "-f", str(source), "--render", str(out))
    assert code == 0, err
    with Image.open(out) as drawn:
        assert (drawn.format, drawn.size) == (fmt, (128, 96))


def test_pipe_render_returns_the_image_bytes(live: Live, classifier: str) -> None:
    with Client(live.key, live.url) as client:
        response = client.algo(classifier).pipe(image((220, 20, 20)), render=True)
    assert isinstance(response.result, bytes)
    assert response.content_type == "image/jpeg"
    with Image.open(io.BytesIO(response.result)) as drawn:
        assert drawn.size == (64, 48)


@pytest.fixture(scope="module")
def picture_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("www")
    (folder / "green.png").write_bytes(image((20, 200, 20), fmt="PNG"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/green.png"
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_url_is_sent_as_a_url_object(picture_server: str, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", port=free_port(), allow_private_urls=True)
    with serving(settings) as private:
        labels = tmp_path / "colours.txt"
        labels.write_text("red\ngreen\nblue\nother\n")
        model = colour_classifier(tmp_path / "colours.onnx")
        flags = ["--task", "image-classification", "--labels", str(labels)]
        code, sha, err = cli(private, tmp_path, "build", str(model), *flags, "--name", "admin/c")
        assert code == 0, err
        code, out, err = cli(
            private, tmp_path, "call", f"admin/c/{sha.strip()}", "--url", picture_server
        )
    assert code == 0, err
    assert '"label": "green"' in out

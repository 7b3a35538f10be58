"""A build's requirements, checked before anything installs them.

A requirement names a package on the index (``numpy>=2``), a file or folder inside the
build's own source (``./vendor/tool-1.0-py3-none-any.whl``: rewritten to its absolute path,
so the build's content hash keys its environment), or an ``https://`` archive. What could
make the server read its own files for a tenant is refused with a precise message: absolute
paths and ``file:`` URLs, paths out of the source folder, and option lines such as
``-r /etc/shadow`` (an installer quotes a file it cannot parse in its error), ``-e`` or
``--find-links``. ``--index-url`` and ``--extra-index-url`` with an ``https://`` index are
kept, for indexes such as PyTorch's CPU wheels.
"""

from __future__ import annotations

import re
from pathlib import Path

from modelport.core.manifest import Manifest, parse_requirements
from modelport.errors import InvalidInput

INDEX_OPTIONS = ("--index-url", "--extra-index-url", "-i")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # a scheme: https:, file:, git+ssh:
_DIRECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*@\s*(\S.*)$")
_ARCHIVE = (".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2")


def requirements_of(manifest: Manifest, source_dir: Path) -> tuple[str, ...]:
    """The manifest's requirements (inline, or its requirements file), each checked."""
    where = "modelport.yaml's requirements"
    lines = manifest.requirements
    if not lines:
        name = manifest.requirements_file or "requirements.txt"
        path = (source_dir / name).resolve()
        if not path.is_relative_to(source_dir.resolve()):
            raise InvalidInput(f"requirements file {name!r} is outside the source folder")
        if not path.is_file():
            if manifest.requirements_file:
                raise InvalidInput(f"requirements file {name!r} not found")
            return ()
        where, lines = name, parse_requirements(path.read_text())
    return tuple(checked(line, source_dir, where) for line in lines)


def checked(line: str, source_dir: Path, where: str = "requirements") -> str:
    """``line`` as the installer gets it; ``InvalidInput`` when it may not be installed."""
    if line.startswith("-"):
        return _option(line, where)
    direct = _DIRECT.match(line)  # name @ reference (PEP 508)
    target = direct.group(1) if direct else line
    if _URL.match(target):
        if not target.lower().startswith(("https://", "http://")):
            raise InvalidInput(
                f"{where}: {line!r}: only https:// URLs, index packages and files of the"
                " source folder can be installed"
            )
        return line
    if direct:
        raise InvalidInput(
            f"{where}: {line!r}: name a file of the source folder by its relative path"
            " alone (./vendor/package.whl)"
        )
    if not _is_path(target):
        return line  # a package on the index, with its version and markers
    path = (source_dir / target).resolve()
    if Path(target).is_absolute() or not path.is_relative_to(source_dir.resolve()):
        raise InvalidInput(
            f"{where}: {line!r} is outside the source folder; ship the file in it and name"
            " it by a relative path (./vendor/package.whl)"
        )
    if not path.exists():
        raise InvalidInput(f"{where}: {line!r} is not in the source folder")
    return str(path)


def _is_path(target: str) -> bool:
    return target.startswith((".", "/", "~")) or "/" in target or target.endswith(_ARCHIVE)


def _option(line: str, where: str) -> str:
    option, _, value = line.replace("=", " ", 1).partition(" ")
    value = value.strip()
    if option in INDEX_OPTIONS and value.lower().startswith("https://"):
        return f"{option} {value}"
    raise InvalidInput(
        f"{where}: {line!r}: options other than --index-url or --extra-index-url with an"
        " https:// index are not accepted; list one requirement per line"
    )

"""Account and algorithm names, and the ``owner/name[/version]`` reference."""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelport.errors import InvalidName

_OWNER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_ALGORITHM = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def check_owner(owner: str) -> str:
    if not _OWNER.match(owner):
        raise InvalidName(
            f"invalid account name {owner!r}: use 1-64 letters, digits, '_' or '-',"
            " starting with a letter or digit"
        )
    return owner


def check_algorithm_name(name: str) -> str:
    """Algorithmia's rule, kept so its clients' addresses work: letters, digits and '_'."""
    if not _ALGORITHM.match(name):
        suggestion = re.sub(r"[^A-Za-z0-9_]", "_", name)
        hint = f" ({suggestion!r} would do)" if _ALGORITHM.match(suggestion) else ""
        raise InvalidName(
            f"invalid algorithm name {name!r}: use 1-64 letters, digits or '_',"
            f" starting with a letter{hint}"
        )
    return name


@dataclass(frozen=True, slots=True)
class AlgorithmRef:
    """``owner/name`` plus an optional version spec, as written in calls and the CLI.

    >>> AlgorithmRef.parse("alice/digits/0.1.*")
    AlgorithmRef(owner='alice', name='digits', version='0.1.*')
    """

    owner: str
    name: str
    version: str | None = None

    @classmethod
    def parse(cls, text: str) -> AlgorithmRef:
        text = text.removeprefix("algo://").strip("/")
        parts = text.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidName(f"expected OWNER/NAME[/VERSION], got {text!r}")
        owner, name = check_owner(parts[0]), check_algorithm_name(parts[1])
        return cls(owner, name, parts[2] if len(parts) == 3 else None)

    @property
    def path(self) -> str:
        base = f"{self.owner}/{self.name}"
        return f"{base}/{self.version}" if self.version else base

    def __str__(self) -> str:
        return self.path

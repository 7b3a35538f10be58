"""Semantic versions, bumps, and the version specs a call may name.

>>> SemVer.parse("1.2.3").bump("minor")
SemVer(major=1, minor=3, patch=0)
>>> VersionSpec.parse("1.*").matches(SemVer(1, 4, 0))
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol, TypeVar

from modelport.errors import InvalidVersion

Bump = Literal["major", "minor", "patch"]
_BUMP_ALIASES: dict[str, Bump] = {
    "major": "major",
    "minor": "minor",
    "patch": "patch",
    "revision": "patch",
}
_HASH = re.compile(r"^[0-9a-f]{40}$")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_RANGE = re.compile(r"^(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.\*)?$")


def parse_bump(text: str) -> Bump:
    try:
        return _BUMP_ALIASES[text.lower()]
    except KeyError:
        raise InvalidVersion(f"unknown version bump {text!r}: use major, minor or patch") from None


@dataclass(frozen=True, slots=True, order=True)
class SemVer:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> SemVer:
        m = _SEMVER.match(text)
        if not m:
            raise InvalidVersion(f"invalid semantic version {text!r}: expected MAJOR.MINOR.PATCH")
        return cls(int(m[1]), int(m[2]), int(m[3]))

    def bump(self, kind: Bump) -> SemVer:
        if kind == "major":
            return SemVer(self.major + 1, 0, 0)
        if kind == "minor":
            return SemVer(self.major, self.minor + 1, 0)
        return SemVer(self.major, self.minor, self.patch + 1)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def first_version(kind: Bump) -> SemVer:
    """The version a first publish gets: 1.0.0, 0.1.0 or 0.0.1."""
    return SemVer(0, 0, 0).bump(kind)


class SpecKind(StrEnum):
    LATEST = "latest"
    LATEST_PRIVATE = "latestPrivate"
    EXACT = "exact"
    RANGE = "range"
    BUILD = "build"


P = TypeVar("P", bound="Published")


class Callability(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class Published(Protocol):
    @property
    def semver(self) -> SemVer: ...
    @property
    def callability(self) -> Callability: ...


@dataclass(frozen=True, slots=True)
class VersionSpec:
    """What a caller asked for: ``latest``, ``1.2.3``, ``1.2.*``, ``1.*``, ``latestPrivate`` or a
    40-hex build hash."""

    kind: SpecKind
    text: str
    major: int | None = None
    minor: int | None = None
    patch: int | None = None

    @classmethod
    def parse(cls, text: str | None) -> VersionSpec:
        if text is None or text in ("", "latest"):
            return cls(SpecKind.LATEST, "latest")
        if text == "latestPrivate":
            return cls(SpecKind.LATEST_PRIVATE, text)
        if _HASH.match(text):
            return cls(SpecKind.BUILD, text)
        if m := _SEMVER.match(text):
            return cls(SpecKind.EXACT, text, int(m[1]), int(m[2]), int(m[3]))
        if m := _RANGE.match(text):
            return cls(SpecKind.RANGE, text, int(m[1]), int(m[2]) if m[2] is not None else None)
        raise InvalidVersion(
            f"invalid version {text!r}:"
            " use latest, latestPrivate, 1.2.3, 1.2.*, 1.* or a build hash"
        )

    def matches(self, v: SemVer) -> bool:
        if self.kind in (SpecKind.LATEST, SpecKind.LATEST_PRIVATE):
            return True
        if self.kind == SpecKind.EXACT:
            return (v.major, v.minor, v.patch) == (self.major, self.minor, self.patch)
        if self.kind == SpecKind.RANGE:
            return v.major == self.major and (self.minor is None or v.minor == self.minor)
        return False


def resolve(spec: VersionSpec, versions: Sequence[P], *, owner: bool) -> P | None:
    """Pick the newest published version that ``spec`` admits for this caller.

    Non-owners see public versions only. For the owner, ``latest`` falls back to the newest
    private version when nothing is public, and ``latestPrivate`` means the newest private one.
    Build hashes are resolved by the registry, not here.
    """
    if spec.kind == SpecKind.BUILD:
        return None
    ordered = sorted(versions, key=lambda v: v.semver, reverse=True)
    if spec.kind == SpecKind.LATEST_PRIVATE:
        if not owner:
            return None
        return next((v for v in ordered if v.callability == Callability.PRIVATE), None)
    public = [v for v in ordered if v.callability == Callability.PUBLIC]
    pool = ordered if owner else public
    if spec.kind == SpecKind.LATEST:
        return public[0] if public else (pool[0] if pool else None)
    return next((v for v in pool if spec.matches(v.semver)), None)

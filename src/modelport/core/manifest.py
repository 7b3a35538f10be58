"""``modelport.yaml``: what an algorithm is and how to run it.

The YAML is read by the caller; this module validates the resulting mapping::

    name: digits
    entrypoint: algorithm.py:apply        # or handler.py:Handler (DCF style)
    requirements: [scikit-learn>=1.5]     # or a file: requirements.txt
    python: "3.11"
    timeout: 30                           # seconds per call
    memory: 1GiB                          # per worker
    replicas: 1                           # worker processes
    queue: 64                             # calls waiting per build before 503
    batch: {max_size: 16, max_wait_ms: 2} # used when the module defines apply_batch
    sample: {input: {"x": 1}, output: {"y": 2}}
    input: image                          # what the web UI's try-it offers: image|json|text
    output: detection                     # how it shows results: classification|detection|json
    network: isolated                     # or full: sockets beyond the channel to the gateway
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from modelport.core.names import check_algorithm_name
from modelport.errors import InvalidManifest

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 10**6,
    "mb": 10**6,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gib": 2**30,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_ENTRY = re.compile(r"^[\w./-]+\.py:[A-Za-z_]\w*$")
_PYTHON = re.compile(r"^3\.\d{1,2}$")
OLDEST_PYTHON_MINOR = 8  # the worker (modelport/worker) is written for Python 3.8 and newer
_KNOWN = {
    "name",
    "description",
    "entrypoint",
    "requirements",
    "python",
    "timeout",
    "memory",
    "replicas",
    "queue",
    "batch",
    "sample",
    "env",
    "input",
    "output",
    "network",
}
INPUTS = ("json", "image", "text")
OUTPUTS = ("json", "classification", "detection", "image", "text")
NETWORKS = ("isolated", "full")  # the first is the default


def parse_size(value: object) -> int:
    """``"512MiB"`` → 536870912; plain integers are bytes."""
    if isinstance(value, bool):
        raise InvalidManifest(f"invalid size {value!r}")
    if isinstance(value, int):
        return value
    m = _SIZE.match(str(value))
    if not m or m[2].lower() not in _UNITS:
        raise InvalidManifest(f"invalid size {value!r}: use bytes or a unit like 512MiB or 2GiB")
    return int(float(m[1]) * _UNITS[m[2].lower()])


@dataclass(frozen=True, slots=True)
class Batching:
    max_size: int = 16
    max_wait_ms: float = 2.0


@dataclass(frozen=True, slots=True)
class Manifest:
    name: str
    entrypoint: str = "algorithm.py:apply"
    description: str = ""
    requirements: tuple[str, ...] = ()
    requirements_file: str | None = None
    python: str | None = None
    timeout: float | None = None  # seconds per call; None: the server's default
    memory: int = 2 * 2**30
    replicas: int = 1
    queue: int = 256
    batch: Batching = field(default_factory=Batching)
    has_sample: bool = False
    sample_input: Any = None
    sample_output: Any = None
    env: dict[str, str] = field(default_factory=dict)
    input: str = "json"
    output: str = "json"
    network: str = "isolated"  # full: the worker may open sockets (image URLs, say)

    @property
    def module_file(self) -> str:
        return self.entrypoint.split(":", 1)[0]

    @property
    def attribute(self) -> str:
        return self.entrypoint.split(":", 1)[1]

    @classmethod
    def from_mapping(cls, data: object) -> Manifest:
        if not isinstance(data, dict):
            raise InvalidManifest("modelport.yaml must be a mapping of settings")
        unknown = sorted(set(data) - _KNOWN)
        if unknown:
            raise InvalidManifest(f"unknown setting(s) in modelport.yaml: {', '.join(unknown)}")
        if "name" not in data:
            raise InvalidManifest("modelport.yaml needs a name")
        name = check_algorithm_name(str(data["name"]))
        entry = str(data.get("entrypoint", "algorithm.py:apply"))
        if not _ENTRY.match(entry) or ".." in entry.split("/"):
            raise InvalidManifest(
                f"invalid entrypoint {entry!r}: expected FILE.py:NAME, e.g. algorithm.py:apply"
            )
        reqs, req_file = _requirements(data.get("requirements"))
        python = data.get("python")
        if python is not None and not _PYTHON.match(str(python)):
            raise InvalidManifest(f'invalid python {python!r}: expected e.g. "3.11"')
        if python is not None and int(str(python).split(".")[1]) < OLDEST_PYTHON_MINOR:
            raise InvalidManifest(
                f"python {python} is too old: workers run on Python 3.{OLDEST_PYTHON_MINOR}"
                ' or newer (e.g. "3.11")'
            )
        sample = data.get("sample")
        if sample is not None and (not isinstance(sample, dict) or "input" not in sample):
            raise InvalidManifest("sample must be a mapping with input and output")
        env = data.get("env") or {}
        if not isinstance(env, dict):
            raise InvalidManifest("env must be a mapping of names to values")
        return cls(
            name=name,
            entrypoint=entry,
            description=str(data.get("description", "")),
            requirements=reqs,
            requirements_file=req_file,
            python=str(python) if python is not None else None,
            timeout=_positive(data, "timeout", None, float) if "timeout" in data else None,
            memory=parse_size(data.get("memory", 2 * 2**30)),
            replicas=int(_positive(data, "replicas", 1, int)),
            queue=int(_positive(data, "queue", 256, int)),
            batch=_batching(data.get("batch")),
            has_sample=sample is not None,
            sample_input=sample.get("input") if sample else None,
            sample_output=sample.get("output") if sample else None,
            env={str(k): str(v) for k, v in env.items()},
            input=_choice(data, "input", INPUTS),
            output=_choice(data, "output", OUTPUTS),
            network=_choice(data, "network", NETWORKS),
        )


def _positive(data: dict[str, Any], key: str, default: float | None, kind: type) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidManifest(f"{key} must be a positive number, got {value!r}")
    if kind is int and value != int(value):
        raise InvalidManifest(f"{key} must be a whole number, got {value!r}")
    return float(value)


def _choice(data: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = data.get(key, allowed[0])
    if value not in allowed:
        raise InvalidManifest(f"{key} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _requirements(value: object) -> tuple[tuple[str, ...], str | None]:
    if value is None:
        return (), None
    if isinstance(value, str):
        return (), value
    if isinstance(value, list) and all(isinstance(r, str) for r in value):
        return tuple(value), None
    raise InvalidManifest("requirements must be a list of strings or a file name")


def _batching(value: object) -> Batching:
    if value is None:
        return Batching()
    if not isinstance(value, dict):
        raise InvalidManifest("batch must be a mapping with max_size and max_wait_ms")
    size, wait = value.get("max_size", 16), value.get("max_wait_ms", 2.0)
    if not isinstance(size, int) or size < 1 or not isinstance(wait, int | float) or wait < 0:
        raise InvalidManifest("batch.max_size must be >= 1 and batch.max_wait_ms >= 0")
    return Batching(size, float(wait))


def parse_requirements(text: str) -> tuple[str, ...]:
    """Lines of a requirements file, without comments and blanks."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(line for line in lines if line)

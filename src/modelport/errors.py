"""One exception tree for modelport, each class with a stable string ``code``.

The HTTP layer maps codes to statuses (``modelport.http.statuses``); the client maps
codes back to these classes, so ``except VersionNotFound`` works on both sides.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ModelportError(Exception):
    """Base of every error modelport raises on purpose."""

    code: ClassVar[str] = "internal"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class NotFound(ModelportError):
    code = "not_found"


class AlgorithmNotFound(NotFound):
    code = "algorithm_not_found"


class VersionNotFound(NotFound):
    code = "version_not_found"


class BuildNotFound(NotFound):
    code = "build_not_found"


class AccountNotFound(NotFound):
    code = "account_not_found"


class Unauthorized(ModelportError):
    code = "unauthorized"


class Forbidden(ModelportError):
    code = "forbidden"


class Conflict(ModelportError):
    code = "conflict"


class InvalidInput(ModelportError):
    code = "invalid_input"


class InvalidName(InvalidInput):
    code = "invalid_name"


class InvalidVersion(InvalidInput):
    code = "invalid_version"


class InvalidManifest(InvalidInput):
    code = "invalid_manifest"


class InvalidJSON(InvalidInput):
    code = "invalid_json"


class UnsupportedContentType(ModelportError):
    code = "unsupported_content_type"


class PayloadTooLarge(ModelportError):
    code = "payload_too_large"


class BodyTimeout(ModelportError):
    """The request body stalled: a client that stops sending must not hold the server."""

    code = "body_timeout"


class QuotaExceeded(ModelportError):
    """The account would store more bytes than its quota allows."""

    code = "quota_exceeded"


class StorageError(ModelportError):
    """The file store (disk or S3) refused or failed a request."""

    code = "storage_error"


class Busy(ModelportError):
    """The server cannot take this now (a build's queue is full, too many request bodies are
    being read at once); retry later."""

    code = "busy"


class RateLimited(ModelportError):
    """Too many requests from one client; ``retry_after`` (seconds) says when to retry."""

    code = "rate_limited"


class BuildFailed(ModelportError):
    code = "build_failed"


class BuildInProgress(Conflict):
    code = "build_in_progress"


class SampleMismatch(ModelportError):
    """Publishing refused: the sample input no longer gives the sample output."""

    code = "sample_mismatch"


class EnvironmentFailed(ModelportError):
    code = "environment_failed"


def _all_subclasses(cls: type[ModelportError]) -> list[type[ModelportError]]:
    out: list[type[ModelportError]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


def from_code(code: str, message: str, **details: Any) -> ModelportError:
    """Rebuild the error class a server reported, falling back to the base class."""
    classes: list[type[ModelportError]] = [ModelportError, *_all_subclasses(ModelportError)]
    for cls in classes:
        if cls.code == code:
            return cls(message, **details)
    return ModelportError(message, **details)

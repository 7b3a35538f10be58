"""Who is calling: an account, its key's scopes, its organisations, and the algorithm a
call token acts from; and how an ``Authorization`` header names a key."""

from __future__ import annotations

from dataclasses import dataclass

from modelport.core.model import Account
from modelport.errors import Forbidden, Unauthorized

ALL_SCOPES = frozenset({"algo:call", "algo:manage", "data:read", "data:write", "admin"})
TOKEN_SCOPES = frozenset({"algo:call", "data:read", "data:write"})  # what a call token may carry


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: an account, its key's scopes, the organisations it belongs
    to (names), and ``via``, the ``owner/name`` of the algorithm a call token acts from."""

    account: Account
    scopes: frozenset[str]
    orgs: frozenset[str] = frozenset()
    via: str | None = None
    key_id: str | None = None  # the API key it authenticated with (None: session or token)

    @property
    def is_admin(self) -> bool:
        """An admin account, through a key that carries the ``admin`` scope."""
        return self.account.is_admin and "admin" in self.scopes

    def has(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes

    def lacks(self, scopes: frozenset[str]) -> list[str]:
        """Which of ``scopes`` this key does not have, sorted (none for an admin key)."""
        return sorted(s for s in scopes if not self.has(s))

    def require(self, scope: str) -> None:
        """Raise ``Forbidden`` unless the key has ``scope`` (``admin`` implies every scope)."""
        if not self.has(scope):
            raise Forbidden(f"this API key lacks the {scope!r} scope")

    def owns(self, owner: str) -> bool:
        """May act as ``owner``: an admin, the account itself, or a member of that org."""
        return self.is_admin or owner == self.account.name or owner in self.orgs


SIGN_IN = "authorization required: send 'Authorization: Simple YOUR_API_KEY'"


def token_from_header(authorization: str | None) -> str:
    """``KEY``, ``Simple KEY`` and ``Bearer TOKEN`` all name a key (or a call token)."""
    if not authorization or not authorization.strip():
        raise Unauthorized(SIGN_IN)
    scheme, _, rest = authorization.strip().partition(" ")
    if rest and scheme.lower() in ("simple", "bearer"):
        return rest.strip()
    return authorization.strip()

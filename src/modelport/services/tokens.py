"""Call tokens: short-lived, self-contained keys that let an algorithm act for its caller.

A token reads ``mpt_<payload>.<signature>``: the payload is base64url JSON
``{"a": account id, "s": scopes, "g": "owner/name", "e": expiry, "k": key id}``, signed with
HMAC-SHA256, so checking one needs no query. It lives the call's timeout plus a minute (calls
of one caller through one key share it while it lasts, so the runner can batch them), and no
longer than the secret or the key it was made through (``k``).

Tokens never leave the gateway: a worker's channel adds its call's token to the requests the
worker makes (``adapters/runtime/channel.py``), with a proof header that only channels send,
and a token is accepted only beside that proof (``proof``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from modelport.errors import Unauthorized
from modelport.services.principal import TOKEN_SCOPES

TOKEN_PREFIX = "mpt_"  # noqa: S105  (a marker, not a secret)


@dataclass(frozen=True, slots=True)
class Claims:
    account_id: str
    scopes: frozenset[str]
    algorithm: str
    key_id: str | None  # the API key the call came through; None: a session, or the owner


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CallTokens:
    """Mints and checks call tokens with one secret (random when None: this process only)."""

    def __init__(
        self, secret: bytes | None = None, *, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._wall_clock = wall_clock
        # what channels send beside a token: the same in every gateway sharing the secret
        self.proof = _b64(hmac.digest(self._secret, b"modelport channel", "sha256"))

    def mint(
        self,
        account_id: str,
        scopes: frozenset[str],
        algorithm: str,
        ttl: float,
        key_id: str | None = None,
    ) -> str:
        claims = {"a": account_id, "s": sorted(scopes & TOKEN_SCOPES), "g": algorithm,
                  "e": round(self._wall_clock() + ttl, 3), "k": key_id}  # fmt: skip
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{TOKEN_PREFIX}{payload}.{self._sign(payload)}"

    def verify(self, token: str) -> Claims:
        invalid = Unauthorized("invalid token")
        payload, _, signature = token.removeprefix(TOKEN_PREFIX).partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(payload).encode()):
            raise invalid
        try:
            claims = json.loads(_unb64(payload))
            account_id, via, expiry = str(claims["a"]), str(claims["g"]), claims["e"]
            scopes = frozenset(str(s) for s in claims["s"]) & TOKEN_SCOPES
            key_id = None if claims.get("k") is None else str(claims["k"])
        except (binascii.Error, ValueError, TypeError, KeyError):
            raise invalid from None
        if not isinstance(expiry, int | float) or expiry <= self._wall_clock():
            raise Unauthorized("call token expired: tokens live as long as the call that made them")
        return Claims(account_id, scopes, via, key_id)

    def check_proof(self, proof: str | None) -> None:
        """Raise unless ``proof`` is the channels' header: tokens work from inside calls only."""
        if proof is None or not hmac.compare_digest(proof.encode(), self.proof.encode()):
            raise Unauthorized("a call token works only from inside the call it was made for")

    def _sign(self, payload: str) -> str:
        return _b64(hmac.digest(self._secret, (TOKEN_PREFIX + payload).encode(), "sha256"))

"""The call tokens ``Calls`` mints for user code: one per caller and algorithm, reused while
it outlasts the call (so the runner can batch one caller's calls), then minted again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from modelport.core.model import Account, AccountKind
from modelport.services.calls import Calls
from modelport.services.principal import ALL_SCOPES, Principal


def test_a_token_is_reused_while_it_outlasts_the_call_then_minted_again() -> None:
    minted: list[tuple[str, float]] = []

    def mint(caller: Principal, label: str, ttl: float) -> str:
        minted.append((label, ttl))
        return f"token{len(minted)}"

    now = [100.0]
    unused: Any = None
    calls = Calls(unused, unused, unused, unused, tokens=mint, clock=lambda: now[0])
    alice = Principal(
        Account("a1", "alice", AccountKind.USER, False, datetime.now(UTC)), ALL_SCOPES
    )

    assert calls._token(alice, "alice/algo", 30) == "token1"  # lives 30 + 60 s, until 190
    now[0] = 154.9  # 190 > 154.9 + 30 + 5: it outlasts the call
    assert calls._token(alice, "alice/algo", 30) == "token1"
    assert calls._token(alice, "alice/other", 30) == "token2"  # another algorithm, its own
    now[0] = 155.0  # 190 is not past 155 + 30 + 5: a fresh one
    assert calls._token(alice, "alice/algo", 30) == "token3"
    assert minted == [("alice/algo", 90), ("alice/other", 90), ("alice/algo", 90)]

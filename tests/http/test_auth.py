"""Handlers on the event loop authenticate from the caches, and query the store in a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from modelport.adapters.store import SqlStore, upgrade
from modelport.core.calls import PROOF_HEADER
from modelport.core.model import Account, ApiKey
from modelport.errors import Unauthorized
from modelport.http.auth import authenticate_on_loop
from modelport.services.accounts import Accounts
from modelport.services.platform import Platform
from modelport.services.principal import Principal

SCOPES = frozenset({"algo:call", "data:read"})


class WatchedStore(SqlStore):
    """SQLite, noting the thread of every query that authentication makes."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.threads: list[int] = []

    def key_by_prefix(self, prefix: str) -> ApiKey | None:
        self.threads.append(threading.get_ident())
        return super().key_by_prefix(prefix)

    def account_by_id(self, account_id: str) -> Account | None:
        self.threads.append(threading.get_ident())
        return super().account_by_id(account_id)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[WatchedStore]:
    url = f"sqlite:///{tmp_path / 'modelport.db'}"
    upgrade(url)
    store = WatchedStore(url)
    yield store
    store.close()


def on_loop(accounts: Accounts, authorization: str) -> tuple[Principal, int]:
    """``authenticate_on_loop`` run on a fresh event loop, for a request passed on by a
    worker's channel (with its proof header): the caller and the loop's thread."""
    platform = cast(Platform, SimpleNamespace(accounts=accounts))

    async def main() -> tuple[Principal, int]:
        headers = {"authorization": authorization, PROOF_HEADER: accounts.channel_proof}
        return await authenticate_on_loop(platform, headers, "POST"), threading.get_ident()

    return asyncio.run(main())


def test_a_key_is_looked_up_off_the_loop_then_served_from_the_cache(store: WatchedStore) -> None:
    accounts = Accounts(store, token_secret=b"test-secret", cache_ttl=60)
    accounts.create_user("alice")
    key = accounts.create_key("alice", SCOPES)
    store.threads.clear()

    alice, loop = on_loop(accounts, f"Simple {key}")
    assert alice.account.name == "alice" and alice.scopes == SCOPES
    assert store.threads and loop not in store.threads  # the key and the account, in a thread

    asked = len(store.threads)
    again, _ = on_loop(accounts, f"Simple {key}")
    assert again.account.id == alice.account.id
    assert len(store.threads) == asked  # from the cache: no query at all

    with pytest.raises(Unauthorized, match="invalid API key"):
        on_loop(accounts, f"Simple {key}x")  # a wrong key fails as it does on the loop


def test_a_call_token_is_checked_on_the_loop_and_its_account_read_off_it(
    store: WatchedStore,
) -> None:
    accounts = Accounts(store, token_secret=b"test-secret", cache_ttl=60)
    accounts.create_user("alice")
    alice = accounts.authenticate(accounts.create_key("alice", SCOPES))
    token = accounts.call_token(alice, "alice/digits", 60)

    # another gateway process with the same secret: it has not cached alice's account yet
    fresh = Accounts(store, token_secret=b"test-secret", cache_ttl=60)
    store.threads.clear()
    caller, loop = on_loop(fresh, token)
    assert caller.account.name == "alice" and caller.via == "alice/digits"
    assert store.threads and loop not in store.threads
    asked = len(store.threads)
    assert on_loop(fresh, token)[0].via == "alice/digits"
    assert len(store.threads) == asked

    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(Unauthorized, match="invalid token"):
        on_loop(fresh, forged)

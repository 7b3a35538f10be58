"""Demo calls: whether a demo is shared is cached briefly, so a stream of anonymous calls costs
no query, and turning a demo off takes effect within the cache's lifetime."""

from __future__ import annotations

from typing import cast

import pytest

from modelport.adapters.store import MemoryStore
from modelport.core.model import Algorithm
from modelport.errors import Unauthorized
from modelport.services.accounts import ANONYMOUS, Accounts
from modelport.services.builds import Builds
from modelport.services.demos import Demos
from modelport.services.principal import ALL_SCOPES
from modelport.services.registry import Registry


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStore(MemoryStore):
    """Counts reads of an algorithm by name."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def algorithm(self, owner: str, name: str) -> Algorithm | None:
        self.reads += 1
        return super().algorithm(owner, name)


def test_shared_demo_is_cached_and_turning_it_off_takes_effect_within_the_ttl() -> None:
    store, clock = CountingStore(), Clock()
    accounts, registry = Accounts(store), Registry(store)
    accounts.create_user("admin", is_admin=True)
    admin = accounts.authenticate(accounts.create_key("admin", ALL_SCOPES))
    algorithm = registry.create(admin, "admin", "demo", settings={"demo": True})
    demos = Demos(accounts, registry, cast(Builds, None), burst=100, cache_ttl=2.0, clock=clock)

    store.reads = 0
    for _ in range(5):
        assert demos.caller("admin", "demo", "1.2.3.4").account.name == ANONYMOUS
    assert store.reads == 1  # the first call reads; the next four are served from the cache

    registry.update(algorithm, {}, {"demo": False})
    clock.now += 1.0  # still cached: at most the TTL late
    assert demos.caller("admin", "demo", "1.2.3.4").scopes == frozenset({"algo:call"})
    assert store.reads == 1
    clock.now += 1.5  # past the TTL: read again, and refused
    with pytest.raises(Unauthorized, match="authorization required"):
        demos.caller("admin", "demo", "1.2.3.4")
    with pytest.raises(Unauthorized, match="authorization required"):
        demos.caller("admin", "demo", "1.2.3.4")
    assert store.reads == 3  # what is not shared is not cached


def test_turning_a_demo_on_takes_effect_at_once() -> None:
    store = MemoryStore()
    accounts, registry = Accounts(store), Registry(store)
    accounts.create_user("admin", is_admin=True)
    admin = accounts.authenticate(accounts.create_key("admin", ALL_SCOPES))
    algorithm = registry.create(admin, "admin", "demo")
    demos = Demos(accounts, registry, cast(Builds, None), cache_ttl=60.0, clock=Clock())
    with pytest.raises(Unauthorized):
        demos.caller("admin", "demo", "1.2.3.4")
    registry.update(algorithm, {}, {"demo": True})
    assert demos.caller("admin", "demo", "1.2.3.4").account.name == ANONYMOUS

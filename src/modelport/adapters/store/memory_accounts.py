"""``MemoryStore``'s accounts side: accounts, keys, memberships, collections, stored bytes.

Also the value plumbing both halves share: ``stored`` keeps a value as the SQL store would
(UTC datetimes, JSON fields through ``json``), ``copied`` hands out copies callers may mutate.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from modelport.adapters.store.tables import as_utc
from modelport.core.model import Account, Algorithm, ApiKey, Build, Collection, Session, Version
from modelport.errors import AccountNotFound, Conflict, NotFound

# Constrained, so that dataclasses.fields and replace type-check for every model class.
T = TypeVar("T", Account, ApiKey, Session, Algorithm, Build, Version, Collection)

_JSON_FIELDS = frozenset(
    {"details", "settings", "manifest", "sample_input", "sample_output", "extra"}
)


class MemoryAccounts:
    """Dictionaries behind one lock (``self._lock``), shared with ``MemoryStore``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._keys: dict[str, ApiKey] = {}
        self._members: set[tuple[str, str]] = set()  # (org_id, account_id)
        self._collections: dict[str, Collection] = {}
        self._usage: dict[str, int] = {}
        self._passwords: dict[str, str | None] = {}
        self._sessions: dict[str, Session] = {}

    # accounts

    def add_account(self, account: Account) -> None:
        with self._lock:
            taken = any(a.name == account.name for a in self._accounts.values())
            if taken or account.id in self._accounts:
                raise Conflict(f"account {account.name!r} already exists")
            self._accounts[account.id] = stored(account)

    def account_by_name(self, name: str) -> Account | None:
        with self._lock:
            return next((a for a in self._accounts.values() if a.name == name), None)

    def account_by_folded_name(self, name: str) -> Account | None:
        with self._lock:
            folded = name.lower()
            return next((a for a in self._accounts.values() if a.name.lower() == folded), None)

    def account_by_id(self, account_id: str) -> Account | None:
        with self._lock:
            return self._accounts.get(account_id)

    def accounts(self) -> list[Account]:
        with self._lock:
            return sorted(self._accounts.values(), key=lambda a: a.name)

    def set_password(self, account_id: str, password_hash: str | None) -> None:
        with self._lock:
            self._require_account(account_id)
            self._passwords[account_id] = password_hash

    def password_hash(self, account_id: str) -> str | None:
        with self._lock:
            return self._passwords.get(account_id)

    # keys

    def add_key(self, key: ApiKey) -> None:
        with self._lock:
            self._require_account(key.account_id)
            taken = any(k.prefix == key.prefix for k in self._keys.values())
            if taken or key.id in self._keys:
                raise Conflict(f"an API key with prefix {key.prefix!r} already exists")
            self._keys[key.id] = stored(key)

    def key_by_prefix(self, prefix: str) -> ApiKey | None:
        with self._lock:
            return next((k for k in self._keys.values() if k.prefix == prefix), None)

    def keys_of(self, account_id: str) -> list[ApiKey]:
        with self._lock:
            found = [k for k in self._keys.values() if k.account_id == account_id]
        return sorted(found, key=lambda k: (k.created_at, k.id), reverse=True)

    def keys_made_by(self, key_id: str) -> list[ApiKey]:
        with self._lock:
            return [k for k in self._keys.values() if k.parent_id == key_id]

    def revoke_key(self, key_id: str, at: datetime) -> None:
        """Revoke once: revoking again keeps the first time. Raises ``NotFound``."""
        with self._lock:
            key = self._keys.get(key_id)
            if key is None:
                raise NotFound(f"API key {key_id!r} not found")
            if key.revoked_at is None:
                self._keys[key_id] = replace(key, revoked_at=as_utc(at))

    # sessions

    def add_session(self, session: Session) -> None:
        with self._lock:
            self._require_account(session.account_id)
            taken = any(s.prefix == session.prefix for s in self._sessions.values())
            if taken or session.id in self._sessions:
                raise Conflict(f"a session with prefix {session.prefix!r} already exists")
            self._sessions[session.id] = stored(session)

    def session_by_prefix(self, prefix: str) -> Session | None:
        with self._lock:
            return next((s for s in self._sessions.values() if s.prefix == prefix), None)

    def end_session(self, session_id: str, at: datetime) -> None:
        """End once; also drops sessions that ended or expired a day before ``at``."""
        at = as_utc(at)
        with self._lock:
            found = self._sessions.get(session_id)
            if found is not None and found.ended_at is None:
                self._sessions[session_id] = replace(found, ended_at=at)
            stale = at - timedelta(days=1)
            self._sessions = {
                k: s
                for k, s in self._sessions.items()
                if s.expires_at >= stale and (s.ended_at is None or s.ended_at >= stale)
            }

    # memberships

    def add_member(self, org_id: str, account_id: str) -> None:
        """Idempotent; raises ``AccountNotFound`` for unknown ids."""
        with self._lock:
            self._require_account(org_id)
            self._require_account(account_id)
            self._members.add((org_id, account_id))

    def remove_member(self, org_id: str, account_id: str) -> None:
        """Raises ``NotFound`` when the account is not a member."""
        with self._lock:
            if (org_id, account_id) not in self._members:
                raise NotFound(f"account {account_id!r} is not a member of {org_id!r}")
            self._members.discard((org_id, account_id))

    def members(self, org_id: str) -> list[Account]:
        with self._lock:
            found = [self._accounts[a] for o, a in self._members if o == org_id]
        return sorted(found, key=lambda a: a.name)

    def organizations_of(self, account_id: str) -> list[Account]:
        with self._lock:
            found = [self._accounts[o] for o, a in self._members if a == account_id]
        return sorted(found, key=lambda a: a.name)

    # collections

    def add_collection(self, collection: Collection) -> None:
        with self._lock:
            self._require_account(collection.owner_id)
            if collection.id in self._collections or self._collection_named(collection):
                raise Conflict(
                    f"collection data://{collection.owner}/{collection.name} already exists"
                )
            self._collections[collection.id] = self._owned(collection)

    def collection(self, owner: str, name: str) -> Collection | None:
        with self._lock:
            wanted = (owner, name)
            return next(
                (c for c in self._collections.values() if (c.owner, c.name) == wanted), None
            )

    def collections(self, owner_id: str) -> list[Collection]:
        with self._lock:
            found = [c for c in self._collections.values() if c.owner_id == owner_id]
        return sorted(found, key=lambda c: c.name)

    def update_collection(self, collection: Collection) -> None:
        """Replace its name and ACL. Raises ``NotFound`` or ``Conflict``."""
        with self._lock:
            old = self._collections.get(collection.id)
            if old is None:
                raise NotFound(f"collection {collection.id!r} not found")
            other = self._collection_named(replace(collection, owner_id=old.owner_id))
            if other is not None and other.id != collection.id:
                raise Conflict(
                    f"collection data://{collection.owner}/{collection.name} already exists"
                )
            self._collections[collection.id] = replace(
                old, name=collection.name, acl=collection.acl
            )

    def delete_collection(self, collection_id: str) -> None:
        with self._lock:
            self._collections.pop(collection_id, None)

    # stored bytes

    def add_usage(self, account_id: str, delta: int) -> int:
        """Add ``delta`` (may be negative) atomically, never below zero; the new total."""
        with self._lock:
            self._require_account(account_id)
            total = max(0, self._usage.get(account_id, 0) + delta)
            self._usage[account_id] = total
            return total

    def usage(self, account_id: str) -> int:
        with self._lock:
            return self._usage.get(account_id, 0)

    # plumbing (callers hold the lock)

    def _require_account(self, account_id: str) -> None:
        if account_id not in self._accounts:
            raise AccountNotFound(f"account {account_id!r} not found")

    def _collection_named(self, collection: Collection) -> Collection | None:
        wanted = (collection.owner_id, collection.name)
        return next((c for c in self._collections.values() if (c.owner_id, c.name) == wanted), None)

    def _owned(self, collection: Collection) -> Collection:
        """As SQL returns it: the owner's name comes from the account, not the caller."""
        return stored(replace(collection, owner=self._accounts[collection.owner_id].name))


def stored(value: T) -> T:
    """``value`` as the SQL store would keep it: UTC datetimes, JSON fields through ``json``.

    Raises ``ValueError`` for naive datetimes and ``TypeError`` for values JSON cannot hold.
    """
    changes: dict[str, Any] = {}
    for f in fields(value):
        v = getattr(value, f.name)
        if isinstance(v, datetime):
            changes[f.name] = as_utc(v)
        elif f.name in _JSON_FIELDS:
            changes[f.name] = json.loads(json.dumps(v))
    return replace(value, **changes)


def copied(value: T) -> T:
    """A copy whose JSON fields the caller may mutate without changing the store."""
    changes = {
        f.name: copy.deepcopy(getattr(value, f.name))
        for f in fields(value)
        if f.name in _JSON_FIELDS
    }
    return replace(value, **changes)

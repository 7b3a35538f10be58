"""``SqlStore``'s accounts side: accounts, API keys, memberships, collections, stored bytes."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.engine import RowMapping

from modelport.adapters.store.sql_base import SqlBase, exists_in, row_of
from modelport.adapters.store.tables import (
    accounts,
    api_keys,
    as_utc,
    collections,
    memberships,
    sessions,
)
from modelport.core.model import Account, AccountKind, ApiKey, Collection, ReadAcl, Session
from modelport.errors import AccountNotFound, Conflict, NotFound

_COLLECTIONS = select(collections, accounts.c.name.label("owner")).join(
    accounts, accounts.c.id == collections.c.owner_id
)


class SqlAccounts(SqlBase):
    # accounts

    def add_account(self, account: Account) -> None:
        with self._write(f"account {account.name!r} already exists") as conn:
            conn.execute(accounts.insert(), row_of(account))

    def account_by_name(self, name: str) -> Account | None:
        return self._one(select(accounts).where(accounts.c.name == name), _account)

    def account_by_folded_name(self, name: str) -> Account | None:
        query = select(accounts).where(func.lower(accounts.c.name) == name.lower())
        return self._one(query.limit(1), _account)

    def account_by_id(self, account_id: str) -> Account | None:
        return self._one(select(accounts).where(accounts.c.id == account_id), _account)

    def accounts(self) -> list[Account]:
        return self._all(select(accounts).order_by(accounts.c.name), _account)

    def set_password(self, account_id: str, password_hash: str | None) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(password_hash=password_hash)
            )
        if done.rowcount == 0:
            raise AccountNotFound(f"account {account_id!r} not found")

    def password_hash(self, account_id: str) -> str | None:
        query = select(accounts.c.password_hash).where(accounts.c.id == account_id)
        with self._engine.connect() as conn:
            found: str | None = conn.execute(query).scalar()
        return found

    # keys

    def add_key(self, key: ApiKey) -> None:
        row = row_of(key) | {"scopes": sorted(key.scopes)}
        with self._write(f"an API key with prefix {key.prefix!r} already exists") as conn:
            if not exists_in(conn, accounts, accounts.c.id == key.account_id):
                raise AccountNotFound(f"account {key.account_id!r} not found")
            conn.execute(api_keys.insert(), row)

    def key_by_prefix(self, prefix: str) -> ApiKey | None:
        return self._one(select(api_keys).where(api_keys.c.prefix == prefix), _key)

    def keys_of(self, account_id: str) -> list[ApiKey]:
        query = (
            select(api_keys)
            .where(api_keys.c.account_id == account_id)
            .order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
        )
        return self._all(query, _key)

    def keys_made_by(self, key_id: str) -> list[ApiKey]:
        return self._all(select(api_keys).where(api_keys.c.parent_id == key_id), _key)

    def revoke_key(self, key_id: str, at: datetime) -> None:
        """Revoke once: revoking again keeps the first time. Raises ``NotFound``."""
        with self._engine.begin() as conn:
            done = conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=as_utc(at))
            )
            if done.rowcount == 0 and not exists_in(conn, api_keys, api_keys.c.id == key_id):
                raise NotFound(f"API key {key_id!r} not found")

    # sessions

    def add_session(self, session: Session) -> None:
        row = row_of(session) | {"scopes": sorted(session.scopes)}
        with self._write(f"a session with prefix {session.prefix!r} already exists") as conn:
            if not exists_in(conn, accounts, accounts.c.id == session.account_id):
                raise AccountNotFound(f"account {session.account_id!r} not found")
            conn.execute(sessions.insert(), row)

    def session_by_prefix(self, prefix: str) -> Session | None:
        return self._one(select(sessions).where(sessions.c.prefix == prefix), _session)

    def end_session(self, session_id: str, at: datetime) -> None:
        """End once (ending again keeps the first time); also drops sessions that ended or
        expired a day before ``at``."""
        stale = as_utc(at) - timedelta(days=1)
        with self._engine.begin() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.id == session_id, sessions.c.ended_at.is_(None))
                .values(ended_at=as_utc(at))
            )
            conn.execute(
                delete(sessions).where(
                    (sessions.c.expires_at < stale) | (sessions.c.ended_at < stale)
                )
            )

    # memberships

    def add_member(self, org_id: str, account_id: str) -> None:
        """Idempotent; raises ``AccountNotFound`` for unknown ids."""
        pair = (memberships.c.org_id == org_id) & (memberships.c.account_id == account_id)
        # A racing insert of the same pair is the same membership, not a conflict.
        with contextlib.suppress(Conflict), self._write("already a member") as conn:
            for needed in (org_id, account_id):
                if not exists_in(conn, accounts, accounts.c.id == needed):
                    raise AccountNotFound(f"account {needed!r} not found")
            if not exists_in(conn, memberships, pair):
                conn.execute(memberships.insert(), {"org_id": org_id, "account_id": account_id})

    def remove_member(self, org_id: str, account_id: str) -> None:
        """Raises ``NotFound`` when the account is not a member."""
        with self._engine.begin() as conn:
            done = conn.execute(
                delete(memberships).where(
                    memberships.c.org_id == org_id, memberships.c.account_id == account_id
                )
            )
        if done.rowcount == 0:
            raise NotFound(f"account {account_id!r} is not a member of {org_id!r}")

    def members(self, org_id: str) -> list[Account]:
        query = (
            select(accounts)
            .join(memberships, memberships.c.account_id == accounts.c.id)
            .where(memberships.c.org_id == org_id)
            .order_by(accounts.c.name)
        )
        return self._all(query, _account)

    def organizations_of(self, account_id: str) -> list[Account]:
        query = (
            select(accounts)
            .join(memberships, memberships.c.org_id == accounts.c.id)
            .where(memberships.c.account_id == account_id)
            .order_by(accounts.c.name)
        )
        return self._all(query, _account)

    # collections

    def add_collection(self, collection: Collection) -> None:
        row = row_of(collection, leave_out=frozenset({"owner"}))
        conflict = f"collection data://{collection.owner}/{collection.name} already exists"
        with self._write(conflict) as conn:
            if not exists_in(conn, accounts, accounts.c.id == collection.owner_id):
                raise AccountNotFound(f"account {collection.owner_id!r} not found")
            conn.execute(collections.insert(), row)

    def collection(self, owner: str, name: str) -> Collection | None:
        query = _COLLECTIONS.where(accounts.c.name == owner, collections.c.name == name)
        return self._one(query, _collection)

    def collections(self, owner_id: str) -> list[Collection]:
        query = _COLLECTIONS.where(collections.c.owner_id == owner_id).order_by(collections.c.name)
        return self._all(query, _collection)

    def update_collection(self, collection: Collection) -> None:
        """Replace its name and ACL. Raises ``NotFound`` or ``Conflict``."""
        values = {"name": collection.name, "acl": collection.acl.value}
        conflict = f"collection data://{collection.owner}/{collection.name} already exists"
        with self._write(conflict) as conn:
            done = conn.execute(
                update(collections).where(collections.c.id == collection.id).values(values)
            )
            if done.rowcount == 0:
                raise NotFound(f"collection {collection.id!r} not found")

    def delete_collection(self, collection_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(collections).where(collections.c.id == collection_id))

    # stored bytes

    def add_usage(self, account_id: str, delta: int) -> int:
        """Add ``delta`` (may be negative) atomically, never below zero; the new total."""
        # One UPDATE ... RETURNING (SQLite >= 3.35, PostgreSQL): no read-modify-write race.
        total = accounts.c.storage_bytes + delta
        with self._engine.begin() as conn:
            found = conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(storage_bytes=case((total < 0, 0), else_=total))
                .returning(accounts.c.storage_bytes)
            ).scalar()
        if found is None:
            raise AccountNotFound(f"account {account_id!r} not found")
        return int(found)

    def usage(self, account_id: str) -> int:
        query = select(accounts.c.storage_bytes).where(accounts.c.id == account_id)
        with self._engine.connect() as conn:
            found = conn.execute(query).scalar()
        return 0 if found is None else int(found)


def _account(r: RowMapping) -> Account:
    return Account(
        id=r["id"],
        name=r["name"],
        kind=AccountKind(r["kind"]),
        is_admin=bool(r["is_admin"]),
        created_at=r["created_at"],
    )


def _key(r: RowMapping) -> ApiKey:
    return ApiKey(
        id=r["id"],
        account_id=r["account_id"],
        prefix=r["prefix"],
        secret_hash=r["secret_hash"],
        scopes=frozenset(r["scopes"]),
        name=r["name"],
        created_at=r["created_at"],
        revoked_at=r["revoked_at"],
        parent_id=r["parent_id"],
    )


def _session(r: RowMapping) -> Session:
    return Session(
        id=r["id"],
        account_id=r["account_id"],
        prefix=r["prefix"],
        secret_hash=r["secret_hash"],
        scopes=frozenset(r["scopes"]),
        created_at=r["created_at"],
        expires_at=r["expires_at"],
        ended_at=r["ended_at"],
    )


def _collection(r: RowMapping) -> Collection:
    return Collection(
        id=r["id"],
        owner_id=r["owner_id"],
        owner=r["owner"],
        name=r["name"],
        acl=ReadAcl(r["acl"]),
        created_at=r["created_at"],
    )

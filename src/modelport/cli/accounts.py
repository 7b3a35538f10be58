"""``users``, ``orgs`` and ``keys``: accounts, organisations and API keys.

modelport users create bob [--password]        # admins only; --password asks for one
modelport users password bob                   # set a web UI password (yours, or as an admin)
modelport orgs create acme                     # you are its first member
modelport orgs add-member acme bob
modelport keys create --scope algo:call --name laptop
modelport keys list
modelport keys revoke KEY_ID
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from modelport.cli.output import table, when
from modelport.cli.session import Session, Subparsers

SCOPES = ("algo:call", "algo:manage", "data:read", "data:write", "admin")


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    users = _group(sub, "users", "create user accounts (admins)")
    p = users.add_parser("create", parents=[common], help="create a user account")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--admin", action="store_true", help="an admin account")
    p.add_argument(
        "--password", action="store_true", help="ask for a password to sign in to the web UI"
    )
    p.set_defaults(run=run_create_user)
    p = users.add_parser("password", parents=[common], help="set a web UI password")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(run=run_set_password)

    orgs = _group(sub, "orgs", "create organisations and manage their members")
    p = orgs.add_parser("create", parents=[common], help="create an organisation (you join it)")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(run=run_create_org)
    for verb, run, help_text in (
        ("add-member", run_add_member, "add a user to an organisation"),
        ("remove-member", run_remove_member, "remove a user from an organisation"),
    ):
        p = orgs.add_parser(verb, parents=[common], help=help_text)
        p.add_argument("org", metavar="ORG")
        p.add_argument("user", metavar="USER")
        p.set_defaults(run=run)
    p = orgs.add_parser("members", parents=[common], help="list an organisation's members")
    p.add_argument("org", metavar="ORG")
    p.set_defaults(run=run_members)

    keys = _group(sub, "keys", "create, list and revoke API keys")
    p = keys.add_parser(
        "create",
        parents=[common],
        help="create an API key (printed once)",
        description="Create an API key and print it. The key is shown only this once.",
    )
    p.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        choices=SCOPES,
        metavar="SCOPE",
        help=f"repeat for several: {', '.join(SCOPES)} (default: your key's, but admin)",
    )
    p.add_argument("--name", default="", help="what the key is for, e.g. laptop or ci")
    p.add_argument("--user", metavar="USER", help="create it for another user (admins)")
    p.set_defaults(run=run_create_key)
    p = keys.add_parser("list", parents=[common], help="list your API keys")
    p.add_argument("--user", metavar="USER", help="another user's keys (admins)")
    p.set_defaults(run=run_list_keys)
    p = keys.add_parser("revoke", parents=[common], help="revoke an API key by its id")
    p.add_argument("key_id", metavar="ID")
    p.set_defaults(run=run_revoke_key)


def _group(sub: Subparsers, name: str, help_text: str) -> Subparsers:
    """A verb with verbs of its own; alone, it prints its usage."""
    parser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(run=_usage(parser))
    return parser.add_subparsers(title="commands", metavar="COMMAND")


def _usage(parser: argparse.ArgumentParser) -> Callable[[Session], int]:
    def run(session: Session) -> int:
        session.err(parser.format_help().rstrip())
        return 2

    return run


def _ask_password(session: Session, name: str) -> str | None:
    """A password typed twice (from stdin when it is not a terminal: one line)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Again: ") != first:
        session.err("error: the passwords differ")
        return None
    return first


def run_create_user(session: Session) -> int:
    args = session.args
    password = _ask_password(session, args.name) if args.password else None
    if args.password and password is None:
        return 1
    user = session.client().create_user(args.name, admin=args.admin, password=password)
    kind = "admin user" if user.get("admin") else "user"
    session.out(f"Created {kind} {user.get('name', args.name)}")
    session.out(f"  Key:  modelport keys create --user {args.name} --scope algo:call")
    return 0


def run_set_password(session: Session) -> int:
    password = _ask_password(session, session.args.name)
    if password is None:
        return 1
    session.client().set_password(session.args.name, password)
    session.out(f"Set the web UI password of {session.args.name}")
    return 0


def run_create_org(session: Session) -> int:
    org = session.client().create_org(session.args.name)
    members = ", ".join(str(m) for m in org.get("members", []))
    session.out(f"Created organisation {org.get('name', session.args.name)} (members: {members})")
    return 0


def run_add_member(session: Session) -> int:
    args = session.args
    members = session.client().add_member(args.org, args.user)
    session.out(f"Added {args.user} to {args.org} (members: {_names(members)})")
    return 0


def run_remove_member(session: Session) -> int:
    args = session.args
    members = session.client().remove_member(args.org, args.user)
    session.out(f"Removed {args.user} from {args.org} (members: {_names(members) or 'none'})")
    return 0


def run_members(session: Session) -> int:
    members = session.client().members(session.args.org)
    rows = [[m.get("name"), m.get("type"), when(m.get("created_at"))] for m in members]
    session.out(table(["NAME", "TYPE", "CREATED"], rows))
    return 0


def run_create_key(session: Session) -> int:
    args = session.args
    created = session.client().create_key(args.scopes, name=args.name, user=args.user)
    scopes = " ".join(str(s) for s in created.get("scopes", []))
    owner = created.get("username") or args.user or session.client().user or "you"
    session.err(
        f"Created key {created.get('id')} for {owner} with scopes: {scopes}\n"
        "This is the only time the key is shown: store it now (revoke it if it leaks)."
    )
    session.out(str(created["key"]))
    return 0


def run_list_keys(session: Session) -> int:
    keys = session.client().keys(user=session.args.user)
    if not keys:
        session.err("no API keys yet: modelport keys create --name NAME")
        return 0
    rows = [
        [
            k.get("id"),
            k.get("name") or None,
            k.get("prefix"),
            ",".join(str(s) for s in k.get("scopes", [])),
            when(k.get("created_at")),
            when(k.get("revoked_at")) if k.get("revoked_at") else None,
        ]
        for k in keys
    ]
    session.out(table(["ID", "NAME", "PREFIX", "SCOPES", "CREATED", "REVOKED"], rows))
    return 0


def run_revoke_key(session: Session) -> int:
    session.client().revoke_key(session.args.key_id)
    session.out(f"Revoked key {session.args.key_id}")
    return 0


def _names(members: list[dict[str, object]]) -> str:
    return ", ".join(str(m.get("name")) for m in members)

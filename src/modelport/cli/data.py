"""``modelport data …``: collections, folders and files under ``data://`` (see DESCRIPTION).

>>> main(["data", "cp", "svm.dat", "data://.my/digits/"])             # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from modelport.cli.output import Progress, table, when
from modelport.cli.session import Session, Subparsers
from modelport.client.archive import human_size
from modelport.client.data_wire import ACLS
from modelport.errors import Conflict, InvalidInput

DESCRIPTION = """\
Collections, folders and files under data://OWNER/COLLECTION/PATH (OWNER .my is you).

  modelport data mkdir data://.my/digits --acl private     # a collection (deeper: a folder)
  modelport data cp svm.dat data://.my/digits/              # upload, keeping the name
  modelport data ls data://.my/digits                       # NAME SIZE MODIFIED
  modelport data cp data://.my/digits/svm.dat .             # download
  modelport data cat data://.my/digits/labels.json          # the bytes, to stdout
  modelport data acl data://.my/digits --public             # without a flag: print the ACL
  modelport data rm data://.my/digits/svm.dat
  modelport data rmdir data://.my/digits --force            # with everything in it"""
SCHEME = "data://"
THRESHOLD = 2**20  # files over 1 MiB show progress
ACL_HELP = {
    "private": "only you (and members of your organisation) may read it",
    "my-algorithms": "also your algorithms, whoever calls them (the default)",
    "public": "anyone with an API key may read it",
}


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    data = sub.add_parser(
        "data",
        parents=[common],
        help="manage data collections: mkdir, cp, ls, cat, acl, rm, rmdir",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data.set_defaults(run=lambda session: _usage(data, session))
    verbs = data.add_subparsers(title="data commands", metavar="VERB")

    def verb(name: str, help_text: str, uri: str = "URI") -> argparse.ArgumentParser:
        p = verbs.add_parser(name, parents=[common], help=help_text, description=help_text)
        if uri:
            p.add_argument("uri", metavar=uri)
        return p

    p = verb("mkdir", "create a collection (data://.my/NAME) or a folder in one")
    p.add_argument("--acl", choices=list(ACLS), help="who may read a new collection")
    p.set_defaults(run=run_mkdir)

    p = verb("cp", "copy a file to or from data:// (a DST folder keeps the name)", uri="")
    p.add_argument("src", metavar="SRC", help="a local file or a data:// file")
    p.add_argument("dst", metavar="DST", help="a data:// path or a local path ('.' for here)")
    p.set_defaults(run=run_cp)

    p = verbs.add_parser("ls", parents=[common], help="list a collection or folder")
    p.add_argument("uri", metavar="URI", nargs="?", default="data://.my")
    p.set_defaults(run=run_ls)

    verb("cat", "write a file's bytes to stdout").set_defaults(run=run_cat)

    p = verb("acl", "print or change who may read a collection")
    group = p.add_mutually_exclusive_group()
    for name, help_text in ACL_HELP.items():
        group.add_argument(
            f"--{name}", dest="acl", action="store_const", const=name, help=help_text
        )
    p.set_defaults(run=run_acl)

    verb("rm", "delete a file").set_defaults(run=run_rm)

    p = verb("rmdir", "delete a folder or collection")
    p.add_argument("--force", action="store_true", help="also delete everything in it")
    p.set_defaults(run=run_rmdir)


def _usage(parser: argparse.ArgumentParser, session: Session) -> int:
    parser.print_help(session.stderr)
    return 2


class Transfer(Progress):
    """``Progress`` for one file; silent for files up to ``THRESHOLD`` bytes."""

    def __init__(self, stream: TextIO, label: str, *, download: bool = False) -> None:
        super().__init__(stream, label)
        self.download = download

    def __call__(self, done: int, total: int) -> None:
        if total <= THRESHOLD:
            return
        if not self.download:
            self.upload(done, total)
        elif done >= total:
            self._write(f"Downloaded {self.label} ({human_size(total)})", final=True)
        else:
            sizes = f"{human_size(done)} / {human_size(total)}"
            self._write(f"Downloading {self.label}  {sizes}  {done * 100 // total}%", final=False)


def run_mkdir(session: Session) -> int:
    made = session.client().dir(session.args.uri).create(acl=session.args.acl)
    session.out(f"Created {made.uri}" + (f" ({session.args.acl})" if session.args.acl else ""))
    return 0


def run_cp(session: Session) -> int:
    src, dst = session.args.src, session.args.dst
    if src.startswith(SCHEME) and dst.startswith(SCHEME):
        raise InvalidInput(
            "data cp does not copy from data:// to data://: download the file, then upload it"
        )
    if src.startswith(SCHEME):
        return _download(session, src, dst)
    if dst.startswith(SCHEME):
        return _upload(session, Path(src), dst)
    raise InvalidInput(f"one of SRC and DST must be a {SCHEME} URI")


def _upload(session: Session, source: Path, dst: str) -> int:
    if source.is_dir():
        raise InvalidInput(f"{source} is a folder: data cp copies one file at a time")
    size = source.stat().st_size
    client = session.client()
    place = client.dir(dst)
    if dst.endswith("/") or len(place.parts) == 2 or place.exists():
        place = place.dir(source.name)
    progress = Transfer(session.stderr, source.name)
    try:
        stored = client.file(place.uri).upload(source, progress=progress)
    finally:
        progress.close()
    session.out(f"Copied {source} to {stored.uri} ({human_size(size)})")
    return 0


def _download(session: Session, src: str, dst: str) -> int:
    remote = session.client().file(src)
    target = Path(dst)
    if dst.endswith(("/", os.sep)) or target.is_dir():
        target = target / remote.name
    if not target.parent.is_dir():
        raise InvalidInput(f"cannot save to {target}: {target.parent} is not a folder")
    progress = Transfer(session.stderr, remote.name, download=True)
    try:
        remote.download(target, progress=progress)
    finally:
        progress.close()
    session.out(f"Copied {remote.uri} to {target} ({human_size(target.stat().st_size)})")
    return 0


def run_ls(session: Session) -> int:
    directory = session.client().dir(session.args.uri)
    rows = [
        [f"{e.name}/", None, None]
        if e.kind == "folder"
        else [
            e.name,
            human_size(e.size or 0),
            when(e.last_modified.isoformat() if e.last_modified else None),
        ]
        for e in directory.list()
    ]
    if not rows:
        session.err(f"{directory.uri} is empty")
        return 0
    session.out(table(["NAME", "SIZE", "MODIFIED"], rows))
    return 0


def run_cat(session: Session) -> int:
    for chunk in session.client().file(session.args.uri).open():
        session.write_bytes(chunk)
    return 0


def run_acl(session: Session) -> int:
    directory = session.client().dir(session.args.uri)
    if session.args.acl is None:
        session.out(directory.acl())
        return 0
    directory.set_acl(session.args.acl)
    session.out(f"{directory.uri} is now {session.args.acl}: {ACL_HELP[session.args.acl]}")
    return 0


def run_rm(session: Session) -> int:
    remote = session.client().file(session.args.uri)
    remote.delete()
    session.out(f"Deleted {remote.uri}")
    return 0


def run_rmdir(session: Session) -> int:
    directory = session.client().dir(session.args.uri)
    try:
        directory.delete(force=session.args.force)
    except Conflict as exc:
        if "not empty" not in exc.message:
            raise
        raise Conflict(
            f"{directory.uri} is not empty: modelport data rmdir {directory.uri} --force"
        ) from None
    session.out(f"Deleted {directory.uri}")
    return 0

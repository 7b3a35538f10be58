"""``modelport init NAME``: a new algorithm folder from a template shipped with modelport.

    modelport init digits                      # algorithm.py with load() + apply(input, state)
    modelport init ssd --template handler      # DCF-style handler.py with Handler(req)

Scaffolds live in ``modelport/scaffolds/<template>/``; ``{{name}}`` is replaced by the
name, and a ``.tmpl`` suffix (which keeps linters off template code) is dropped.
"""

from __future__ import annotations

import argparse
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from modelport.cli.session import Session, Subparsers
from modelport.core.names import check_algorithm_name
from modelport.errors import Conflict, InvalidInput

TEMPLATES = ("algorithm", "handler")
_ROLES = {
    "modelport.yaml": "name, entrypoint, resources and the sample input/output",
    "algorithm.py": "load() once per worker, apply(input, state) per call",
    "handler.py": "Handler() once per worker, handler(req) per call",
    "requirements.txt": "your requirements, one per line",
    "test_algorithm.py": "checks the sample input gives the sample output",
    "test_handler.py": "checks the sample input gives the sample output",
    "README.md": "how to test, deploy, call and publish it",
}


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init",
        parents=[common],
        help="create a new algorithm folder",
        description="Create NAME/ with modelport.yaml, the code, requirements.txt, a test and"
        " a README. NAME takes letters, digits and '_', starting with a letter.",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--template", choices=TEMPLATES, default="algorithm", help="default: algorithm")
    p.add_argument("--dir", type=Path, default=Path(), metavar="PARENT", help="where to create it")
    p.set_defaults(run=run)


def template_files(template: str) -> list[Traversable]:
    folder = resources.files("modelport").joinpath("scaffolds", template)
    return sorted((f for f in folder.iterdir() if f.is_file()), key=lambda f: f.name)


def scaffold(name: str, parent: Path, template: str = "algorithm") -> list[Path]:
    """Write ``parent/name/`` from a template; the files written, in order.

    >>> import tempfile
    >>> [p.name for p in scaffold("digits", Path(tempfile.mkdtemp()))][:2]
    ['README.md', 'algorithm.py']
    """
    check_algorithm_name(name)
    if template not in TEMPLATES:
        raise InvalidInput(f"unknown template {template!r}: use {' or '.join(TEMPLATES)}")
    target = parent / name
    if target.exists():
        raise Conflict(f"{target} already exists: pick another name or remove it")
    target.mkdir(parents=True)
    written = []
    for source in template_files(template):
        path = target / source.name.removesuffix(".tmpl")
        path.write_text(source.read_text(encoding="utf-8").replace("{{name}}", name), "utf-8")
        written.append(path)
    return written


def run(session: Session) -> int:
    args = session.args
    files = scaffold(args.name, args.dir, args.template)
    folder = files[0].parent
    session.out(f"Created {folder}/ from the {args.template} template:")
    width = max(len(f.name) for f in files)
    for f in sorted(files, key=lambda f: (f.name != "modelport.yaml", f.name)):
        session.out(f"  {f.name.ljust(width)}  {_ROLES.get(f.name, '')}".rstrip())
    session.out("Next:")
    session.out(f"  cd {folder} && python -m pytest -q")
    session.out(f"  modelport deploy {folder}")
    return 0

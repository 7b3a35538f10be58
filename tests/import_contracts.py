"""An import-linter contract type the built-in ones lack: an allow-list.

``forbidden`` contracts name what a package may not import, so a new dependency slips
through until someone thinks to forbid it. ``allowed_imports`` names all a package may import
directly (pyproject.toml registers it; ``lint-imports`` runs it)::

    [[tool.importlinter.contracts]]
    name = "The core is the standard library only"
    type = "allowed_imports"
    source_modules = ["modelport.core"]
    allowed_modules = ["modelport.core", "modelport.errors"]
    stdlib = "True"                        # the standard library is allowed too
    deferred_modules = ["PIL", "numpy"]    # allowed inside functions or for type checkers only

An allowed module allows its descendants. A *deferred* import is one that importing the module
does not run: inside a function, or under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from importlib import util
from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output


class AllowedImportsContract(Contract):
    type_name = "allowed_imports"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField())
    deferred_modules = fields.ListField(subfield=fields.ModuleField(), required=False)
    stdlib = fields.BooleanField(required=False, default=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        allowed = [m.name for m in self.allowed_modules]  # type: ignore[attr-defined]
        deferred = [m.name for m in self.deferred_modules or []]  # type: ignore[attr-defined]
        violations = []
        for source in self.source_modules:  # type: ignore[attr-defined]
            if source.name not in graph.modules:
                raise ValueError(f"Module '{source.name}' does not exist.")
            for importer in sorted({source.name, *graph.find_descendants(source.name)}):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if self._allowed(imported, allowed):
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    if _within(imported, deferred):
                        details = [d for d in details if not _deferred(importer, d)]
                    violations += details
        return ContractCheck(kept=not violations, metadata={"violations": violations})

    def _allowed(self, imported: str, allowed: list[str]) -> bool:
        top = imported.split(".", maxsplit=1)[0]
        return _within(imported, allowed) or (
            bool(self.stdlib) and (top in sys.stdlib_module_names or top == "__future__")
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for detail in check.metadata["violations"]:
            output.print_error(
                f"{detail['importer']} is not allowed to import {detail['imported']}"
                f" (l.{detail['line_number']}: {detail['line_contents']})",
                bold=False,
            )
            output.new_line()


def _within(module: str, packages: list[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _deferred(importer: str, detail: dict[str, Any]) -> bool:
    return int(detail["line_number"]) not in _eager_import_lines(importer)


@cache
def _eager_import_lines(module: str) -> frozenset[int]:
    """The lines of the imports that importing ``module`` runs: not inside a function, nor
    under ``if TYPE_CHECKING:``."""
    spec = util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ValueError(f"cannot find the source of {module}")
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    lines: set[int] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            lines.add(node.lineno)
        elif isinstance(node, ast.If) and _type_checking(node.test):
            pending += node.orelse
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for field in ("body", "orelse", "finalbody", "handlers"):
                pending += getattr(node, field, [])
    return frozenset(lines)


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )

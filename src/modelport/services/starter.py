"""The starter algorithm a new algorithm builds before any source is uploaded."""

from __future__ import annotations

from importlib import resources

from modelport.services.examples import folder_archive


def starter_archive(name: str) -> bytes:
    """The ``algorithm`` template, named ``name``, as a gzip tar."""
    root = resources.files("modelport").joinpath("scaffolds", "algorithm")
    return folder_archive(root, {"{{name}}": name})

"""The examples in modelport.core's docstrings run as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import modelport.core

MODULES = sorted(m.name for m in pkgutil.iter_modules(modelport.core.__path__, "modelport.core."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    failed, _ = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert failed == 0

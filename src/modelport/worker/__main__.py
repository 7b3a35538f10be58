"""``python -s .../modelport/worker ARGS``: run this folder as the private package
``_modelport_worker`` (never as ``modelport``, which in a build's environment is the user's
installed modelport or the in-worker SDK), then the worker's ``main``."""

import importlib
import os
import sys
from importlib import util

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    spec = util.spec_from_file_location(
        "_modelport_worker", os.path.join(here, "__init__.py"), submodule_search_locations=[here]
    )
    assert spec is not None and spec.loader is not None
    package = util.module_from_spec(spec)
    sys.modules[spec.name] = package
    spec.loader.exec_module(package)
    sys.exit(importlib.import_module("_modelport_worker.main").main())

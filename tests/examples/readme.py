"""Run an example's README against the live gateway, through ``examples/readme.py`` (the
same runner ``scripts/serve`` deploys the examples with)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from examples.readme import Block, BlockFailed
from examples.readme import run_readme as run_blocks
from tests.fixtures.server import Live

__all__ = ["Block", "run_readme"]


def run_readme(name: str, live: Live, workdir: Path, timeout: float = 600) -> list[Block]:
    """``examples/NAME/README.md``'s shell blocks, run in a copy of the folder against
    ``live``; a failing block fails the test with the block and its output."""
    env = {**os.environ, "MODELPORT_HOME": str(live.settings.home), "MODELPORT_API": live.url}
    try:
        return run_blocks(name, workdir, env, timeout)
    except BlockFailed as exc:
        pytest.fail(str(exc))

"""Run an example's README as a user would: every ```sh block, in order, in a copy of the
example's folder, against a live gateway. Variables a block ``export``s reach later blocks,
as in one terminal.

The CLI finds the gateway and the admin key in ``MODELPORT_HOME/credentials.json``, exactly
as after ``scripts/serve``; ``MODELPORT_API`` holds the gateway's address, so a README's curl
commands say ``${MODELPORT_API:-http://127.0.0.1:8080}``. Nothing else is special-cased.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures.server import Live

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BLOCK = re.compile(r"^```(?:sh|bash)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
STATE = ".readme-env"  # exported variables, carried from block to block


@dataclass(frozen=True)
class Block:
    script: str
    output: str  # stdout and stderr together


def shell_blocks(readme: Path) -> list[str]:
    """The ```sh (or ```bash) blocks of a markdown file, in order."""
    return [m[1] for m in BLOCK.finditer(readme.read_text())]


def run_readme(name: str, live: Live, workdir: Path, timeout: float = 600) -> list[Block]:
    """Run ``examples/NAME/README.md``'s shell blocks in a copy of the folder; fail with the
    block and its output when a command fails. Returns each block's output."""
    folder = workdir / name
    shutil.copytree(EXAMPLES / name, folder)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MODELPORT_HOME": str(live.settings.home),
        "MODELPORT_API": live.url,
    }
    env.pop("MODELPORT_API_KEY", None)
    (folder / STATE).write_text("")
    results: list[Block] = []
    for script in shell_blocks(folder / "README.md"):
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", f"source ./{STATE}\n{script}\nexport -p > {STATE}"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"README block failed ({done.returncode}):\n{script}\n{output}"
        results.append(Block(script, output))
    return results

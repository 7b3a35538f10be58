"""Run an example's README as a user would: every ```sh block, in order, in a copy of the
example's folder. Variables a block ``export``s reach later blocks, as in one terminal.

The tests run every example this way against a live gateway (``tests/examples``), and
``scripts/serve`` deploys examples 1-4 this way in the background once the server answers:

    python examples/readme.py deploy opencv-digits sklearn-digits ssd-detector image-classifier

The CLI inside the blocks finds the server and the admin key in ``MODELPORT_HOME``'s
``credentials.json``, as after ``scripts/serve``; ``MODELPORT_API`` holds the server's address
for curl. A deployed example leaves ``MODELPORT_HOME/examples/NAME.done``, so a restart does
not run it again; its output goes to ``MODELPORT_HOME/logs/examples/NAME.log``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from modelport.client.credentials import default_home, read_credentials_file
from modelport.errors import ModelportError

HERE = Path(__file__).resolve().parent
BLOCK = re.compile(r"^```(?:sh|bash)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
STATE = ".readme-env"  # exported variables, carried from block to block


@dataclass(frozen=True)
class Block:
    script: str
    output: str  # stdout and stderr together


class BlockFailed(Exception):
    def __init__(self, block: Block, status: int) -> None:
        super().__init__(f"README block failed ({status}):\n{block.script}\n{block.output}")
        self.block, self.status = block, status


def shell_blocks(readme: Path) -> list[str]:
    """The ```sh (or ```bash) blocks of a markdown file, in order."""
    return [m[1] for m in BLOCK.finditer(readme.read_text())]


def run_readme(name: str, workdir: Path, env: dict[str, str], timeout: float = 600) -> list[Block]:
    """Run ``examples/NAME/README.md``'s blocks in ``workdir/NAME``, a copy of the folder;
    raise ``BlockFailed`` at the first failing block. Returns each block's output."""
    folder = workdir / name
    shutil.copytree(HERE / name, folder)
    env = {**env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"}
    env.pop("MODELPORT_API_KEY", None)  # the CLI's own credentials, as after scripts/serve
    (folder / STATE).write_text("")
    results: list[Block] = []
    for script in shell_blocks(folder / "README.md"):
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", f"source ./{STATE}\n{script}\nexport -p > {STATE}"],
            check=False,
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        block = Block(script, done.stdout + done.stderr)
        if done.returncode != 0:
            raise BlockFailed(block, done.returncode)
        results.append(block)
    return results


def _server(home: Path, parent: int, wait: float = 300) -> str | None:
    """The address in ``credentials.json`` once the server there answers; None when the
    server (our parent process) exits first or does not come up."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and os.getppid() == parent:
        try:  # the server may be writing credentials.json right now
            address = read_credentials_file(home / "credentials.json").get("api_address")
            if address is not None and httpx.get(f"{address}/healthz", timeout=2).is_success:
                return address
        except (ModelportError, httpx.HTTPError):
            pass
        time.sleep(0.5)
    return None


def deploy(names: list[str]) -> int:
    """Run each example's README once against the server ``scripts/serve`` starts."""
    home, parent = default_home(), os.getppid()
    address = _server(home, parent)
    if address is None:
        return 1
    logs, done = home / "logs" / "examples", home / "examples"
    logs.mkdir(parents=True, exist_ok=True)
    done.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MODELPORT_HOME": str(home), "MODELPORT_API": address}
    failed = 0
    for name in names:
        marker, log = done / f"{name}.done", logs / f"{name}.log"
        if marker.exists():
            continue
        if os.getppid() != parent:  # the server stopped: so do we
            return 1
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"modelport-{name}-") as workdir:
            try:
                blocks = run_readme(name, Path(workdir), env)
            except (BlockFailed, subprocess.TimeoutExpired) as exc:
                log.write_text(str(exc))
                print(f"example {name} failed: see {log}", file=sys.stderr)
                failed += 1
                continue
        log.write_text("\n".join(f"$ {b.script}\n{b.output}" for b in blocks))
        marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
        took = time.monotonic() - started
        print(f"example {name} deployed in {took:.0f} s (README steps: {log})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "deploy":
        sys.exit("usage: python examples/readme.py deploy NAME...")
    sys.exit(deploy(sys.argv[2:]))

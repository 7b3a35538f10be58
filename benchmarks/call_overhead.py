"""Per-call overhead of modelport (gateway + worker) for a small scikit-learn model.

Compares, for the same SVC on ``load_digits`` (about 0.2 ms per call in-process):
  in-process   the function called in a loop (the limit)
  fastapi      a plain FastAPI + uvicorn app calling it inline, started here
  modelport    ``modelport serve`` with the model deployed as an algorithm, called by build hash
Load comes from ``wrk`` at concurrency 1 and 16, each measurement after a 2 s warm-up and a
pause until the server's processes are idle; the table gives p50/p99 and calls/s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from importlib import resources
from pathlib import Path

import httpx
from servers import free_port, wait_idle, wait_up, wrk

BIN = Path(sys.executable).parent
EXAMPLE = resources.files("modelport").joinpath("examples", "sklearn_digits")
PIXELS = [
    0,
    0,
    5,
    13,
    9,
    1,
    0,
    0,
    0,
    0,
    13,
    15,
    10,
    15,
    5,
    0,
    0,
    3,
    15,
    2,
    0,
    11,
    8,
    0,
    0,
    4,
    12,
    0,
    0,
    8,
    8,
    0,
    0,
    5,
    8,
    0,
    0,
    9,
    8,
    0,
    0,
    4,
    11,
    0,
    1,
    12,
    7,
    0,
    0,
    2,
    14,
    5,
    10,
    12,
    0,
    0,
    0,
    0,
    6,
    13,
    10,
    0,
    0,
    0,
]
BODY = json.dumps({"pixels": PIXELS})

FASTAPI_APP = textwrap.dedent("""
    import importlib.util
    from fastapi import FastAPI, Request
    spec = importlib.util.spec_from_file_location("algorithm", "{algorithm}")
    algorithm = importlib.util.module_from_spec(spec); spec.loader.exec_module(algorithm)
    model = algorithm.load()
    app = FastAPI()

    @app.post("/predict")
    async def predict(request: Request):
        return algorithm.apply(await request.json(), model)
""")


def in_process(seconds: float) -> dict[str, float]:
    sys.path.insert(0, str(EXAMPLE))
    import algorithm  # type: ignore[import-not-found]

    model = algorithm.load()
    payload = json.loads(BODY)
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        algorithm.apply(payload, model)
        times.append(time.perf_counter() - t)
    times.sort()
    return {
        "p50": times[len(times) // 2] * 1000,
        "p99": times[int(len(times) * 0.99)] * 1000,
        "rps": len(times) / sum(times),
    }


def load(url: str, connections: int, seconds: float, headers: dict[str, str]) -> dict[str, float]:
    """wrk posting the digit's JSON body with ``headers``."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(BODY)}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    try:
        return wrk(url, script, connections, seconds)
    finally:
        script.unlink()


def start_fastapi(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    app = workdir / "plain_app.py"
    app.write_text(FASTAPI_APP.replace("{algorithm}", str(EXAMPLE / "algorithm.py")))
    port = free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "uvicorn"),
            "plain_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=workdir,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    wait_up(url + "/docs", proc)
    return proc, url + "/predict"


def start_modelport(
    workdir: Path, settings: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """``modelport serve`` under ``workdir`` with ``settings`` (``MODELPORT_*`` variables),
    the SVC deployed; its call URL and the headers to call it with."""
    port = free_port()
    env = {**os.environ, "MODELPORT_HOME": str(workdir / "home"), "MODELPORT_PORT": str(port)}
    env.update(settings or {})
    proc = subprocess.Popen(
        [str(BIN / "modelport"), "serve", "--no-examples"], env=env, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    wait_up(url + "/healthz", proc)
    key = json.loads((workdir / "home" / "credentials.json").read_text())["api_key"]
    headers = {"Authorization": f"Simple {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=900) as client:
        client.post("/v1/algorithms/admin", json={"name": "svc"}).raise_for_status()
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w:gz") as tar:
            for name in ("modelport.yaml", "algorithm.py", "requirements.txt"):
                data = EXAMPLE.joinpath(name).read_bytes().replace(b"sklearn_digits", b"svc")
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        build = client.post(
            "/v1/algorithms/admin/svc/builds?wait=true", content=archive.getvalue()
        ).json()
        if build["status"] != "succeeded":
            raise SystemExit(f"build failed: {build}")
        call = f"{url}/v1/algo/admin/svc/{build['commit_sha']}"
        client.post(call, content=BODY, headers={"Content-Type": "application/json"})
    return proc, call, headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    rows: list[tuple[str, int, dict[str, float]]] = []
    base = in_process(args.seconds / 2)
    rows += [("in-process", 1, base), ("in-process", 16, base)]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        procs = []
        try:
            proc, url = start_fastapi(workdir)
            procs.append(proc)
            for c in (1, 16):
                load(url, c, 2, {})  # warm up
                wait_idle(proc.pid)
                rows.append(("fastapi", c, load(url, c, args.seconds, {})))
            proc.terminate()
            proc, url, headers = start_modelport(workdir)
            procs.append(proc)
            for c in (1, 16):
                load(url, c, 2, headers)
                wait_idle(proc.pid)
                rows.append(("modelport", c, load(url, c, args.seconds, headers)))
        finally:
            for p in procs:
                p.terminate()
                p.wait(30)
    print_table(rows)


def print_table(rows: list[tuple[str, int, dict[str, float]]]) -> None:
    by = {(name, c): r for name, c, r in rows}
    print(
        f"\n{'target':<11} {'conc':>4} {'p50 ms':>8} {'p99 ms':>8} {'calls/s':>9}"
        f" {'p50 added':>10} {'x fastapi':>10}"
    )
    for name, c, r in rows:
        added = r["p50"] - by[("in-process", c)]["p50"]
        vs = r["rps"] / by[("fastapi", c)]["rps"] if ("fastapi", c) in by else float("nan")
        print(
            f"{name:<11} {c:>4} {r['p50']:>8.3f} {r['p99']:>8.3f} {r['rps']:>9.0f}"
            f" {added:>+10.3f} {vs:>10.2f}"
        )
    print(
        "\np50 added = p50 minus the in-process p50 (ms); x fastapi = calls/s ratio to the"
        " plain FastAPI app at the same concurrency."
    )


if __name__ == "__main__":
    main()

"""The HTTP targets of the vision benchmark, and the load wrk puts on them.

A plain FastAPI + uvicorn app (``fastapi_app``), any uvicorn app such as ``forwarder.py``
(``uvicorn_app``), ``modelport serve`` (``modelport_server``) with a model built on it
(``deploy``); ``wrk`` Lua scripts for raw or JSON bodies (``lua``), one checked call
(``check_label``), and a measurement after a warm-up and a pause until the server is idle
(``warm_then_load``), with the CPU time the server's processes spent per request.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
from image_classifier import CROP, SIZE, Stats, open_session, preprocess
from servers import cpu_seconds, free_port, wait_idle, wait_up, wrk

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent  # forwarder.py is beside this file
CONCURRENCY = (1, 4, 16)
SERVERS: dict[str, int] = {}  # a running server's base URL -> its process id


FASTAPI_APP = """
import io, json, os
import numpy as np
import onnxruntime as ort
from PIL import Image
import onnxruntime as ort
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from PIL import Image

SIZE, CROP = {SIZE}, {CROP}
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
FACTOR, OFFSET = (1 / (255 * STD))[:, None, None], (-MEAN / STD)[:, None, None]
{preprocess}
session = open_session(os.environ["BENCH_MODEL"], int(os.environ["BENCH_THREADS"]))
labels = json.loads(open(os.environ["BENCH_LABELS"]).read())
app = FastAPI()


@app.post("/predict")
async def predict(request: Request):
    x = preprocess(await request.body())[None]
    scores = session.run(None, {"input": x})[0][0].astype(np.float64)
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    i = int(probs.argmax())
    return JSONResponse({"label": labels[i], "index": i, "score": round(float(probs[i]), 6)})
"""

RAW_LUA = """
wrk.method = "POST"
local f = io.open("{path}", "rb")
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "{content_type}"
{headers}
"""


def load(url: str, script: Path, connections: int, seconds: float) -> Stats:
    """wrk's figures, and the CPU time the server's processes spent per request."""
    pid = server_pid(url)
    cpu = cpu_seconds(pid)
    found = wrk(url, script, connections, seconds)
    spent = (cpu_seconds(pid) - cpu) * 1000 / max(found["requests"], 1)
    return {"ips": found["rps"], "p50": found["p50"], "p99": found["p99"], "cpu_ms": spent}


def server_pid(url: str) -> int:
    """The process of the running server that ``url`` is on."""
    return next(p for base, p in SERVERS.items() if f"{url}/".startswith(f"{base}/"))


def warm_then_load(url: str, script: Path, connections: int, warm: float, seconds: float) -> Stats:
    """``load`` after ``warm`` seconds of the same load and a pause until the server's
    processes are idle (``servers.wait_idle``)."""
    load(url, script, connections, warm)
    wait_idle(server_pid(url))
    return load(url, script, connections, seconds)


def lua(workdir: Path, name: str, body: Path, content_type: str, headers: dict[str, str]) -> Path:
    script = workdir / f"{name}.lua"
    extra = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script.write_text(RAW_LUA.format(path=body, content_type=content_type, headers=extra))
    return script


def check_label(url: str, body: bytes, content_type: str, headers: dict[str, str]) -> str:
    """One call; its top-1 label (an error answered with 200 stops the benchmark)."""
    r = httpx.post(
        url, content=body, headers={**headers, "Content-Type": content_type}, timeout=300
    )
    r.raise_for_status()
    data = r.json()
    result = data.get("result", data)
    if "label" not in result:
        raise SystemExit(f"{url} answered {data}")
    return str(result["label"])


@contextlib.contextmanager
def fastapi_app(workdir: Path, model: Path, labels: Path, threads: int) -> Iterator[str]:
    app = workdir / "plain_app.py"
    functions = "\n\n".join(inspect.getsource(f) for f in (preprocess, open_session))
    app.write_text(
        FASTAPI_APP.replace("{preprocess}", "\n" + functions)
        .replace("{SIZE}", str(SIZE))
        .replace("{CROP}", str(CROP))
    )
    with uvicorn_app("plain_app:app", workdir, model, labels, threads, "/docs") as url:
        yield url + "/predict"


@contextlib.contextmanager
def uvicorn_app(
    target: str, folder: Path, model: Path, labels: Path, threads: int, probe: str
) -> Iterator[str]:
    """``uvicorn TARGET`` run in ``folder`` with the model in its environment: its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(threads),
        "BENCH_MODEL": str(model),
        "BENCH_LABELS": str(labels),
        "BENCH_THREADS": str(threads),
    }
    argv = [str(BIN / "uvicorn"), target, "--port", str(port)]
    argv += ["--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(argv, cwd=folder, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url + probe, proc)
        SERVERS[url] = proc.pid
        yield url
    finally:
        SERVERS.pop(url, None)
        proc.terminate()
        proc.wait(30)


@contextlib.contextmanager
def modelport_server(workdir: Path, threads: int) -> Iterator[tuple[str, str]]:
    """``modelport serve --no-examples`` in a temporary home: its URL and API key."""
    port = free_port()
    env = {
        **os.environ,
        "MODELPORT_HOME": str(workdir / "home"),
        "MODELPORT_PORT": str(port),
        "MODELPORT_WORKER_THREADS": str(threads),
    }
    workdir.mkdir(parents=True, exist_ok=True)
    log = open(workdir / "serve.log", "wb")  # noqa: SIM115
    argv = [str(BIN / "modelport"), "serve", "--no-examples"]
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url + "/healthz", proc)
        key = json.loads((workdir / "home" / "credentials.json").read_text())["api_key"]
        SERVERS[url] = proc.pid
        yield url, key
    finally:
        SERVERS.pop(url, None)
        proc.terminate()
        proc.wait(30)
        log.close()


def deploy(url: str, key: str, workdir: Path, model: Path, labels: Path, name: str) -> str:
    """``modelport build MODEL.onnx --task image-classification``: the call URL."""
    argv = [str(BIN / "modelport"), "build", str(model), "--task", "image-classification"]
    argv += ["--labels", str(labels), "--name", f"admin/{name}"]
    argv += ["--api", url, "--key", key, "--home", str(workdir / "cli-home")]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"modelport build {model.name} failed:\n{done.stderr}")
    sha = done.stdout.strip()
    return f"{url}/v1/algo/admin/{name}/{sha}"

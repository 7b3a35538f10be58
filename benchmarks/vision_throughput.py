"""Image classification throughput: modelport's HTTP API against the in-process limit.

For each model (MobileNetV2 with torchvision's weights, ResNet-18 with random weights; both
built in plain PyTorch and exported to ONNX with a dynamic batch by ``benchmarks/models.py``)
and one photo (scikit-image's coffee at 640x480, JPEG quality 90):

  in-process b1    decode + preprocess + infer one image at a time (the limit)
  in-process b16   decode + preprocess 16 images, one batch-16 session call
  fastapi          a plain FastAPI + uvicorn app, one ONNX session run inline, raw JPEG in
  modelport raw    ``modelport serve`` + ``modelport build MODEL.onnx --task
                   image-classification``: raw JPEG bodies (``Content-Type: image/jpeg``)
  modelport base64 the same algorithm, ``{"image": "<base64>"}`` JSON bodies
  int8 rows        MobileNetV2 through ``modelport optimize --int8 --calibration-images C
                   --check H`` (static, QDQ) on 128 calibration crops of scikit-image's and
                   scikit-learn's colour photos, its top-1 agreement with FP32 measured on 256
                   other crops (``--distil STEPS``: fine-tuned towards FP32 in torch first);
                   then built and called raw like the FP32 model (target at concurrency 16:
                   2x the FastAPI app on the FP32 model)
  rounds           concurrency 1 again, ``--rounds`` times: in-process b1, the FastAPI app,
                   ``benchmarks/forwarder.py`` (the two-process floor: a bare ASGI app that
                   hands the body to one worker process over a socketpair) and modelport
                   raw, one after another in each round, each ratio taken within its round,
                   each target (and the in-process loop) started afresh in every round;
                   with the CPU time each target's processes (server and workers; for
                   in-process, the loop's own) spent per image, read from /proc

HTTP load comes from ``wrk`` at concurrency 1, 4 and 16, each measurement after a warm-up
at the same concurrency and a pause until the server's processes are idle. Every target gets
``--threads`` intra-op threads (default 1, modelport's ``worker_threads`` default), so the
comparison is of the serving path, not of the thread count. Preprocessing is the generated
classifier's: PIL decode (JPEG draft mode), shorter side to 256 (bilinear), centre crop 224,
ImageNet mean/std, NCHW.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import inspect
import io
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import onnxruntime as ort
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # benchmarks/models.py, beside this file
from servers import cpu_seconds, free_port, wait_idle, wait_up, wrk

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent  # forwarder.py is beside this file
SIZE, CROP = 224, 256
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
FACTOR, OFFSET = (1 / (255 * STD))[:, None, None], (-MEAN / STD)[:, None, None]
CONCURRENCY = (1, 4, 16)
Stats = dict[str, float]
SERVERS: dict[str, int] = {}  # a running server's base URL -> its process id


def preprocess(raw: bytes) -> np.ndarray:
    """JPEG bytes -> 3x224x224 float32, as the generated classifier does it: the shorter side
    to 256 and the centre 224 (resampling only the source box the crop keeps), then the
    ImageNet normalisation as one multiply-add into a contiguous NCHW array."""
    picture = Image.open(io.BytesIO(raw))
    picture.draft("RGB", (CROP, CROP))
    picture = picture.convert("RGB")
    w, h = picture.size
    r = CROP / min(w, h)
    rw, rh = max(SIZE, round(w * r)), max(SIZE, round(h * r))
    left, top = (rw - SIZE) // 2, (rh - SIZE) // 2
    sx, sy = w / rw, h / rh
    box = (left * sx, top * sy, (left + SIZE) * sx, (top + SIZE) * sy)
    picture = picture.resize((SIZE, SIZE), Image.BILINEAR, box=box)
    x = np.empty((3, SIZE, SIZE), dtype=np.float32)
    np.multiply(np.asarray(picture).transpose(2, 0, 1), FACTOR, out=x, casting="unsafe")
    x += OFFSET
    return x


def open_session(path: str, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


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


def summary(times: list[float], images: int, elapsed: float) -> Stats:
    times = sorted(times)
    return {
        "ips": images / elapsed,
        "p50": times[len(times) // 2] * 1000,
        "p99": times[min(len(times) - 1, int(len(times) * 0.99))] * 1000,
    }


def in_process(model: Path, jpeg: bytes, batch: int, seconds: float, threads: int) -> Stats:
    """Decode + preprocess + infer ``batch`` images per session call; latency per call."""
    session = open_session(str(model), threads)
    bodies = [bytes(jpeg) for _ in range(batch)]

    def once() -> None:
        x = np.stack([preprocess(raw) for raw in bodies])
        session.run(None, {"input": x})

    for _ in range(3):
        once()
    times: list[float] = []
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        once()
        times.append(time.perf_counter() - t)
    stats = summary(times, len(times) * batch, time.perf_counter() - start)
    stats["cpu_ms"] = (time.process_time() - cpu) * 1000 / (len(times) * batch)
    return stats


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


CALIBRATION, HELD_OUT = 128, 256


def quantize(workdir: Path, model: Path, distil: int) -> tuple[Path, dict[str, object]]:
    """``modelport optimize --int8`` with calibration and disjoint held-out crops (no gate:
    the agreement is reported, whatever it is); the INT8 model and its drift record."""
    calibration, held_out = workdir / "calibration", workdir / "held-out"
    seen = models.photo_crops(calibration, CALIBRATION, seed=1)
    models.photo_crops(held_out, HELD_OUT, seed=2, avoid=seen)
    out = model.with_suffix(".int8.onnx")
    argv = [str(BIN / "modelport"), "optimize", str(model), "--int8", "-o", str(out)]
    argv += ["--calibration-images", str(calibration), "--check", str(held_out)]
    argv += ["--distil", str(distil)] if distil else []
    done = subprocess.run([*argv, "--min-agreement", "0"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"modelport optimize failed:\n{done.stderr}")
    return out, json.loads(out.with_suffix(".drift.json").read_text())


def bench_model(
    name: str, workdir: Path, jpeg: Path, b64: Path, labels: Path, args: argparse.Namespace
) -> list[tuple[str, int, Stats]]:
    model = models.BUILDERS[name](workdir / f"{name}.onnx")
    raw = jpeg.read_bytes()
    rows: list[tuple[str, int, Stats]] = []
    rows.append(("in-process b1", 1, in_process(model, raw, 1, args.seconds, args.threads)))
    rows.append(("in-process b16", 16, in_process(model, raw, 16, args.seconds, args.threads)))
    warm = min(2.0, args.seconds)

    with fastapi_app(workdir, model, labels.with_suffix(".json"), args.threads) as url:
        label = check_label(url, raw, "image/jpeg", {})
        plain = lua(workdir, "fastapi", jpeg, "image/jpeg", {})
        for c in CONCURRENCY:
            rows.append((f"fastapi c{c}", c, warm_then_load(url, plain, c, warm, args.seconds)))
    print(f"{name}: fastapi says {label!r}", file=sys.stderr)

    with modelport_server(workdir / name, args.threads) as (base, key):
        call = deploy(base, key, workdir, model, labels, name)
        headers = {"Authorization": f"Simple {key}"}
        label = check_label(call, raw, "image/jpeg", headers)
        check_label(call, b64.read_bytes(), "application/json", headers)
        print(f"{name}: modelport says {label!r}", file=sys.stderr)
        for kind, body, content_type in (
            ("raw", jpeg, "image/jpeg"),
            ("base64", b64, "application/json"),
        ):
            script = lua(workdir, kind, body, content_type, headers)
            for c in CONCURRENCY:
                stats = warm_then_load(call, script, c, warm, args.seconds)
                rows.append((f"modelport {kind} c{c}", c, stats))
        if args.int8 and name == "mobilenet":
            rows += bench_int8(name, workdir, model, raw, jpeg, labels, (call, base, key), args)

    # The rounds start every target afresh.
    json_labels, path = labels.with_suffix(".json"), call.removeprefix(base)
    targets: dict[str, Target] = {
        "fastapi": lambda: served(
            fastapi_app(workdir, model, json_labels, args.threads), plain, jpeg
        ),
        "two-process floor": lambda: served(
            uvicorn_app("forwarder:app", HERE, model, json_labels, args.threads, "/"), plain, jpeg
        ),
        "modelport raw": lambda: modelport_again(workdir / name, args.threads, path, jpeg),
    }
    with targets["two-process floor"]() as (forwarder, _):
        print(f"{name}: forwarder says {check_label(forwarder, raw, 'image/jpeg', {})!r}",
              file=sys.stderr)  # fmt: skip
    ROUNDS[name] = concurrency_one_rounds(model, jpeg, targets, args)
    return rows


Target = Callable[[], contextlib.AbstractContextManager[tuple[str, Path]]]


@contextlib.contextmanager
def served(
    server: contextlib.AbstractContextManager[str], script: Path, jpeg: Path
) -> Iterator[tuple[str, Path]]:
    """A started server once it has answered a call (its model loaded), and its wrk script."""
    with server as url:
        check_label(url, jpeg.read_bytes(), "image/jpeg", {})
        yield url, script


@contextlib.contextmanager
def modelport_again(
    workdir: Path, threads: int, path: str, jpeg: Path
) -> Iterator[tuple[str, Path]]:
    """``modelport serve`` again on the home a build was deployed to, once a call has started
    its worker: the call URL and a wrk script with the key."""
    with modelport_server(workdir, threads) as (base, key):
        headers = {"Authorization": f"Simple {key}"}
        check_label(base + path, jpeg.read_bytes(), "image/jpeg", headers)
        yield base + path, lua(workdir, "raw-again", jpeg, "image/jpeg", headers)


ROUNDS: dict[str, dict[str, list[Stats]]] = {}


def concurrency_one_rounds(
    model: Path, jpeg: Path, targets: dict[str, Target], args: argparse.Namespace
) -> dict[str, list[Stats]]:
    """Concurrency 1 against in-process b1 measured in the same round, ``--rounds`` times:
    each target's figures per round. This machine drifts by several per cent between minutes,
    more than the differences measured here, so each ratio compares neighbours in time. And
    one process's memory layout moves its speed by a few per cent (two identical servers
    differed by 2.4% over six interleaved rounds), so each round runs every target, and the
    in-process loop, in processes of its own."""
    found: dict[str, list[Stats]] = {"in-process b1": [], **{t: [] for t in targets}}
    for _ in range(args.rounds):
        found["in-process b1"].append(in_process_afresh(model, jpeg, args.seconds, args.threads))
        for target, start in targets.items():
            with start() as (url, script):
                warm = min(2.0, args.seconds)
                found[target].append(warm_then_load(url, script, 1, warm, args.seconds))
    return found


def in_process_afresh(model: Path, jpeg: Path, seconds: float, threads: int) -> Stats:
    """``in_process(model, jpeg, 1, ...)`` in a new interpreter."""
    code = (
        "import json, sys; from pathlib import Path; from vision_throughput import in_process;"
        " print(json.dumps(in_process(Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), 1,"
        " float(sys.argv[3]), int(sys.argv[4]))))"
    )
    argv = [sys.executable, "-c", code, str(model), str(jpeg), str(seconds), str(threads)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run(argv, cwd=HERE, env=env, capture_output=True, text=True, check=True)
    stats: Stats = json.loads(done.stdout.strip().splitlines()[-1])
    return stats


def bench_int8(
    name: str,
    workdir: Path,
    model: Path,
    raw: bytes,
    jpeg: Path,
    labels: Path,
    server: tuple[str, str, str],
    args: argparse.Namespace,
) -> list[tuple[str, int, Stats]]:
    """The INT8 rows: in-process b1, then the optimised model built and called raw."""
    int8, drift = quantize(workdir, model, args.distil)
    DRIFTS[name] = {**drift, **agreement_detail(workdir, model)}
    rows = [("in-process int8 b1", 1, in_process(int8, raw, 1, args.seconds, args.threads))]
    _, base, key = server
    call = deploy(base, key, workdir, int8, labels, f"{name}_int8")
    headers = {"Authorization": f"Simple {key}"}
    print(f"{name}: modelport int8 says {check_label(call, raw, 'image/jpeg', headers)!r}",
          file=sys.stderr)  # fmt: skip
    script = lua(workdir, "int8", jpeg, "image/jpeg", headers)
    warm = min(2.0, args.seconds)
    for c in CONCURRENCY:
        stats = warm_then_load(call, script, c, warm, args.seconds)
        rows.append((f"modelport int8 raw c{c}", c, stats))
    return rows


DRIFTS: dict[str, dict[str, object]] = {}


def agreement_detail(workdir: Path, model: Path) -> dict[str, object]:
    """FP16's agreement on the same held-out crops: how many are near-ties that any rounding
    flips, against which to read INT8's."""
    from modelport.client.optimize import optimize

    fp16 = optimize(model, model.with_suffix(".fp16.onnx"), mode="fp16",
                    check=workdir / "held-out", tolerance=None, min_agreement=None)  # fmt: skip
    return {"fp16_agreement": fp16.top1_agreement, "fp16_decisive": fp16.decisive_agreement}


def ratio(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def print_table(name: str, rows: list[tuple[str, int, Stats]]) -> None:
    bases = {label.split(" b1")[0]: r["ips"] for label, _, r in rows if label.endswith(" b1")}
    fastapi = {c: r["ips"] for label, c, r in rows if label.startswith("fastapi")}
    print(f"\n{name}")
    print(
        f"{'target':<20} {'images/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'x in-proc b1':>13} {'x fastapi':>10}"
    )
    for label, c, r in rows:
        http = not label.startswith("in-process")
        base = bases["in-process int8" if "int8" in label else "in-process"]
        vs_base = r["ips"] / base if c == 1 else math.nan
        vs_fastapi = r["ips"] / fastapi[c] if http and c in fastapi else math.nan
        print(
            f"{label:<20} {r['ips']:>9.1f} {r['p50']:>8.2f} {r['p99']:>8.2f}"
            f" {ratio(vs_base):>13} {ratio(vs_fastapi):>10}"
        )
    drift = DRIFTS.get(name.split(maxsplit=1)[0])
    if drift:
        print(
            f"int8 ({drift['operation']}, float nodes {drift.get('float_nodes', [])},"
            f" distillation steps {drift.get('distil_steps', 0)}):"
            f" top-1 agreement {drift['top1_agreement']:.2%} with FP32 on {drift['samples']}"
            f" held-out crops ({CALIBRATION} calibration crops; target 99%), max abs diff"
            f" {drift['max_abs_diff']:.3g}, mean {drift['mean_abs_diff']:.3g} (probabilities);"
            f" {drift['size_before']} -> {drift['size_after']} bytes. On the"
            f" {drift['decisive_samples']} decisive crops (FP32's top class leads by"
            f" {drift['near_tie']} or more) it is {drift['decisive_agreement']:.2%}; FP16 agrees"
            f" with FP32 on {drift['fp16_agreement']:.2%} of all crops and"
            f" {drift['fp16_decisive']:.2%} of the decisive ones."
        )


def print_rounds(name: str, found: dict[str, list[Stats]], seconds: float) -> None:
    base = [r["ips"] for r in found["in-process b1"]]
    base_cpu = statistics.median(r["cpu_ms"] for r in found["in-process b1"])
    print(f"\n{name}: concurrency 1 in {len(base)} interleaved rounds of {seconds:g} s each")
    print(
        f"{'target':<20} {'images/s':>9} {'x in-proc b1':>13} {'lowest':>7} {'highest':>8}"
        f" {'x fastapi':>10} {'CPU ms/image':>13} {'over in-proc':>13}"
    )
    plain = [r["ips"] for r in found["fastapi"]]
    for target, rounds in found.items():
        values = [r["ips"] for r in rounds]
        ratios = [v / b for v, b in zip(values, base, strict=True)]
        over_plain = statistics.median(v / p for v, p in zip(values, plain, strict=True))
        cpu = statistics.median(r["cpu_ms"] for r in rounds)
        print(
            f"{target:<20} {statistics.median(values):>9.1f} {statistics.median(ratios):>13.3f}"
            f" {min(ratios):>7.3f} {max(ratios):>8.3f} {over_plain:>10.3f} {cpu:>13.3f}"
            f" {cpu - base_cpu:>+13.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10, help="per measurement (10)")
    parser.add_argument("--models", default="mobilenet,resnet18", help="mobilenet,resnet18")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads per target (1)")
    parser.add_argument(
        "--int8",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="add the INT8 rows for mobilenet (modelport optimize --int8; default on)",
    )
    parser.add_argument(
        "--distil",
        type=int,
        default=200,
        metavar="STEPS",
        help="int8: optimize --distil STEPS, fine-tuned in torch (200; 0: GPTQ rounding only)",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved concurrency-1 rounds per model (5)"
    )
    args = parser.parse_args()
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in models.BUILDERS]
    if unknown:
        raise SystemExit(f"unknown models {unknown}: use {','.join(models.BUILDERS)}")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        raw = models.coffee_jpeg()
        jpeg, b64 = workdir / "coffee.jpg", workdir / "coffee.json"
        jpeg.write_bytes(raw)
        b64.write_text(json.dumps({"image": base64.b64encode(raw).decode()}))
        names_list = models.imagenet_labels()
        labels = workdir / "imagenet.txt"
        labels.write_text("".join(f"{n}\n" for n in names_list))
        labels.with_suffix(".json").write_text(json.dumps(names_list))
        for name in names:
            tables.append((name, bench_model(name, workdir, jpeg, b64, labels, args)))
    for name, rows in tables:
        print_table(f"{name} ({len(raw)} byte JPEG, 640x480, --threads {args.threads})", rows)
        print_rounds(name, ROUNDS[name], args.seconds)
    print(
        "\nimages/s for the HTTP rows is requests/s (one image a request); latency is per"
        " request, or per session call for in-process. x in-proc b1: images/s over in-process"
        " b1 (concurrency 1 rows; int8 rows: over in-process int8 b1); x fastapi: over the"
        " FastAPI app (FP32) at the same concurrency. Rounds: median over rounds of images/s"
        " over in-process b1 measured in the same round (target: 0.97), and over the FastAPI"
        " app's in the same round; the two-process floor"
        " is benchmarks/forwarder.py, the least a gateway can do with the model in a worker."
        " CPU ms/image: the median over rounds of the CPU time the target's processes (server"
        " and workers, not wrk) spent per image, and what that adds to the in-process loop's."
        f"\nload average after: {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()

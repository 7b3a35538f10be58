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

import argparse
import base64
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The modules beside this file; ONNX Runtime loads before torch (models.py), as it always has.
# forwarder.py's worker imports open_session and preprocess from here, and the rounds' fresh
# interpreter in_process: this module, with all it imports, is what those processes load.
from image_classifier import Stats, in_process, open_session, preprocess  # noqa: F401
from models import BUILDERS, coffee_jpeg, imagenet_labels
from vision_int8 import bench_int8
from vision_rounds import ROUNDS, Target, concurrency_one_rounds, modelport_again, served
from vision_tables import print_rounds, print_table
from vision_targets import (
    CONCURRENCY,
    HERE,
    check_label,
    deploy,
    fastapi_app,
    lua,
    modelport_server,
    uvicorn_app,
    warm_then_load,
)


def bench_model(
    name: str, workdir: Path, jpeg: Path, b64: Path, labels: Path, args: argparse.Namespace
) -> list[tuple[str, int, Stats]]:
    model = BUILDERS[name](workdir / f"{name}.onnx")
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
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        raise SystemExit(f"unknown models {unknown}: use {','.join(BUILDERS)}")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        raw = coffee_jpeg()
        jpeg, b64 = workdir / "coffee.jpg", workdir / "coffee.json"
        jpeg.write_bytes(raw)
        b64.write_text(json.dumps({"image": base64.b64encode(raw).decode()}))
        names_list = imagenet_labels()
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

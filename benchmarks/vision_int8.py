"""The INT8 rows of the vision benchmark: ``modelport optimize --int8`` on calibration crops,
its agreement with FP32 (and FP16's, for comparison) on held-out crops, and the optimised
model built and called raw."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import models
from image_classifier import Stats, in_process
from vision_targets import BIN, CONCURRENCY, check_label, deploy, lua, warm_then_load

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
    from modelport.convert.optimize import optimize

    fp16 = optimize(model, model.with_suffix(".fp16.onnx"), mode="fp16",
                    check=workdir / "held-out", tolerance=None, min_agreement=None)  # fmt: skip
    return {"fp16_agreement": fp16.top1_agreement, "fp16_decisive": fp16.decisive_agreement}

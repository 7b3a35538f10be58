"""The vision benchmark's printed tables: one per model, and one of its concurrency-1 rounds."""

from __future__ import annotations

import math
import statistics

from image_classifier import Stats
from vision_int8 import CALIBRATION, DRIFTS


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

"""``convert`` and ``optimize``: models to ONNX, and ONNX models to FP16 or INT8, gated on drift.

modelport convert model.pt --input-shape 1,3,224,224 -o model.onnx
modelport convert model.joblib -o model.onnx [--sample-data X.npy]
modelport optimize model.onnx --int8 [--calibration-images DIR [--distil STEPS]] [--check DIR]
                   -o out.onnx

Both print the drift (and write it to ``out.drift.json``); exit status 1, with nothing written,
when it is past ``--tolerance`` or under ``--min-agreement`` (docs/vision.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType
from typing import Any

from modelport.cli.output import table
from modelport.cli.session import Session, Subparsers
from modelport.client.archive import human_size
from modelport.errors import InvalidInput, ModelportError

EXIT_FAILED = 1


def _tools() -> tuple[ModuleType, ModuleType, ModuleType]:
    """``to_onnx``, ``optimize`` and ``drift`` from ``modelport.convert``, imported when a verb
    runs (numpy, ONNX and ONNX Runtime take a second to import, which every other verb would
    pay), or a clear error without the ``convert`` extra."""
    try:
        from modelport.convert import drift, optimize, to_onnx
    except ModuleNotFoundError as exc:
        raise ModelportError(
            f"modelport convert and optimize need {exc.name}: pip install 'modelport[convert]'"
        ) from None
    return to_onnx, optimize, drift


def _shape(text: str) -> tuple[int, ...]:
    *_, drift = _tools()
    try:
        return drift.parse_shape(text)  # type: ignore[no-any-return]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text}")
    return value


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    help_text = "convert a PyTorch or scikit-learn model to ONNX, refused when outputs drift"
    trust = " (docs/vision.md). Loading a pickle runs its code: convert only files you trust."
    p = sub.add_parser("convert", help=help_text, description=help_text + trust)
    p.add_argument("path", metavar="MODEL", type=Path, help=".pt/.pth (torch) or .joblib/.pkl")
    p.add_argument("-o", "--output", type=Path, metavar="OUT.onnx", help="default: MODEL.onnx")
    p.add_argument("--input-shape", type=_shape, metavar="N,C,H,W", help="torch: the input's shape")
    p.add_argument("--sample-data", type=Path, metavar="X.npy", help="sklearn: sample rows")
    p.add_argument("--tolerance", type=float, default=1e-3, help="max abs diff (0.001)")
    _agreement_flags(p)
    p.set_defaults(run=run_convert)

    help_text = "optimise an ONNX model (graph, FP16, INT8), refused when accuracy drops"
    p = sub.add_parser("optimize", help=help_text, description=help_text + " (docs/vision.md)")
    p.add_argument("path", metavar="MODEL.onnx", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.onnx")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--fp16", dest="mode", action="store_const", const="fp16")
    mode.add_argument("--int8", dest="mode", action="store_const", const="int8")
    p.add_argument("--calibration-images", type=Path, metavar="DIR", help="int8: static")
    p.add_argument(
        "--distil",
        type=int,
        default=0,
        metavar="STEPS",
        help="int8 static: fine-tune towards the original on the calibration images (torch)",
    )
    p.add_argument("--check", type=Path, metavar="DIR", help="images to compare on (random)")
    p.add_argument(
        "--tolerance", type=float, help="max abs diff of probabilities (fp16 0.05, int8 none)"
    )
    _agreement_flags(p)
    p.add_argument("--input-size", type=int, metavar="PX", help="a dynamic size (224)")
    p.set_defaults(run=run_optimize, mode="none")


def _agreement_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--min-agreement", type=_fraction, default=0.99, help="top-1, decisive samples (0.99)"
    )
    p.add_argument(
        "--near-tie",
        type=_fraction,
        default=0.1,
        metavar="LEAD",
        help="samples whose top class led by less do not count for --min-agreement (0.1)",
    )


def run_convert(session: Session) -> int:
    to_onnx, _, _ = _tools()
    args = session.args
    output = args.output or args.path.with_suffix(".onnx")
    if output.resolve() == args.path.resolve():
        raise InvalidInput(f"{output} would overwrite the model: pass -o OUT.onnx")
    return _gated(
        session,
        lambda: to_onnx.convert(
            args.path,
            output,
            input_shape=args.input_shape,
            sample_data=args.sample_data,
            tolerance=args.tolerance,
            min_agreement=args.min_agreement,
            near_tie=args.near_tie,
        ),
        f"Converted {args.path} -> {output}",
        output,
    )


def run_optimize(session: Session) -> int:
    _, optimize, _ = _tools()

    args = session.args
    if args.output.resolve() == args.path.resolve():
        raise InvalidInput(f"{args.output} would overwrite the model: pass another -o")
    return _gated(
        session,
        lambda: optimize.optimize(
            args.path,
            args.output,
            mode=args.mode,
            calibration=args.calibration_images,
            check=args.check,
            tolerance="default" if args.tolerance is None else args.tolerance,
            min_agreement=args.min_agreement,
            near_tie=args.near_tie,
            input_size=args.input_size,
            distil_steps=args.distil,
        ),
        f"Optimised {args.path} -> {args.output}",
        args.output,
    )


def _gated(session: Session, work: Any, done: str, output: Path) -> int:
    *_, drifts = _tools()
    try:
        drift = work()
    except drifts.DriftExceeded as exc:
        session.out(drift_table(exc.drift))
        session.err(f"modelport: error: {exc.message}")
        return EXIT_FAILED
    session.out(f"{done} ({drift.operation}, {drift.samples} {drift.inputs} samples)")
    session.out(drift_table(drift))
    session.out(f"Drift recorded in {drifts.drift_path(output)}")
    return 0


def drift_table(drift: Any) -> str:
    """The numbers as a small table; with sizes and timings, before and after."""
    extra = drift.extra
    agreement = drift.top1_agreement
    rows: list[list[object]] = [
        ["max abs diff", f"{drift.max_abs_diff:.3g}"],
        ["mean abs diff", f"{drift.mean_abs_diff:.3g}"],
        ["top-1 agreement", "-" if agreement is None else f"{agreement:.2%}"],
    ]
    if drift.decisive_samples is not None:
        decisive = drift.decisive_agreement
        shown = "-" if decisive is None else f"{decisive:.2%}"
        rows.append(
            [f"decisive (lead >= {drift.near_tie:g})", f"{shown} of {drift.decisive_samples}"]
        )
    if "size_before" not in extra:
        return table(["DRIFT", "VALUE"], rows)
    rows = [["", *row] for row in rows]
    rows.append([human_size(extra["size_before"]), "size", human_size(extra["size_after"])])
    before, after = extra["ms_per_image_before"], extra["ms_per_image_after"]
    rows.append([f"{before:.2f}", "ms per image", f"{after:.2f}"])
    return table(["BEFORE", "", "AFTER"], [[r[1], r[0], r[2]] for r in rows])

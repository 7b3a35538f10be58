"""``deploy``, ``build``, ``publish``, ``versions``, ``builds`` and ``logs``.

modelport deploy digits/                  # upload + build; prints the hash and call URL
modelport deploy m.onnx --task image-classification --labels l.txt --name alice/m  # no code
modelport deploy m.onnx --task tensor --name alice/m            # tensors in, tensors out
modelport deploy digits.joblib --features image:8x8-gray-inverted --scale 16 --name alice/d
modelport deploy svm.dat --task image-classification --features hog-digits --name alice/svm
modelport deploy frozen_inference_graph.pb --task object-detection --labels person.txt  # cv2.dnn
modelport publish alice/digits --minor    # 0.1.0, once the sample still passes
modelport versions alice/digits
"""

from __future__ import annotations

import argparse
import json
import shlex
import tempfile
from pathlib import Path

from modelport.cli.output import Progress, dig, duration, table, when
from modelport.cli.session import Session, Subparsers
from modelport.client.deploy import build_sha, read_manifest, source_folder
from modelport.core.manifest import Manifest
from modelport.core.names import AlgorithmRef
from modelport.errors import InvalidInput, InvalidName
from modelport.modelfile import (
    FEATURES,
    FORMATS,
    RESIZES,
    TASKS,
    ModelOptions,
    default_name,
    generate,
    is_model_file,
    parse_floats,
    read_labels,
)


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    for verb, help_text in (
        ("deploy", "upload and build a folder; print the build hash, call URL and next steps"),
        ("build", "upload and build a folder; print only the build hash (for scripts)"),
    ):
        p = sub.add_parser(verb, parents=[common], help=help_text, description=help_text)
        p.add_argument(
            "path",
            metavar="PATH",
            type=Path,
            help="folder with a modelport.yaml, or a model file: .onnx, .joblib, cv2.ml .dat,"
            " or a cv2.dnn detector (.pb, .caffemodel)",
        )
        p.add_argument("--owner", help="account to deploy as (default: the server's user)")
        add_model_flags(p)
        p.set_defaults(run=run_deploy, hints=verb == "deploy")

    p = sub.add_parser(
        "publish",
        parents=[common],
        help="publish a build as the next semantic version",
        description="Publish the newest successful build (or --build SHA) as the next version."
        " When the manifest has a sample, the server runs it first and refuses when the output"
        " differs (exit status 1).",
    )
    p.add_argument("ref", metavar="OWNER/NAME")
    bump = p.add_mutually_exclusive_group(required=True)
    for kind in ("major", "minor", "patch"):
        bump.add_argument(f"--{kind}", dest="bump", action="store_const", const=kind)
    p.add_argument("--public", action="store_true", help="anyone with a key may call it")
    p.add_argument(
        "--demo",
        action="store_true",
        help="also share a public demo page, /demo/OWNER/NAME: anyone with the link may try"
        " it without an account, rate limited (implies --public)",
    )
    p.add_argument("--notes", default="", metavar="TEXT", help="release notes")
    p.add_argument("--build", metavar="SHA", help="publish this build, not the newest")
    p.set_defaults(run=run_publish)

    p = sub.add_parser("versions", parents=[common], help="list published versions")
    p.add_argument("ref", metavar="OWNER/NAME")
    p.set_defaults(run=run_versions)

    p = sub.add_parser("builds", parents=[common], help="list builds")
    p.add_argument("ref", metavar="OWNER/NAME")
    p.set_defaults(run=run_builds)

    p = sub.add_parser("logs", parents=[common], help="print a build's logs")
    p.add_argument("ref", metavar="OWNER/NAME")
    p.add_argument("sha", metavar="SHA", help="the build hash")
    p.set_defaults(run=run_logs)


def add_model_flags(p: argparse.ArgumentParser) -> None:
    """Flags for deploying a model file with no code (docs/vision.md)."""
    g = p.add_argument_group("model files (PATH is a model file, not a folder; docs/vision.md)")
    g.add_argument("--task", choices=list(TASKS), help="what the model does (required)")
    g.add_argument("--name", metavar="[OWNER/]NAME", help="default: the file's name")
    g.add_argument("--labels", type=Path, metavar="FILE", help="one a line, or a JSON list/object")
    g.add_argument("--top-k", type=int, default=5, metavar="K", help="classification (5)")
    g.add_argument("--input-size", type=int, metavar="PX", help="default: the model's input")
    g.add_argument("--resize", choices=RESIZES, help="crop (classification) or stretch")
    g.add_argument("--mean", type=parse_floats, metavar="R,G,B", help="default: ImageNet's")
    g.add_argument("--std", type=parse_floats, metavar="R,G,B", help="default: ImageNet's")
    g.add_argument("--bgr", action="store_true", help="the model takes BGR, not RGB")
    g.add_argument("--format", choices=FORMATS, default="ssd", help="detection outputs (ssd)")
    g.add_argument("--threshold", type=float, default=0.4, help="detection confidence (0.4)")
    g.add_argument("--iou", type=float, default=0.45, help="YOLO NMS overlap (0.45)")
    g.add_argument("--box-order", choices=["yxyx", "xyxy"], default="yxyx", help="SSD boxes")
    g.add_argument("--replicas", type=int, metavar="N", help="worker processes (one per core)")
    g.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="cv2.dnn: the .pbtxt of a .pb (generated for TF-OD-API SSDs) or .prototxt",
    )
    g.add_argument("--features", metavar="SPEC", help=f".joblib/.dat: {' | '.join(FEATURES)}")
    g.add_argument(
        "--scale", type=float, help="image features' top value, e.g. 16 (1); ONNX's divisor (255)"
    )


def model_options(args: argparse.Namespace) -> tuple[str | None, ModelOptions]:
    """The owner (from --name or --owner) and the options for a model-file deploy."""
    task = args.task
    if not task and args.path.suffix.lower() == ".joblib":  # a plain or image-feature model
        plain = args.features in (None, "raw", "pixels")
        task = "tensor" if plain else "image-classification"
    if not task:
        raise InvalidInput(f"{args.path} is a model file: pass --task ({' or '.join(TASKS)})")
    owner, _, name = (args.name or "").rpartition("/")
    return owner or args.owner, ModelOptions(
        task=task,
        name=name or default_name(args.path),
        labels=read_labels(args.labels) if args.labels else None,
        top_k=args.top_k,
        **({"replicas": args.replicas} if args.replicas else {}),
        input_size=args.input_size,
        mean=args.mean,
        std=args.std,
        channels="BGR" if args.bgr else "RGB",
        resize=args.resize,
        format=args.format,
        threshold=args.threshold,
        iou=args.iou,
        box_order=args.box_order,
        scale=args.scale,
        features=args.features,
        config=args.config,
    )


def algorithm_ref(text: str) -> AlgorithmRef:
    ref = AlgorithmRef.parse(text)
    if ref.version is not None:
        raise InvalidName(f"expected OWNER/NAME without a version, got {text!r}")
    return ref


# flags without a default that only a model file uses (the others have harmless defaults)
MODEL_ONLY = ("task", "name", "labels", "input_size", "resize", "mean", "std", "features",
              "scale", "replicas", "config")  # fmt: skip


def run_deploy(session: Session) -> int:
    args = session.args
    if not is_model_file(args.path):
        given = [f"--{flag.replace('_', '-')}" for flag in MODEL_ONLY if getattr(args, flag, None)]
        if given:
            raise InvalidInput(f"{', '.join(given)}: for model files; {args.path} is not one")
        return deploy_folder(session, args.path, args.owner)
    owner, options = model_options(args)
    with tempfile.TemporaryDirectory(prefix="modelport-") as temp:
        folder = generate(args.path, options, Path(temp) / options.name)
        return deploy_folder(session, folder, owner)


def deploy_folder(session: Session, path: Path, owner: str | None) -> int:
    args = session.args
    manifest = read_manifest(path)
    client = session.client()
    progress = Progress(session.stderr, f"{source_folder(path).name}/")
    try:
        build = client.deploy(path, owner=owner, progress=progress.upload, on_status=progress.build)
    finally:
        progress.close()
    sha = build_sha(build)
    if not args.hints:
        session.out(sha)
        return 0
    algorithm = str(build.get("algorithm") or f"{owner or client.user}/{manifest.name}")
    url = build.get("call_url") or f"{client.api_address}/v1/algo/{algorithm}/{sha}"
    session.out(f"Deployed {algorithm} build {sha}")
    session.out(f"  URL:      {url}")
    session.out(f"  Call:     modelport call {algorithm}/{sha} {sample_flag(manifest)}".rstrip())
    session.out(f"  Publish:  modelport publish {algorithm} --minor")
    return 0


def sample_flag(manifest: Manifest) -> str:
    """The ``-i``/``--text`` flag that sends the manifest's sample input."""
    if not manifest.has_sample:
        return ""
    if isinstance(manifest.sample_input, str):
        return f"--text {shlex.quote(manifest.sample_input)}"
    return f"-i {shlex.quote(json.dumps(manifest.sample_input))}"


def run_publish(session: Session) -> int:
    args = session.args
    ref = algorithm_ref(args.ref)
    algo = session.client().publish(
        ref.owner,
        ref.name,
        args.bump,
        callability="public" if args.public or args.demo else "private",
        release_notes=args.notes,
        commit_sha=args.build,
    )
    version = dig(algo, "version_info", "semantic_version") or "?"
    callability = dig(algo, "settings", "algorithm_callability") or "?"
    sha = dig(algo, "version_info", "git_hash") or dig(algo, "build", "commit_sha")
    session.out(
        f"Published {ref} {version} ({callability})" + (f" from build {sha}" if sha else "")
    )
    session.out(f"  Call:  modelport call {ref}/{version}")
    if args.demo:
        client = session.client()
        client.share_demo(ref.owner, ref.name)
        session.out(f"  Demo:  {client.api_address.rstrip('/')}/demo/{ref}")
    return 0


def run_versions(session: Session) -> int:
    ref = algorithm_ref(session.args.ref)
    rows = [
        [
            dig(v, "version_info", "semantic_version"),
            dig(v, "version_info", "git_hash") or dig(v, "build", "commit_sha"),
            dig(v, "settings", "algorithm_callability"),
            when(dig(v, "version_info", "published_at") or dig(v, "build", "finished_at")),
        ]
        for v in session.client().versions(ref.owner, ref.name)
    ]
    if not rows:
        session.err(f"{ref} has no published versions yet: modelport publish {ref} --minor")
        return 0
    session.out(table(["VERSION", "BUILD", "CALLABILITY", "PUBLISHED"], rows))
    return 0


def run_builds(session: Session) -> int:
    ref = algorithm_ref(session.args.ref)
    rows = [
        [
            b.get("commit_sha") or b.get("build_id"),
            b.get("status"),
            when(b.get("started_at")),
            duration(b.get("started_at"), b.get("finished_at")),
        ]
        for b in session.client().builds(ref.owner, ref.name)
    ]
    if not rows:
        session.err(f"{ref} has no builds yet: modelport deploy FOLDER")
        return 0
    session.out(table(["BUILD", "STATUS", "STARTED", "DURATION"], rows))
    return 0


def run_logs(session: Session) -> int:
    ref = algorithm_ref(session.args.ref)
    logs = session.client().build_logs(ref.owner, ref.name, session.args.sha)
    session.stdout.write(logs if logs.endswith("\n") or not logs else logs + "\n")
    return 0

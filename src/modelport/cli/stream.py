"""``modelport stream``: run an algorithm over a video's frames, several calls in flight.

modelport stream --source clip.mp4 --algo alice/mobilenet --out annotated.mp4 --jsonl out.jsonl
modelport stream --source camera:0 --algo alice/detector --out cam.mp4 --every 2
modelport stream --source rtsp://cam.local/live --algo alice/detector --jsonl - --max-frames 100
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, TextIO

from modelport.cli.output import seconds
from modelport.cli.session import Session, Subparsers
from modelport.core.names import AlgorithmRef
from modelport.errors import InvalidInput
from modelport.stream import video
from modelport.stream.pipeline import IN_FLIGHT, Answer, ordered

DESCRIPTION = """\
Read a video, call an algorithm on every frame (sent as JPEG) with several calls in
flight, draw each result on its frame, and write the annotated video and one JSON line
per frame, in frame order.

--source is a video file, camera:N (a local camera) or a stream URL (rtsp://, http://);
--algo is OWNER/NAME[/VERSION]. Detections are drawn as boxes with labels, a
classification as its top label; other results are written to --jsonl only.

JSON lines: {"frame": i, "time": seconds, "result": ...}, or {"frame": i, "time": seconds,
"error": {"error_type", "message"}} for a frame the algorithm failed on (the stream goes on).
Ctrl-C stops reading and finishes both files. Progress and frames/s go to stderr.

Needs OpenCV: pip install 'modelport[video]'.
Exit status: 0 ok (some frames may have failed: see the summary), 1 every frame failed,
2 the source could not be opened or the platform refused, 130 interrupted."""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text}")
    return value


def register(sub: Subparsers, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "stream",
        parents=[common],
        help="run an algorithm over a video, a camera or a stream; write it annotated",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--source", required=True, metavar="FILE|camera:N|URL", help="what to read")
    p.add_argument("--algo", required=True, metavar="REF", help="OWNER/NAME[/VERSION]")
    p.add_argument("--out", type=Path, metavar="OUT.mp4", help="the annotated video (mp4v)")
    p.add_argument("--jsonl", metavar="OUT.jsonl", help="one JSON line per frame (- for stdout)")
    p.add_argument("--every", type=_positive, default=1, metavar="N", help="every Nth frame (1)")
    p.add_argument("--max-frames", type=_positive, metavar="N", help="stop after N frames")
    p.add_argument(
        "--fps-limit",
        type=float,
        nargs="?",
        const=0.0,
        metavar="FPS",
        help="read no faster than FPS frames/s (no value: the source's own rate)",
    )
    p.add_argument(
        "--in-flight",
        type=_positive,
        default=IN_FLIGHT,
        metavar="N",
        help=f"calls in flight at once ({IN_FLIGHT})",
    )
    p.add_argument("--timeout", type=float, metavar="S", help="seconds before one call fails")
    p.set_defaults(run=run)


def run(session: Session) -> int:
    args = session.args
    ref = AlgorithmRef.parse(args.algo)
    if args.fps_limit is not None and args.fps_limit < 0:
        raise InvalidInput("--fps-limit must be positive")
    algo = session.client().algo(ref)
    source = video.Source(args.source)
    rate = (source.fps or video.DEFAULT_FPS) / args.every
    pace = None if args.fps_limit is None else (args.fps_limit or rate)
    total = _expected(source.frame_count, args.every, args.max_frames)
    out = video.VideoOut(args.out, pace or rate) if args.out else None
    lines = _open_lines(session, args.jsonl)
    progress = StreamProgress(session.stderr, total)

    def call(frame: video.Frame) -> Any:
        return algo.pipe(video.encode_jpeg(frame.image), timeout=args.timeout).result

    frames = source.frames(every=args.every, max_frames=args.max_frames, pace=pace)
    answers = ordered(call, frames, in_flight=args.in_flight)
    interrupted = False
    try:
        for answer in answers:
            _emit(answer, out, lines, video.draw)
            progress.update(answer.ok)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        try:
            answers.close()  # settles the calls in flight
        finally:
            source.close()
            if out is not None:
                out.close()
            if lines is not None and lines is not session.stdout:
                lines.close()
            progress.close()
    session.err(progress.summary(_written(args), interrupted=interrupted))
    if interrupted:
        return 130
    if progress.done == 0:
        session.err(f"modelport: error: --source {args.source}: no frames could be read")
        return 2
    return 1 if progress.errors == progress.done else 0


def _emit(answer: Answer[Any], out: Any, lines: TextIO | None, draw: Any) -> None:
    frame = answer.item
    record: dict[str, Any] = {"frame": frame.index, "time": frame.time}
    if answer.ok:
        record["result"] = answer.result
        if out is not None:
            draw(frame.image, answer.result)
    else:
        record["error"] = answer.error
    if out is not None:
        out.write(frame.image)
    if lines is not None:
        lines.write(json.dumps(record, ensure_ascii=False) + "\n")
        lines.flush()


def _open_lines(session: Session, path: str | None) -> TextIO | None:
    if path is None:
        return None
    if path == "-":
        return session.stdout
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return open(path, "w", encoding="utf-8")  # closed in run()


def _expected(count: int | None, every: int, max_frames: int | None) -> int | None:
    """How many frames a file will give, when its frame count is known.

    >>> _expected(10, 3, None), _expected(10, 1, 4), _expected(None, 1, 4)
    (4, 4, 4)
    """
    if count is None:
        return max_frames
    taken = (count + every - 1) // every
    return taken if max_frames is None else min(taken, max_frames)


def _written(args: argparse.Namespace) -> str:
    names = [str(p) for p in (args.out, args.jsonl) if p is not None and p != "-"]
    return " -> " + ", ".join(names) if names else ""


class StreamProgress:
    """Frames done and frames/s on stderr: a bar rewritten in place on a terminal, a line
    every few seconds otherwise."""

    def __init__(self, stream: TextIO, total: int | None, every_s: float = 5.0) -> None:
        self.stream = stream
        self.total = total
        self.tty = stream.isatty()
        self.every_s = every_s
        self.started = time.monotonic()
        self.shown = self.started
        self.done = 0
        self.errors = 0
        self.open_line = False

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        count = f"{self.done}/{self.total}" if self.total else str(self.done)
        text = f"{count} frames  {self.rate:.1f} frames/s"
        if self.errors:
            text += f"  {self.errors} failed"
        if self.total:
            width = 24
            filled = min(width, self.done * width // self.total)
            text = f"[{'#' * filled}{'.' * (width - filled)}] {text}"
        return text

    def update(self, ok: bool) -> None:
        self.done += 1
        self.errors += 0 if ok else 1
        now = time.monotonic()
        if self.tty and now - self.shown >= 0.1:
            self.stream.write(f"\r\033[K{self.line()}")
            self.open_line = True
        elif not self.tty and now - self.shown >= self.every_s:
            self.stream.write(self.line() + "\n")
        else:
            return
        self.shown = now
        self.stream.flush()

    def summary(self, written: str, *, interrupted: bool) -> str:
        elapsed = time.monotonic() - self.started
        head = "Interrupted after" if interrupted else "Streamed"
        failed = f", {self.errors} failed" if self.errors else ""
        return (
            f"{head} {self.done} frames in {seconds(elapsed)} "
            f"({self.rate:.1f} frames/s{failed}){written}"
        )

    def close(self) -> None:
        if self.open_line:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.open_line = False

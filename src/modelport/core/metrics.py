"""Prometheus counters, histograms and gauges, rendered in the text exposition format.

Pure bookkeeping: the HTTP layer serves ``Metrics.render()`` at ``/metrics``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Callable

Labels = tuple[tuple[str, str], ...]
_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)


def _fmt(labels: Labels, extra: tuple[str, str] | None = None) -> str:
    items = [*labels, extra] if extra else list(labels)
    if not items:
        return ""
    escaped = (v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") for _, v in items)
    return "{" + ",".join(f'{k}="{v}"' for (k, _), v in zip(items, escaped, strict=True)) + "}"


class Metrics:
    """The gateway's metrics.

    >>> m = Metrics()
    >>> m.count("modelport_calls_total", "Calls", algorithm="a/b", outcome="ok")
    >>> "modelport_calls_total" in m.render()
    True
    """

    def __init__(self) -> None:
        self._help: dict[str, tuple[str, str]] = {}
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self._hists: dict[str, dict[Labels, list[float]]] = defaultdict(dict)
        self._gauges: dict[str, Callable[[], dict[Labels, float]]] = {}

    def count(self, name: str, help_: str, value: float = 1.0, **labels: str) -> None:
        self._help.setdefault(name, ("counter", help_))
        self._counters[name][tuple(labels.items())] += value

    def observe(self, name: str, help_: str, value: float, **labels: str) -> None:
        self._help.setdefault(name, ("histogram", help_))
        key = tuple(labels.items())
        # per series: one slot per bucket, then +Inf count, then the sum
        series = self._hists[name].setdefault(key, [0.0] * (len(_BUCKETS) + 2))
        series[bisect_left(_BUCKETS, value)] += 1
        series[-1] += value

    def gauge(self, name: str, help_: str, read: Callable[[], dict[Labels, float]]) -> None:
        """Register a gauge read when rendering, e.g. workers by state."""
        self._help[name] = ("gauge", help_)
        self._gauges[name] = read

    def value(self, name: str, **labels: str) -> float:
        return self._counters.get(name, {}).get(tuple(labels.items()), 0.0)

    def render(self) -> str:
        lines: list[str] = []
        for name, (kind, help_) in sorted(self._help.items()):
            lines += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}"]
            if kind == "counter":
                lines += [f"{name}{_fmt(k)} {v}" for k, v in self._counters[name].items()]
            elif kind == "gauge":
                lines += [f"{name}{_fmt(k)} {v}" for k, v in self._gauges[name]().items()]
            else:
                for key, series in self._hists[name].items():
                    cumulative = 0.0
                    for bound, n in zip(_BUCKETS, series, strict=False):
                        cumulative += n
                        lines.append(f"{name}_bucket{_fmt(key, ('le', str(bound)))} {cumulative}")
                    total = cumulative + series[len(_BUCKETS)]
                    lines.append(f"{name}_bucket{_fmt(key, ('le', '+Inf'))} {total}")
                    lines.append(f"{name}_count{_fmt(key)} {total}")
                    lines.append(f"{name}_sum{_fmt(key)} {series[-1]}")
        return "\n".join(lines) + "\n"


class RecentCalls:
    """Each algorithm's calls over the last ``window`` seconds (at most ``keep`` of them), for
    the web UI's "calls in the last hour" and median latency.

    >>> recent = RecentCalls(window=60)
    >>> recent.record("a/b", 0.010, True, at=0.0)
    >>> recent.record("a/b", 0.030, False, at=1.0)
    >>> recent.summary("a/b", now=2.0)
    {'calls': 2, 'errors': 1, 'p50_ms': 30.0}
    >>> recent.summary("a/b", now=60.5)  # the call at 0.0 has left the window
    {'calls': 1, 'errors': 1, 'p50_ms': 30.0}
    """

    def __init__(self, window: float = 3600.0, keep: int = 10_000) -> None:
        self._window, self._keep = window, keep
        self._calls: dict[str, deque[tuple[float, float, bool]]] = {}

    def record(self, label: str, seconds: float, ok: bool, *, at: float) -> None:
        calls = self._calls.get(label)
        if calls is None:
            calls = self._calls[label] = deque(maxlen=self._keep)
        calls.append((at, seconds, ok))

    def summary(self, label: str, *, now: float) -> dict[str, float | int | None]:
        calls = self._calls.get(label)
        while calls and calls[0][0] < now - self._window:
            calls.popleft()
        if not calls:
            return {"calls": 0, "errors": 0, "p50_ms": None}
        durations = sorted(seconds for _, seconds, _ in calls)
        return {
            "calls": len(calls),
            "errors": sum(1 for *_, ok in calls if not ok),
            "p50_ms": round(durations[len(durations) // 2] * 1000, 3),
        }

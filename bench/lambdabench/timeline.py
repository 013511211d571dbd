"""Where a Pants build's time goes, by kind of process, from Pants' own workunit log lines.

Pants logs `HH:MM:SS.ff [INFO] Starting: <description>` and `... Completed: <description>` for
every process at INFO level when its output is not a terminal. Each kind's `wall` is the time
at least one of its processes ran, its `busy` the sum of their run times. Pants' start-up is the
time from launching `./pants` to its first process; `engine` is the time after that when no
process ran (rule code: target parsing, splitting trees, reading digests).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

START_UP = "Pants start-up"
ENGINE = "engine, no process running"
# (kind, pattern of the process description), first match wins; the order is the table's.
KINDS = (
    ("lock resolve, download and resolve PEX (Pex)", r"Resolving .* for python"),
    ("sdist built into a wheel", r"Building .* into a wheel"),
    ("wheel downloaded and unpacked", r"Downloading and unpacking "),
    ("pex3 venv create", r"Installing (the resolve|the requirements)"),
    ("per-distribution zip and compile", r"Zipping .+ \d\S* for python"),
    ("per-distribution verify", r"Verifying .+ for python"),
    ("final zip (copies the distributions' entries)", r"Zipping \S+:\S+"),
    ("other processes", r""),
)
_LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d) \[INFO\] (Starting|Completed): (.+)$", re.M)


@dataclass(frozen=True)
class Span:
    description: str
    start: float  # Seconds since `./pants` was launched.
    end: float


@dataclass(frozen=True)
class KindTime:
    kind: str
    processes: int
    wall: float
    busy: float


def spans(log: str, launched: datetime) -> tuple[Span, ...]:
    """The processes of one run's log; `launched` is when `./pants` started, in local time."""
    started: dict[str, list[float]] = defaultdict(list)
    found = []
    for match in _LINE.finditer(log):
        hours, minutes, seconds, hundredths, event, description = match.groups()
        at = launched.replace(
            hour=int(hours), minute=int(minutes), second=int(seconds), microsecond=0
        ) + timedelta(milliseconds=10 * int(hundredths))
        if at < launched - timedelta(seconds=1):  # The log went past midnight.
            at += timedelta(days=1)
        offset = (at - launched).total_seconds()
        if event == "Starting":
            started[description].append(offset)
        elif started[description]:
            found.append(Span(description, started[description].pop(0), offset))
    return tuple(sorted(found, key=lambda span: (span.start, span.description)))


def kind_of(description: str) -> str:
    return next(kind for kind, pattern in KINDS if re.match(pattern, description))


def time_by_kind(run_spans: Sequence[Span], total: float) -> tuple[KindTime, ...]:
    """Start-up, each kind of process that ran, and the engine's own time, for a run of `total`
    seconds."""
    if not run_spans:
        return (KindTime(START_UP, 0, total, total),)
    by_kind: dict[str, list[Span]] = defaultdict(list)
    for span in run_spans:
        by_kind[kind_of(span.description)].append(span)
    start_up = min(span.start for span in run_spans)
    busy_wall = _union(run_spans)
    rows = [KindTime(START_UP, 0, start_up, start_up)]
    rows += [
        KindTime(
            kind, len(kind_spans), _union(kind_spans), sum(s.end - s.start for s in kind_spans)
        )
        for kind, _ in KINDS
        for kind_spans in [by_kind.get(kind)]
        if kind_spans
    ]
    idle = max(0.0, total - start_up - busy_wall)
    rows.append(KindTime(ENGINE, 0, idle, idle))
    return tuple(rows)


def _union(intervals: Iterable[Span]) -> float:
    covered, end = 0.0, float("-inf")
    for span in sorted(intervals, key=lambda span: span.start):
        if span.end > end:
            covered += span.end - max(span.start, end)
            end = span.end
    return covered

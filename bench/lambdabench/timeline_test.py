from __future__ import annotations

from datetime import datetime

import pytest

from lambdabench.timeline import ENGINE, START_UP, Span, kind_of, spans, time_by_kind

# Trimmed from a real cold `package` of the example's echo and plot, with Pants' own DEBUG lines.
LOG = """\
12:25:20.90 [DEBUG] Starting: `package` goal
12:25:21.32 [INFO] Starting: Resolving 3rdparty/python/python-default.lock for python3.11 x86_64
12:26:01.88 [INFO] Completed: Resolving 3rdparty/python/python-default.lock for python3.11 x86_64
12:26:01.89 [INFO] Starting: Installing the resolve `python-default` for python3.11 x86_64
12:26:05.92 [INFO] Completed: Installing the resolve `python-default` for python3.11 x86_64
12:26:06.23 [INFO] Starting: Zipping numpy 2.2.6 for python3.11 x86_64
12:26:06.23 [INFO] Starting: Zipping tzdata 2026.6 for python3.11 x86_64
12:26:06.51 [INFO] Completed: Zipping tzdata 2026.6 for python3.11 x86_64
12:26:09.97 [INFO] Completed: Zipping numpy 2.2.6 for python3.11 x86_64
12:26:10.00 [INFO] Starting: Verifying numpy 2.2.6 for python3.11 x86_64
12:26:10.50 [INFO] Completed: Verifying numpy 2.2.6 for python3.11 x86_64
12:26:13.94 [INFO] Starting: Zipping src/python/echo:echo
12:26:14.06 [INFO] Completed: Zipping src/python/echo:echo
12:26:14.81 [INFO] Wrote dist/src.python.echo/echo.zip
"""
LAUNCHED = datetime(2026, 12, 2, 12, 25, 0)


def test_spans_pair_each_start_with_its_completion() -> None:
    found = spans(LOG, LAUNCHED)
    assert [s.description.split(" for ")[0] for s in found] == [
        "Resolving 3rdparty/python/python-default.lock",
        "Installing the resolve `python-default`",
        "Zipping numpy 2.2.6",
        "Zipping tzdata 2026.6",
        "Verifying numpy 2.2.6",
        "Zipping src/python/echo:echo",
    ]
    numpy = found[2]
    assert (numpy.start, numpy.end) == pytest.approx((66.23, 69.97))


def test_spans_past_midnight() -> None:
    log = "23:59:59.50 [INFO] Starting: Zipping a:b\n00:00:01.00 [INFO] Completed: Zipping a:b\n"
    (span,) = spans(log, datetime(2026, 12, 2, 23, 59, 58))
    assert (span.start, span.end) == pytest.approx((1.5, 3.0))


@pytest.mark.parametrize(
    "description, kind",
    [
        ("Resolving 3rdparty/python/a.lock for python3.11 x86_64", "lock resolve"),
        ("Building foo-1.0.tar.gz into a wheel", "sdist built"),
        ("Downloading and unpacking msgspec-0.23.0-cp311-cp311-x.whl", "wheel downloaded"),
        ("Installing the resolve `python-default` for python3.11 x86_64", "pex3 venv"),
        ("Zipping python-dateutil 4.0.0 for python3.12 arm64", "per-distribution zip"),
        ("Verifying numpy 2.2.6 for python3.11 x86_64", "per-distribution verify"),
        ("Zipping src/python/echo:echo", "final zip"),
        ("Building lambda-dependencies.pex", "other"),
    ],
)
def test_kinds(description: str, kind: str) -> None:
    assert kind_of(description).startswith(kind)


def test_time_by_kind_splits_the_run() -> None:
    rows = {row.kind: row for row in time_by_kind(spans(LOG, LAUNCHED), total=75.0)}
    assert rows[START_UP].wall == pytest.approx(21.32)
    zips = rows["per-distribution zip and compile"]
    # Two ran at once: 3.74 s of wall, 4.02 s of process time.
    assert (zips.processes, zips.wall, zips.busy) == (2, pytest.approx(3.74), pytest.approx(4.02))
    busy_wall = 40.56 + 4.03 + 3.74 + 0.5 + 0.12
    assert rows[ENGINE].wall == pytest.approx(75.0 - 21.32 - busy_wall)


def test_a_run_without_processes_is_all_start_up() -> None:
    (row,) = time_by_kind((), total=12.0)
    assert (row.kind, row.wall) == (START_UP, 12.0)
    assert time_by_kind((Span("Zipping a:b", 10.0, 11.0),), 12.0)[0].wall == 10.0

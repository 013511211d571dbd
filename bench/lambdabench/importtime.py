"""Cold import time of a handler from extracted zips, alternating them (e.g. with and without
their bytecode)."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

_TAIL_LINES = 8


@dataclass(frozen=True)
class ImportTime:
    """The median over the timed runs of one zip, or why its import failed."""

    label: str
    zip_bytes: int
    pyc_files: int
    runs: int
    seconds: Optional[float]
    failure: Optional[str] = None


def time_imports(
    zips: Sequence[tuple[str, Path]], module: str, python: str, runs: int = 10
) -> list[ImportTime]:
    """Median wall time of a fresh `python -I -S -B` importing `module`, per (label, zip).

    Each zip is extracted as it is, with whatever bytecode it ships, and imported once untimed
    (matplotlib builds its font cache, as a warm `/tmp` would have it), then `runs` times,
    alternating the zips. `-B` keeps every run from writing bytecode (as root, a read-only
    folder would not), so each run is a cold start; `-I -S` leave only the tree importable.
    """
    with tempfile.TemporaryDirectory(prefix="importtime-") as tmp:
        roots = [Path(tmp, f"z{i}") for i in range(len(zips))]
        for (_, zip_path), root in zip(zips, roots):
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(root)
        env = {"MPLCONFIGDIR": str(Path(tmp, "mplconfig"))}
        failures = [_failure(python, root, module, env) for root in roots]
        times: list[list[float]] = [[] for _ in roots]
        for _ in range(runs):
            for i, root in enumerate(roots):
                if failures[i] is None:
                    times[i].append(_time_once(python, root, module, env))
        pyc_files = [sum(1 for _ in root.rglob("*.pyc")) for root in roots]
    return [
        ImportTime(
            label,
            zip_path.stat().st_size,
            pyc,
            len(seconds),
            statistics.median(seconds) if seconds else None,
            failure,
        )
        for (label, zip_path), pyc, seconds, failure in zip(zips, pyc_files, times, failures)
    ]


def _failure(python: str, root: Path, module: str, env: dict[str, str]) -> Optional[str]:
    """Why the untimed first import failed, if it did."""
    try:
        _time_once(python, root, module, env)
    except subprocess.CalledProcessError as e:
        return "\n".join(e.stderr.splitlines()[-_TAIL_LINES:])
    return None


def _time_once(python: str, root: Path, module: str, env: dict[str, str]) -> float:
    code = f"import sys; sys.path.insert(0, {str(root)!r}); import {module}"
    start = time.perf_counter()
    subprocess.run(
        [python, "-I", "-S", "-B", "-c", code],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        env={**env, "PATH": os.environ.get("PATH", "")},
    )
    return time.perf_counter() - start

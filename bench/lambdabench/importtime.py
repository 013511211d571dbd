"""Cold import time of a handler from an extracted zip: as shipped, and without its bytecode."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ImportTimes:
    pyc_files: int
    shipped: float
    without_pyc: float
    runs: int

    @property
    def ratio(self) -> float:
        return self.shipped / self.without_pyc


def time_import(zip_path: Path, module: str, python: str, runs: int = 10) -> ImportTimes:
    """Median wall time of a fresh `python -I -S -B` importing `module`, alternating two trees.

    One tree is the zip extracted as it is, with whatever bytecode it ships; the other is the
    same without any `.pyc`. `-B` keeps every run from writing bytecode (as root, a read-only
    folder would not), so each run is a cold start; `-I -S` leave only the tree importable.
    matplotlib's font cache is built once, untimed, as a warm `/tmp` would have it.
    """
    with tempfile.TemporaryDirectory(prefix="importtime-") as tmp:
        shipped, stripped = Path(tmp, "shipped"), Path(tmp, "stripped")
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(shipped)
        shutil.copytree(shipped, stripped)
        _strip_bytecode(stripped)
        env = {"MPLCONFIGDIR": str(Path(tmp, "mplconfig"))}
        _time_once(python, stripped, module, env)
        times: dict[Path, list[float]] = {shipped: [], stripped: []}
        for _ in range(runs):
            for root in (shipped, stripped):
                times[root].append(_time_once(python, root, module, env))
        pyc_files = sum(1 for _ in shipped.rglob("*.pyc"))
    return ImportTimes(
        pyc_files,
        statistics.median(times[shipped]),
        statistics.median(times[stripped]),
        runs,
    )


def _strip_bytecode(root: Path) -> None:
    for cache in list(root.rglob("__pycache__")):
        shutil.rmtree(cache)
    for pyc in root.rglob("*.pyc"):
        pyc.unlink()


def _time_once(python: str, root: Path, module: str, env: dict[str, str]) -> float:
    code = f"import sys; sys.path.insert(0, {str(root)!r}); import {module}"
    start = time.perf_counter()
    subprocess.run(
        [python, "-I", "-S", "-B", "-c", code],
        cwd=root,
        check=True,
        env={**env, "PATH": os.environ.get("PATH", "")},
    )
    return time.perf_counter() - start

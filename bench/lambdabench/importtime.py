"""Cold import time of a handler from an extracted zip, with and without `.pyc` files."""

from __future__ import annotations

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
    with_pyc: float
    without_pyc: float
    runs: int


def time_import(zip_path: Path, module: str, python: str, runs: int = 5) -> ImportTimes:
    """Median wall time of `python -I -S -B -c 'import MODULE'` in two extractions of the zip.

    One extraction has `.pyc`s compiled for `python`, the other none; runs alternate between
    them. `-B` keeps the timed runs from writing bytecode; `-S` keeps the host's site-packages
    out, as on Lambda, where only the task root is importable.
    """
    with tempfile.TemporaryDirectory(prefix="importtime-") as tmp:
        plain, compiled = Path(tmp, "plain"), Path(tmp, "compiled")
        _extract(zip_path, plain)
        _strip_bytecode(plain)
        shutil.copytree(plain, compiled)
        subprocess.run([python, "-I", "-m", "compileall", "-q", str(compiled)], check=True)
        times: dict[Path, list[float]] = {plain: [], compiled: []}
        for _ in range(runs):
            for root in (plain, compiled):
                times[root].append(_time_once(python, root, module))
    return ImportTimes(statistics.median(times[compiled]), statistics.median(times[plain]), runs)


def _extract(zip_path: Path, dest: Path) -> None:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)


def _strip_bytecode(root: Path) -> None:
    for cache in list(root.rglob("__pycache__")):
        shutil.rmtree(cache)
    for pyc in root.rglob("*.pyc"):
        pyc.unlink()


def _time_once(python: str, root: Path, module: str) -> float:
    code = f"import sys; sys.path.insert(0, {str(root)!r}); import {module}"
    start = time.perf_counter()
    subprocess.run([python, "-I", "-S", "-B", "-c", code], cwd=root, check=True)
    return time.perf_counter() - start

"""The `scientific` check: one python3.11 x86_64 lambda on pandas, numpy and pyarrow, built by
ours with its defaults, without slimming and without bytecode, against Lambda's unzipped limit.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from lambdabench import generator, locks
from lambdabench.approaches.base import Bench
from lambdabench.approaches.pants import Ours
from lambdabench.proc import CommandFailed
from lambdabench.workload import REQUIREMENTS, SRC, Workload

# The newest with cp311 wheels for glibc 2.26 (python3.11's Amazon Linux 2): later releases
# ship manylinux_2_28 wheels only.
PINS = ("numpy==2.2.6", "pandas==2.3.2", "pyarrow==20.0.0")
LAMBDA = "tabular"
HANDLER = f"{LAMBDA}.handler.handler"
EVENT = {"values": [1, 3, 2, 4]}
UNZIPPED_LIMIT = 250 * 2**20  # 262,144,000 bytes, as AWS counts 250 MB
ERROR_LINES = 12
_INVOKE_TAIL_LINES = 8

HANDLER_SOURCE = f'''"""The event's values through pandas, numpy and a Parquet round trip."""

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from {generator.SHARED_PACKAGE}.core import respond

MODULES = (np.__name__, pd.__name__, pa.__name__)


def handler(event, context):
    frame = pd.DataFrame({{"value": np.asarray(event.get("values", []), dtype=float)}})
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame), buffer)
    table = pq.read_table(io.BytesIO(buffer.getvalue()))
    return {{
        **respond("{LAMBDA}", MODULES, event),
        "rows": table.num_rows,
        "mean": float(table.to_pandas()["value"].mean()),
        "parquet_bytes": len(buffer.getvalue()),
        "versions": [np.__version__, pd.__version__, pa.__version__],
    }}
'''


def write_sources(dest: Path) -> None:
    files = {
        f"{SRC}/{generator.SHARED_PACKAGE}/__init__.py": "",
        f"{SRC}/{generator.SHARED_PACKAGE}/core.py": generator.SHARED_SOURCE,
        f"{SRC}/{LAMBDA}/__init__.py": "",
        f"{SRC}/{LAMBDA}/handler.py": HANDLER_SOURCE,
        REQUIREMENTS: "".join(f"{pin}\n" for pin in PINS),
    }
    for name, text in files.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text)


def workload() -> Workload:
    return Workload(
        name="scientific",
        lambdas=(LAMBDA,),
        shared_package=generator.SHARED_PACKAGE,
        shared_module="core",
        write_sources=write_sources,
    )


@dataclass(frozen=True)
class Setting:
    label: str
    options: tuple[str, ...] = ()


SETTINGS = (
    Setting("defaults (bytecode, slim)"),
    Setting("without slim", ("--lambda-slim=false",)),
    Setting("without bytecode", ("--lambda-compile-bytecode=false",)),
)


@dataclass(frozen=True)
class Invocation:
    """One call of the handler in a fresh CPython: its wall time and response, or why not."""

    seconds: float
    response: Optional[str] = None
    failure: Optional[str] = None


@dataclass(frozen=True)
class ScientificBuild:
    """One setting's build: sizes from `<zip>.metadata.json`, or the start of its error."""

    setting: Setting
    seconds: float
    zipped_size: Optional[int] = None
    # The metadata's; for a budget error, the size its message gives (to 0.1 MiB).
    unzipped_size: Optional[int] = None
    bytecode_size: Optional[int] = None
    slimmed_size: Optional[int] = None
    error: tuple[str, ...] = ()
    invocation: Optional[Invocation] = None

    @property
    def fits(self) -> Optional[bool]:
        return None if self.unzipped_size is None else self.unzipped_size <= UNZIPPED_LIMIT


def ours_copy(bench: Bench) -> Ours:
    """Ours' copy of the workload, with its lock (generated once, kept in the bench cache)."""
    wl = workload()
    return Ours(bench, wl, bench.work / wl.name / Ours.name, locks.prepare_ours(bench, wl))


def run_check(
    ours: Ours, python: str, progress: Callable[[str], None] = print
) -> tuple[ScientificBuild, ...]:
    """Builds a fresh copy once per setting, each into its own dist folder (the first from
    empty caches), and invokes each zip built once with `python`."""
    ours.reset()
    builds = []
    for setting in SETTINGS:
        progress(f"  -- {setting.label} {' '.join(setting.options)}".rstrip())
        builds.append(build(ours, setting, python))
        progress(f"    {summary(builds[-1])}")
    return tuple(builds)


def build(ours: Ours, setting: Setting, python: str) -> ScientificBuild:
    start = time.perf_counter()
    try:
        distdir = ours.package_into(re.sub(r"\W+", "-", setting.label).strip("-"), *setting.options)
    except CommandFailed as e:
        text = str(e)
        return ScientificBuild(
            setting,
            time.perf_counter() - start,
            unzipped_size=error_size(text),
            error=error_lines(text),
        )
    seconds = time.perf_counter() - start
    zip_path = next(distdir.rglob("*.zip"))
    metadata = json.loads(Path(f"{zip_path}.metadata.json").read_text())
    return ScientificBuild(
        setting,
        seconds,
        zipped_size=zip_path.stat().st_size,
        unzipped_size=metadata["unzipped_size"],
        bytecode_size=metadata["bytecode_size"],
        slimmed_size=metadata["slimmed_size"],
        invocation=invoke(zip_path, HANDLER, EVENT, python),
    )


def summary(built: ScientificBuild) -> str:
    sizes = f"{built.unzipped_size / 2**20:.1f} MiB unzipped" if built.unzipped_size else "no size"
    state = "failed: " + built.error[0] if built.error else "built"
    return f"{built.seconds:.1f}s, {sizes}, {state}"


_SIZE_IN_ERROR = re.compile(r" is ([\d.]+) (B|KiB|MiB|GiB) unzipped")
_EXCEPTION = re.compile(r"^[A-Z]\w*(Error|Exception): ")
_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d")
_UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}


def error_size(text: str) -> Optional[int]:
    """The unzipped size that a budget error gives, in bytes (as exact as its rounding)."""
    found = _SIZE_IN_ERROR.search(text)
    return round(float(found.group(1)) * _UNITS[found.group(2)]) if found else None


def error_lines(text: str, count: int = ERROR_LINES) -> tuple[str, ...]:
    """The first non-blank lines of the Pants error in a failed command's output."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _EXCEPTION.match(line)), None)
    if start is None:
        start = next((i for i, line in enumerate(lines) if "[ERROR]" in line), 0)
    picked = []
    for line in lines[start:]:
        if picked and _LOG_LINE.match(line):
            break  # the next log line, past the error
        if line.strip():
            picked.append(line.rstrip())
    return tuple(picked[:count])


def invoke(zip_path: Path, handler: str, event: dict, python: str) -> Invocation:
    """Calls the handler once from the zip extracted, alone on `sys.path` of a fresh
    `python -I -S`, as tests/e2e/lambda_zips.py does."""
    module, _, func = handler.rpartition(".")
    with tempfile.TemporaryDirectory(prefix="invoke-") as tmp:
        task = Path(tmp, "task")
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(task)
        script = (
            "import json, sys\n"
            f"sys.path[:0] = [{str(task)!r}]\n"
            f"from {module} import {func}\n"
            f"print(json.dumps({func}(json.loads(sys.argv[1]), None)))\n"
        )
        start = time.perf_counter()
        done = subprocess.run(
            [python, "-I", "-S", "-c", script, json.dumps(event)],
            capture_output=True,
            text=True,
            env={"HOME": tmp},
        )
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-_INVOKE_TAIL_LINES:])
        return Invocation(seconds, failure=tail)
    return Invocation(seconds, response=done.stdout.splitlines()[-1])

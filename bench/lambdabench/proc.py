"""Running and timing subprocesses with controlled environments."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

_SCRUBBED_PREFIXES = ("PIP_", "UV_", "PEX_")
_SCRUBBED = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONUSERBASE", "__PYVENV_LAUNCHER__"}


class CommandFailed(Exception):
    pass


@dataclass(frozen=True)
class Timed:
    seconds: float
    stdout: str
    stderr: str
    launched: datetime  # Local time, as Pants' log lines have it.


def clean_env(extra: Mapping[str, str] = {}) -> dict[str, str]:
    """The caller's environment without pip/uv/pex/Python configuration, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _SCRUBBED and not k.startswith(_SCRUBBED_PREFIXES)
    }
    env.update({"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    env.update(extra)
    return env


def ca_bundle() -> str | None:
    """The CA bundle the machine asks tools to trust, if any (TLS-intercepting proxies)."""
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        path = os.environ.get(var)
        if path and os.path.isfile(path):
            return path
    return None


def run(
    argv: Sequence[str | os.PathLike[str]],
    cwd: Path,
    env: Mapping[str, str],
    log: Path | None = None,
) -> Timed:
    """Runs argv, timing its wall clock; raises CommandFailed with the output's tail."""
    launched, start = datetime.now(), time.perf_counter()
    proc = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=dict(env), capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as f:
            f.write(f"$ {' '.join(map(str, argv))}  # {seconds:.2f}s rc={proc.returncode}\n")
            f.write(proc.stdout + proc.stderr + "\n")
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).split("[INFO] Counters:")[0]  # --stats-log
        tail = "\n".join(output.splitlines()[-40:])
        raise CommandFailed(f"`{' '.join(map(str, argv))}` in {cwd} failed:\n{tail}")
    return Timed(seconds, proc.stdout, proc.stderr, launched)


def first_line(argv: Sequence[str | os.PathLike[str]], cwd: Path, env: Mapping[str, str]) -> str:
    """The first non-empty line a version command prints."""
    out = run(argv, cwd, env)
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    return lines[0].strip() if lines else "?"

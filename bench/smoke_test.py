"""Runs `bench/run --smoke` on a copy of the repo and checks its report."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

APPROACHES = ("ours", "pants-builtin", "pip", "uv")


def _repo_root() -> Path:
    """The sandbox root (under `./pants test`) or the checkout (under plain pytest)."""
    here = Path(__file__).resolve().parent.parent
    return Path(os.environ.get("LAMBDABENCH_REPO_ROOT", here))


def test_smoke_run_builds_every_approach(tmp_path: Path) -> None:
    root = _repo_root()
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTS_")}
    # ./pants finds its bootstrap through HOME; the nested Pants gets fresh caches of its own.
    proc = subprocess.run(
        [
            str(root / "bench" / "run"),
            "--smoke",
            "--out",
            str(out),
            "--work",
            str(tmp_path / "work"),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = (out / "results.md").read_text()
    for approach in APPROACHES:
        assert f"{approach} (s)" in results
    row = next(line for line in results.splitlines() if line.startswith("| N=3 | cold |"))
    assert "–" not in row, row
    assert "(3 zips)" in results
    assert (out / "chart.png").read_bytes()[:4] == b"\x89PNG"

"""What every approach provides: a fresh copy of the workload, its caches, a timed build."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Optional

from lambdabench.timeline import KindTime
from lambdabench.workload import Workload

PYTHON_VERSION = "3.11"


@dataclass(frozen=True)
class Bench:
    """Where things are: the real checkout, the bench cache and the bench venv."""

    repo_root: Path
    cache: Path
    venv: Path
    # Copies of the workloads, one per approach (default: <cache>/runs).
    work: Path
    # The `pants-plugins` folder of an earlier commit, for the `ours-baseline` approach.
    baseline_plugins: Optional[Path] = None

    @property
    def venv_python(self) -> Path:
        return self.venv / "bin" / "python"


@dataclass(frozen=True)
class Locks:
    """The workload's locks: our backend's, the built-in backend's, and the full pin list."""

    ours: Path
    builtin: Path
    pins: tuple[str, ...]


@dataclass(frozen=True)
class BuildResult:
    seconds: float
    zip_sizes: tuple[int, ...]
    counters: tuple[tuple[str, int], ...] = ()
    timeline: tuple[KindTime, ...] = ()  # Pants approaches only.


@dataclass
class Approach:
    """One approach's working copy of a workload (`repo`) and its private caches."""

    bench: Bench
    workload: Workload
    home: Path
    locks: Locks
    # Caches kept elsewhere than under `home` (lock generation keeps them across runs).
    cache_root: Optional[Path] = None
    name: ClassVar[str] = "?"
    # Whether `repo` and `caches` hold a finished build (the next warm scenario starts there).
    built: bool = False
    # Whether it failed to build this workload from scratch (later scenarios skip it).
    broken: bool = False

    @property
    def repo(self) -> Path:
        return self.home / "repo"

    @property
    def caches(self) -> Path:
        return self.cache_root or self.home / "caches"

    @property
    def log(self) -> Path:
        return self.home / "log.txt"

    def reset(self) -> None:
        """A fresh copy of the workload and empty caches."""
        self.stop()
        self.built = False
        if self.home.exists():
            shutil.rmtree(self.home)
        self.repo.mkdir(parents=True)
        self.workload.write_sources(self.repo)
        self.configure()

    def wipe_caches(self) -> None:
        self.stop()
        for path in (self.caches, self.repo / "dist"):
            if path.exists():
                shutil.rmtree(path)

    def configure(self) -> None:
        """Writes what this approach needs besides the sources."""

    def build(self, pantsd: bool, relock: bool) -> BuildResult:
        raise NotImplementedError

    def stop(self) -> None:
        """Stops any daemon this approach started."""

    def versions(self) -> dict[str, str]:
        return {}

    def zip_sizes(self) -> tuple[int, ...]:
        return tuple(p.stat().st_size for p in sorted((self.repo / "dist").rglob("*.zip")))

"""The workloads: the example monorepo (seed) and the generated one (scale)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from lambdabench import generator

SRC = "src/python"
REQUIREMENTS = "3rdparty/python/requirements.txt"


@dataclass(frozen=True)
class Workload:
    """Sources and requirements of one monorepo, without BUILD files or lockfiles."""

    name: str
    lambdas: tuple[str, ...]
    shared_package: str
    shared_module: str
    write_sources: Callable[[Path], None]
    # A lock for our backend to reuse instead of generating one (the seed repo's own).
    lock: Optional[Path] = None
    # Locked distributions the recipes leave out (test-only requirements).
    recipe_excludes: tuple[str, ...] = ()

    def handler_file(self, index: int) -> str:
        return f"{SRC}/{self.lambdas[index % len(self.lambdas)]}/handler.py"

    @property
    def shared_file(self) -> str:
        return f"{SRC}/{self.shared_package}/{self.shared_module}.py"

    @property
    def packages(self) -> tuple[str, ...]:
        return (*self.lambdas, self.shared_package)


def seed(repo_root: Path) -> Workload:
    """The example monorepo's echo and plot lambdas and their shared `logs` module."""

    def write(dest: Path) -> None:
        for package in ("echo", "plot", "logs"):
            for source in sorted((repo_root / SRC / package).glob("*.py")):
                _copy(source, dest / SRC / package / source.name)
        _copy(repo_root / REQUIREMENTS, dest / REQUIREMENTS)

    return Workload(
        name="seed",
        # `edit-handler` edits the first: plot, with its 50 MB of dependencies.
        lambdas=("plot", "echo"),
        shared_package="logs",
        shared_module="structured",
        write_sources=write,
        lock=repo_root / "3rdparty/python/python-default.lock",
        recipe_excludes=("pytest", "iniconfig", "pluggy"),
    )


def scale(n: int, seed_value: int = 0) -> Workload:
    """N generated lambdas (always the same ones for the same N and seed)."""
    specs = generator.lambda_specs(n, seed_value)
    return Workload(
        name=f"N={n}",
        lambdas=tuple(spec.name for spec in specs),
        shared_package=generator.SHARED_PACKAGE,
        shared_module="core",
        write_sources=lambda dest: generator.write_sources(dest, specs),
    )


def _copy(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, dest)


def copy_tree(source: Path, dest: Path) -> None:
    """Copies a directory, leaving out caches."""
    shutil.copytree(
        source, dest, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )

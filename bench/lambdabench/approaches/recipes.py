"""The AWS docs recipe (pip) and the same with uv: install every requirement per lambda, zip."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from lambdabench import proc
from lambdabench.approaches.base import PYTHON_VERSION, Approach, BuildResult
from lambdabench.workload import SRC

PINNED = "requirements-lock.txt"


@dataclass
class Recipe(Approach):
    """Per lambda: a clean `pkg/`, every pinned requirement installed into it, sources, zip."""

    def configure(self) -> None:
        (self.repo / PINNED).write_text("".join(f"{pin}\n" for pin in self.locks.pins))

    def install(self, target: Path) -> None:
        raise NotImplementedError

    def build(self, pantsd: bool, relock: bool) -> BuildResult:
        start = time.perf_counter()
        for name in self.workload.lambdas:
            self.build_one(name)
        seconds = time.perf_counter() - start
        return BuildResult(seconds=seconds, zip_sizes=self.zip_sizes())

    def build_one(self, name: str) -> None:
        work = self.repo / "build" / name
        if work.exists():
            shutil.rmtree(work)
        pkg = work / "pkg"
        pkg.mkdir(parents=True)
        self.install(pkg)
        for package in (name, self.workload.shared_package):
            shutil.copytree(self.repo / SRC / package, pkg / package)
        out = self.repo / "dist" / f"{name}.zip"
        out.parent.mkdir(exist_ok=True)
        out.unlink(missing_ok=True)
        proc.run(["zip", "-q", "-r", out, "."], pkg, proc.clean_env(), self.log)


@dataclass
class Pip(Recipe):
    name: ClassVar[str] = "pip"

    def install(self, target: Path) -> None:
        argv: list[str | Path] = [
            self.bench.venv_python, "-m", "pip", "install", "--no-input", "--quiet",
            "--platform", "manylinux2014_x86_64", "--only-binary=:all:",
            "--implementation", "cp", "--python-version", PYTHON_VERSION,
            "--target", target, "-r", self.repo / PINNED,
            "--cache-dir", self.caches / "pip",
        ]  # fmt: skip
        cert = proc.ca_bundle()
        if cert:
            argv += ["--cert", cert]
        proc.run(argv, self.repo, proc.clean_env(), self.log)

    def versions(self) -> dict[str, str]:
        line = proc.first_line(
            [self.bench.venv_python, "-m", "pip", "--version"], self.repo, proc.clean_env()
        )
        return {"pip": " ".join(line.split()[:2])}


@dataclass
class Uv(Recipe):
    name: ClassVar[str] = "uv"

    def uv(self) -> Path:
        return self.bench.venv / "bin" / "uv"

    def install(self, target: Path) -> None:
        argv: list[str | Path] = [
            self.uv(), "pip", "install", "--no-config", "--quiet",
            "--python", self.bench.venv_python,
            "--python-platform", "x86_64-manylinux2014", "--python-version", PYTHON_VERSION,
            "--only-binary", ":all:", "--target", target, "-r", self.repo / PINNED,
        ]  # fmt: skip
        proc.run(
            argv, self.repo, proc.clean_env({"UV_CACHE_DIR": str(self.caches / "uv")}), self.log
        )

    def versions(self) -> dict[str, str]:
        return {"uv": proc.first_line([self.uv(), "--version"], self.repo, proc.clean_env())}

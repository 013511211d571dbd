"""`./pants package ::` with our `lambda_function` backend or 2.17.1's `python_awslambda`."""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from lambdabench import proc, timeline
from lambdabench.approaches.base import Approach, BuildResult
from lambdabench.workload import REQUIREMENTS, SRC, copy_tree

LOCK = "3rdparty/python/python-default.lock"
CONSTRAINTS = "3rdparty/python/constraints.txt"
COUNTERS = ("local_execution_requests", "local_cache_requests_cached", "local_cache_requests")
# Copied verbatim from the checkout's pants.toml, so both backends run the same PEX CLI offline.
SHARED_SECTIONS = ("python-infer", "subprocess-environment", "python-bootstrap", "pex-cli")

_GLOBAL = """\
[GLOBAL]
pants_version = "2.17.1"
pants_bin_name = "./pants"
{extra_global}
[source]
root_patterns = ["/src/python"]

[python]
interpreter_constraints = ["CPython>=3.11,<3.14"]
enable_resolves = true
default_resolve = "python-default"
{extra_python}
[python.resolves]
python-default = "{lock}"

"""


def toml_sections(text: str, names: tuple[str, ...]) -> str:
    """The named top-level sections of a TOML file, verbatim."""
    chunks = re.split(r"(?m)^(?=\[)", text)
    wanted = {f"[{name}]" for name in names}
    return "".join(c for c in chunks if c.split("\n", 1)[0].strip() in wanted)


def parse_counters(stderr: str) -> tuple[tuple[str, int], ...]:
    """The `--stats-log` counters that we report."""
    found = dict(re.findall(r"(?m)^\s+(\w+): (\d+)\s*$", stderr.split("Counters:")[-1]))
    return tuple((name, int(found.get(name, 0))) for name in COUNTERS)


@dataclass
class PantsApproach(Approach):
    """Shared by both Pants approaches: the copy, the caches, the invocation."""

    def configure(self) -> None:
        for name in ("pants", "build-support", *self.extra_dirs()):
            source = self.source_of(name)
            if source.is_dir():
                copy_tree(source, self.repo / name)
            else:
                shutil.copy2(source, self.repo / name)
        checkout_toml = (self.bench.repo_root / "pants.toml").read_text()
        (self.repo / "pants.toml").write_text(
            self.pants_toml() + toml_sections(checkout_toml, SHARED_SECTIONS)
        )
        self.write_build_files()
        if self.lock_source().is_file():  # absent while the lock itself is generated
            shutil.copy2(self.lock_source(), self.repo / LOCK)

    def extra_dirs(self) -> tuple[str, ...]:
        return ()

    def source_of(self, name: str) -> Path:
        """Where the copy's `name` (a file or folder of the checkout) comes from."""
        return self.bench.repo_root / name

    def pants_toml(self) -> str:
        raise NotImplementedError

    def lambda_build(self, name: str) -> str:
        raise NotImplementedError

    def lock_source(self) -> Path:
        raise NotImplementedError

    def write_build_files(self) -> None:
        src = self.repo / SRC
        (self.repo / "3rdparty/python/BUILD").write_text(
            'python_requirements(name="reqs", source="requirements.txt")\n'
        )
        (src / self.workload.shared_package / "BUILD").write_text("python_sources()\n")
        for name in self.workload.lambdas:
            (src / name / "BUILD").write_text(self.lambda_build(name))

    def pants(self, *args: str, pantsd: bool) -> proc.Timed:
        """Runs ./pants in the copy with this approach's own caches.

        Its processes get a `HOME` among those caches too: Pex keeps in `~/.cache/pex` whatever
        it is not told to keep in Pants' named caches, and `cold` must not find it there.
        """
        home = self.caches / "home"
        home.mkdir(parents=True, exist_ok=True)
        argv = [
            "./pants",
            "--pantsd" if pantsd else "--no-pantsd",
            "--stats-log",
            f"--local-store-dir={self.caches / 'lmdb_store'}",
            f"--named-caches-dir={self.caches / 'named_caches'}",
            f"--pants-workdir={self.caches / 'workdir'}",
            f"--subprocess-environment-env-vars=+['HOME={home}']",
            *args,
        ]
        return proc.run(argv, self.repo, os.environ, self.log)

    def build(self, pantsd: bool, relock: bool) -> BuildResult:
        steps = []
        if relock:
            steps.append(self.pants("generate-lockfiles", pantsd=pantsd))
        steps.append(self.pants("package", "::", pantsd=pantsd))
        totals: dict[str, int] = {}
        for step in steps:
            for name, count in parse_counters(step.stderr):
                totals[name] = totals.get(name, 0) + count
        package = steps[-1]
        return BuildResult(
            seconds=sum(step.seconds for step in steps),
            zip_sizes=self.zip_sizes(),
            counters=tuple(totals.items()),
            timeline=timeline.time_by_kind(
                timeline.spans(package.stderr, package.launched), package.seconds
            ),
        )

    def restore(self) -> None:
        """The workload's sources, BUILD files and lock as a fresh copy has them; caches kept."""
        self.stop()
        self.workload.write_sources(self.repo)
        self.write_build_files()
        shutil.copy2(self.lock_source(), self.repo / LOCK)

    def package_into(self, name: str, *options: str) -> Path:
        """`package ::` with extra options into a dist folder of its own, emptied first; returns
        that folder (in the copy, as Pants wants, but hidden, so Pants ignores it)."""
        distdir = self.repo / ".variants" / name
        if distdir.exists():
            shutil.rmtree(distdir)
        self.pants(*options, f"--pants-distdir={distdir}", "package", "::", pantsd=False)
        return distdir

    @contextmanager
    def root_defaults(self, defaults: str) -> Iterator[None]:
        """A root BUILD file holding `__defaults__(<defaults>)` while the block runs."""
        build = self.repo / "BUILD"
        if build.exists():
            raise RuntimeError(f"{build} exists: the copy is not as the bench wrote it")
        build.write_text(f"__defaults__({defaults})\n")
        try:
            yield
        finally:
            build.unlink()

    def generate_lock(self) -> Path:
        """Runs generate-lockfiles in the copy; returns the lock it wrote."""
        self.pants("generate-lockfiles", pantsd=False)
        return self.repo / LOCK

    def stop(self) -> None:
        """Terminates the pantsd that a `--pantsd` run started in this copy, if any."""
        for pidfile in self.repo.glob(".pids/*/pantsd/pid"):
            text = pidfile.read_text().strip()
            if text.isdigit():
                try:
                    os.kill(int(text), signal.SIGTERM)
                except ProcessLookupError:
                    pass
            pidfile.unlink()

    def versions(self) -> dict[str, str]:
        pants = self.pants("--version", pantsd=False).stdout.strip()
        toml = (self.repo / "pants.toml").read_text()
        pex = re.search(r'(?m)^version = "v?([^"]+)"', toml.split("[pex-cli]")[-1])
        return {
            "pants": pants,
            "python (Pants)": bootstrap_python_version(self.repo),
            "pex (PEX CLI used by Pants)": pex.group(1) if pex else "?",
        }


def bootstrap_python_version(repo: Path) -> str:
    """The CPython that ./pants bootstrapped Pants with, from its memo for this copy."""
    cache = os.environ.get("PANTS_BOOTSTRAP_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pants-lambda"
    )
    memo = Path(cache, "memo", re.sub(r"[^A-Za-z0-9._-]", "_", str(repo))[-200:])
    try:
        venv = memo.read_text().splitlines()[1]
        info = Path(venv, ".pants-bootstrap").read_text()
    except (OSError, IndexError):
        return "?"
    found = re.search(r"(?m)^version=(.+)$", info)
    return found.group(1) if found else "?"


@dataclass
class Ours(PantsApproach):
    name: ClassVar[str] = "ours"

    def extra_dirs(self) -> tuple[str, ...]:
        return ("pants-plugins",)

    def pants_toml(self) -> str:
        return (
            _GLOBAL.format(
                extra_global=(
                    'pythonpath = ["%(buildroot)s/pants-plugins"]\n'
                    'backend_packages = ["aws_lambda", "pants.backend.python"]\n'
                    'build_ignore = ["pants-plugins/"]\n'
                ),
                extra_python="resolves_generate_lockfiles = false\n",
                lock=LOCK,
            )
            + '[generate-lockfiles]\ncustom_command = "./pants generate-lockfiles"\n\n'
            # The bench packages for Lambda only; some of its pinned libraries publish no wheel
            # for some developer host, only an sdist that needs Rust, which fails the lock.
            + "[lambda]\ndev_hosts = []\n\n"
        )

    def lambda_build(self, name: str) -> str:
        return (
            'python_sources(name="lib")\n\n'
            f'lambda_function(name="{name}", handler="handler.py:handler", runtime="python3.11")\n'
        )

    def lock_source(self) -> Path:
        return self.locks.ours


@dataclass
class OursBaseline(Ours):
    """Ours with the backend of an earlier commit (`--baseline-plugins`), for before/after."""

    name: ClassVar[str] = "ours-baseline"

    def source_of(self, name: str) -> Path:
        if name == "pants-plugins" and self.bench.baseline_plugins:
            return self.bench.baseline_plugins
        return super().source_of(name)


@dataclass
class Builtin(PantsApproach):
    name: ClassVar[str] = "pants-builtin"

    def configure(self) -> None:
        super().configure()
        (self.repo / CONSTRAINTS).write_text("".join(f"{pin}\n" for pin in self.locks.pins))

    def pants_toml(self) -> str:
        return _GLOBAL.format(
            extra_global=(
                'backend_packages = ["pants.backend.python", "pants.backend.awslambda.python"]\n'
            ),
            extra_python="resolves_generate_lockfiles = true\n",
            lock=LOCK,
        ) + (
            # The same versions as ours: Pants' universal lock would otherwise pick wheels
            # that the python3.11 runtime cannot use (see README, "Lockfiles").
            f'[python.resolves_to_constraints_file]\npython-default = "{CONSTRAINTS}"\n\n'
            '[lambdex]\nlayout = "zip"\n\n'
        )

    def lambda_build(self, name: str) -> str:
        return (
            'python_sources(name="lib")\n\n'
            f'python_awslambda(name="{name}", handler="handler.py:handler", runtime="python3.11")\n'
        )

    def lock_source(self) -> Path:
        return self.locks.builtin


def requirements_digest_inputs(approach: PantsApproach) -> tuple[str, ...]:
    """What a generated lock depends on: the requirements and the configuration."""
    repo = approach.repo
    return ((repo / REQUIREMENTS).read_text(), (repo / "pants.toml").read_text())

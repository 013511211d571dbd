"""Untimed extra builds of ours' copy after its scenarios, with other settings.

Before them the copy gets back the inputs of its `cold` build (the scenarios' edits and added
requirement undone), so its warm caches make them cheap, except for what the setting changes
(per-distribution zips), and their zips compare with the cold build's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from lambdabench.approaches.pants import Ours
from lambdabench.proc import CommandFailed

DEFAULT = "ours"
UNSLIMMED = "ours without slim"
WITHOUT_BYTECODE = "ours without bytecode"
SOURCELESS = "ours sourceless"
SOURCELESS_DEFAULTS = '{"lambda_function": {"compile_bytecode": "sourceless"}}'


@dataclass(frozen=True)
class VariantBuild:
    """Ours' zips of a workload built with another setting, or why that failed."""

    workload: str
    label: str
    zips: tuple[Path, ...] = ()
    zip_sizes: tuple[int, ...] = ()
    failure: Optional[str] = None

    def zip_named(self, filename: str) -> Optional[Path]:
        return next((path for path in self.zips if path.name == filename), None)


def build_variants(
    ours: Ours, seed: bool, progress: Callable[[str], None] = print
) -> tuple[VariantBuild, ...]:
    """Ours' copy without slimming and without bytecode; for the seed workload also as is and
    all sourceless."""
    ours.restore()
    builds = []
    if seed:
        builds.append(_build(ours, DEFAULT, (), progress))
    builds.append(_build(ours, UNSLIMMED, ("--lambda-slim=false",), progress))
    builds.append(_build(ours, WITHOUT_BYTECODE, ("--lambda-compile-bytecode=false",), progress))
    if seed:
        with ours.root_defaults(SOURCELESS_DEFAULTS):
            builds.append(_build(ours, SOURCELESS, (), progress))
    return tuple(builds)


def _build(
    ours: Ours, label: str, options: Sequence[str], progress: Callable[[str], None]
) -> VariantBuild:
    progress(f"  -- untimed: {label} {' '.join(options)}".rstrip())
    try:
        distdir = ours.package_into(label.replace(" ", "-"), *options)
    except CommandFailed as e:
        progress(f"    FAILED (details in {ours.log})")
        return VariantBuild(ours.workload.name, label, failure=str(e))
    zips = tuple(sorted(distdir.rglob("*.zip")))
    return VariantBuild(ours.workload.name, label, zips, tuple(z.stat().st_size for z in zips))


def find(builds: Sequence[VariantBuild], workload: str, label: str) -> Optional[VariantBuild]:
    return next((b for b in builds if (b.workload, b.label) == (workload, label)), None)

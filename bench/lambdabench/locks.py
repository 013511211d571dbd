"""Locks for a workload, generated once per input and kept in the bench cache."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from lambdabench.approaches.base import Bench, Locks
from lambdabench.approaches.pants import Builtin, Ours, PantsApproach
from lambdabench.workload import Workload

# What a generated lock depends on, relative to an approach's copy of the workload.
_LOCK_INPUTS = (
    "pants.toml",
    "3rdparty/python/requirements.txt",
    "3rdparty/python/constraints.txt",
    "pants-plugins/**/*.py",
    "src/python/*/BUILD",
)


def prepare(bench: Bench, workload: Workload) -> Locks:
    """Our lock (generated, or the workload's own), the pins it implies, and the built-in lock."""
    ours = prepare_ours(bench, workload).ours
    pins = pins_from_lock(ours.read_text(), workload.recipe_excludes)
    builtin = generate(bench, workload, Builtin, Locks(ours, _missing(bench), pins))
    return Locks(ours, builtin, pins)


def prepare_ours(bench: Bench, workload: Workload) -> Locks:
    """Our lock alone (generated, or the workload's own), for a workload that only ours builds."""
    missing = _missing(bench)
    ours = workload.lock or generate(bench, workload, Ours, Locks(missing, missing, ()))
    return Locks(ours, missing, ())


def _missing(bench: Bench) -> Path:
    """A lock path that no approach writes: stands for a lock not needed (or not made yet)."""
    return bench.cache / "locks" / "missing.lock"


def generate(bench: Bench, workload: Workload, kind: type[PantsApproach], locks: Locks) -> Path:
    """Runs the approach's generate-lockfiles unless the same inputs were locked before."""
    approach = kind(
        bench,
        workload,
        bench.work / "lockgen" / kind.name,
        locks,
        cache_root=bench.cache / "lockgen-caches" / kind.name,
    )
    approach.reset()
    stored = bench.cache / "locks" / f"{kind.name}-{inputs_digest(approach.repo)}.lock"
    if not stored.is_file():
        print(f"  generating the {kind.name} lock for {workload.name} ...", flush=True)
        stored.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(approach.generate_lock(), stored)
    return stored


def inputs_digest(repo: Path) -> str:
    """A digest of the lock's inputs; BUILD files count only by their distinct platforms."""
    digest = hashlib.sha256()
    for pattern in _LOCK_INPUTS:
        if pattern.endswith("BUILD"):
            texts = sorted({_unnamed(p.read_text()) for p in repo.glob(pattern)})
            digest.update("\0".join(texts).encode())
            continue
        for path in sorted(repo.glob(pattern)):
            digest.update(str(path.relative_to(repo)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _unnamed(build_text: str) -> str:
    return re.sub(r'name="[^"]*"', "", build_text)


def pins_from_lock(text: str, excludes: tuple[str, ...] = ()) -> tuple[str, ...]:
    """`name==version` for every distribution locked for CPython 3.11 on x86_64."""
    return tuple(
        sorted(
            f"{req['project_name']}=={req['version']}"
            for req in _cp311_x86_64_requirements(text)
            if req["project_name"] not in excludes
        )
    )


def artifact_urls(text: str) -> tuple[str, ...]:
    """The URL of every artifact locked for CPython 3.11 on x86_64: what a build downloads."""
    return tuple(
        sorted(a["url"] for req in _cp311_x86_64_requirements(text) for a in req["artifacts"])
    )


def _cp311_x86_64_requirements(text: str) -> list[dict]:
    lock = json.loads(text[text.index("\n{") + 1 :])
    resolves = lock["locked_resolves"]
    chosen = next(
        (r for r in resolves if _is_cp311_x86_64(r.get("platform_tag") or ())), resolves[0]
    )
    return chosen["locked_requirements"]


def _is_cp311_x86_64(tag: list[str]) -> bool:
    return len(tag) == 3 and tag[0] == "cp311" and tag[2].endswith("x86_64")

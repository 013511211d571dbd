"""The scenarios, and the runner that alternates the approaches within each of them."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Optional

from lambdabench import generator
from lambdabench.approaches.base import Approach, BuildResult
from lambdabench.approaches.pants import PantsApproach
from lambdabench.approaches.recipes import PINNED
from lambdabench.proc import CommandFailed
from lambdabench.workload import REQUIREMENTS, Workload

Edit = Callable[[Path, Workload, int], None]


def _append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


def edit_handler(repo: Path, workload: Workload, run: int) -> None:
    """Changes code in the first lambda's handler."""
    _append(repo / workload.handler_file(0), f"\nBENCH_EDIT_{run} = {run}\n")


def edit_shared(repo: Path, workload: Workload, run: int) -> None:
    """Changes code in the module every lambda imports."""
    _append(repo / workload.shared_file, f"\nBENCH_EDIT_{run} = {run}\n")


def add_requirement(repo: Path, workload: Workload, run: int) -> None:
    """A new distribution in the requirements, imported by one lambda."""
    lib = generator.EXTRA_LIBRARIES[run % len(generator.EXTRA_LIBRARIES)]
    for name in (REQUIREMENTS, PINNED):
        if (repo / name).is_file():
            _append(repo / name, f"{lib.requirement}\n")
    _append(repo / workload.handler_file(run), f"\nimport {lib.module}  # noqa: E402\n")


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    cold: bool = False
    pantsd: bool = False
    relock: bool = False
    edit: Optional[Edit] = None
    # For the recipes this is the same full rebuild as `noop`: they may skip it (see README).
    recipe_as_noop: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("cold", "empty caches, lock/requirements present", cold=True),
    Scenario("noop-pantsd", "nothing changed, pantsd running", pantsd=True, recipe_as_noop=True),
    Scenario("noop", "nothing changed, --no-pantsd"),
    Scenario("edit-handler", "one handler edited", edit=edit_handler, recipe_as_noop=True),
    Scenario("edit-shared", "the shared module edited", edit=edit_shared, recipe_as_noop=True),
    Scenario(
        "edit-handler-pantsd",
        "one handler edited, pantsd running",
        pantsd=True,
        edit=edit_handler,
        recipe_as_noop=True,
    ),
    Scenario(
        "edit-shared-pantsd",
        "the shared module edited, pantsd running",
        pantsd=True,
        edit=edit_shared,
        recipe_as_noop=True,
    ),
    Scenario(
        "add-req",
        "one requirement added to one lambda (Pants: generate-lockfiles + package)",
        relock=True,
        edit=add_requirement,
        recipe_as_noop=True,
    ),
)


def scenario(name: str) -> Scenario:
    by_name = {s.name: s for s in SCENARIOS}
    if name not in by_name:
        raise SystemExit(f"Unknown scenario {name!r}; choose from: {', '.join(by_name)}")
    return by_name[name]


@dataclass(frozen=True)
class Measurement:
    workload: str
    scenario: str
    approach: str
    runs: tuple[BuildResult, ...]
    failure: Optional[str] = None

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs) if self.runs else 0.0

    @property
    def last(self) -> BuildResult:
        return self.runs[-1] if self.runs else BuildResult(0.0, ())


@dataclass(frozen=True)
class Plan:
    """How to run the scenarios: runs, when to stop repeating, isolation, recipe skipping."""

    runs: int
    long_run: float
    isolate: bool = False
    # Recipes run `recipe_as_noop` scenarios only for workloads with at most this many lambdas.
    recipe_full_max: int = 2


def runs_recipes(scenario: Scenario, workload: Workload, plan: Plan) -> bool:
    if scenario.pantsd:
        return False  # no daemon: the same as `noop`
    return not scenario.recipe_as_noop or len(workload.lambdas) <= plan.recipe_full_max


def run_scenario(
    scenario: Scenario,
    approaches: Sequence[Approach],
    plan: Plan,
    progress: Callable[[str], None] = print,
) -> tuple[Measurement, ...]:
    """Alternates the approaches `plan.runs` times, rotating who goes first.

    Unless `plan.isolate`, a warm scenario continues in the copy and caches that the previous
    scenario left; otherwise, and when nothing ran before, it starts from a fresh copy and
    empty caches plus one untimed build. An approach whose every run so far took over
    `plan.long_run` seconds is not run again.
    """
    workload = approaches[0].workload
    active = [
        a
        for a in approaches
        if isinstance(a, PantsApproach) or runs_recipes(scenario, workload, plan)
    ]
    results: dict[str, list[BuildResult]] = {a.name: [] for a in active}
    failures = {
        a.name: "not run: it failed to build this workload before" for a in active if a.broken
    }
    try:
        for approach in active:
            if approach.name not in failures:
                _guarded(failures, approach, progress, lambda a: _prepare(scenario, a, plan))
        for run in range(plan.runs):
            for approach in _rotated(active, run):
                done = results[approach.name]
                if approach.name in failures or (
                    done and min(r.seconds for r in done) > plan.long_run
                ):
                    continue
                result = _guarded(
                    failures, approach, progress, partial(_one_run, scenario, run=run)
                )
                if result is None and scenario.cold:
                    approach.broken = True  # it cannot build this workload at all
                if result is not None:
                    done.append(result)
                    progress(f"    {approach.name:14} run {run + 1}: {result.seconds:8.2f}s")
    finally:
        for approach in active:
            approach.stop()
    return tuple(
        Measurement(workload.name, scenario.name, n, tuple(r), failures.get(n))
        for n, r in results.items()
    )


def _guarded(
    failures: dict[str, str],
    approach: Approach,
    progress: Callable[[str], None],
    step: Callable[[Approach], Optional[BuildResult]],
) -> Optional[BuildResult]:
    """Runs a step; a failed build is recorded (and the copy rebuilt next time), not raised."""
    try:
        return step(approach)
    except CommandFailed as e:
        if not approach.built:
            approach.broken = True  # not even the warm-up build worked
        failures[approach.name] = str(e)
        approach.built = False
        progress(f"    {approach.name:14} FAILED (details in {approach.log}):\n{e}")
        return None


def _prepare(scenario: Scenario, approach: Approach, plan: Plan) -> None:
    fresh = scenario.cold or plan.isolate or not approach.built
    if fresh:
        approach.reset()
    if not scenario.cold and (fresh or scenario.pantsd):
        approach.build(pantsd=scenario.pantsd, relock=False)  # warm-up; starts pantsd


def _one_run(scenario: Scenario, approach: Approach, *, run: int) -> BuildResult:
    if scenario.cold:
        approach.wipe_caches()
    if scenario.edit:
        scenario.edit(approach.repo, approach.workload, run)
    result = approach.build(pantsd=scenario.pantsd, relock=scenario.relock)
    approach.built = True
    return result


def _rotated(items: Sequence[Approach], k: int) -> list[Approach]:
    k %= len(items)
    return [*items[k:], *items[:k]]

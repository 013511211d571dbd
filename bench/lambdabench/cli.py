"""`bench/run`: build the workloads with every approach, alternating, and report."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lambdabench import (
    importtime,
    inittime,
    limits,
    locks,
    proc,
    report,
    scientific,
    variants,
    workload,
)
from lambdabench.approaches.base import Approach, Bench
from lambdabench.approaches.pants import Builtin, Ours, OursBaseline
from lambdabench.approaches.recipes import Pip, Uv
from lambdabench.scenarios import SCENARIOS, Measurement, Plan, run_scenario, scenario
from lambdabench.variants import VariantBuild

APPROACHES: tuple[type[Approach], ...] = (Ours, OursBaseline, Builtin, Pip, Uv)
PLOT_HANDLER = "plot.handler.handler"
PLOT_EVENT = '{"values": [1, 3, 2, 4]}'
INIT_RUNS = 10
# The `plot` table rows that come from ours' untimed variant builds, by variant.
PLOT_VARIANTS = {
    variants.DEFAULT: "as built",
    variants.UNSLIMMED: "without slim",
    variants.SOURCELESS: "sourceless",
}
WITHOUT_BYTECODE = "without bytecode"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--repo-root", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="bench venv, locks, copies")
    parser.add_argument("--venv", type=Path, default=Path(sys.prefix))
    parser.add_argument("--work", type=Path, help="the workload copies (default: <cache>/runs)")
    parser.add_argument("--out", type=Path, help="default: <repo-root>/bench/out")
    parser.add_argument(
        "--n",
        type=int,
        nargs="*",
        default=[50],
        help="scale sizes (default 50; 100 takes over the 45-minute budget on 2 cores)",
    )
    parser.add_argument("--seed", action="store_true", help="also build the example monorepo")
    parser.add_argument(
        "--scientific", action="store_true",
        help="also check a pandas/numpy/pyarrow lambda against Lambda's 250 MiB (ours only)",
    )  # fmt: skip
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=[s.name for s in SCENARIOS],
        choices=[s.name for s in SCENARIOS],
    )
    parser.add_argument(
        "--approaches",
        nargs="+",
        default=[a.name for a in APPROACHES if a is not OursBaseline],
        choices=[a.name for a in APPROACHES],
    )
    parser.add_argument(
        "--baseline-plugins",
        type=Path,
        help="the pants-plugins folder of an earlier commit (e.g. from `git worktree add`): "
        "adds the approach ours-baseline, ours built with it, for before/after in one run",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario and approach")
    parser.add_argument(
        "--long-run", type=float, default=60.0,
        help="an approach whose runs all took longer than this many seconds is run only once",
    )  # fmt: skip
    parser.add_argument(
        "--isolate", action="store_true",
        help="every warm scenario starts from a fresh copy, empty caches and a warm-up build",
    )  # fmt: skip
    parser.add_argument(
        "--recipe-full-max", type=int, default=2,
        help="above this many lambdas, recipes skip the scenarios that equal their noop rebuild",
    )  # fmt: skip
    parser.add_argument(
        "--init-zip", action="append", default=[], metavar="LABEL=ZIP",
        help="with --seed, also time this `plot` zip's init under awslambdaric (repeatable)",
    )  # fmt: skip
    parser.add_argument("--smoke", action="store_true", help="N=3, cold only, one run, no seed")
    args = parser.parse_args(argv)
    args.init_zip = [_label_and_zip(parser, value) for value in args.init_zip]
    if args.smoke:
        args.n, args.seed, args.scenarios, args.runs = [3], False, ["cold"], 1
        args.scientific = False
    if not args.seed and not args.n and not args.scientific:
        parser.error("nothing to build: give --n sizes, --seed or --scientific")
    if args.baseline_plugins:
        if not (args.baseline_plugins / "aws_lambda" / "register.py").is_file():
            parser.error(f"--baseline-plugins {args.baseline_plugins} holds no aws_lambda backend")
        if OursBaseline.name not in args.approaches:
            args.approaches.append(OursBaseline.name)
    elif OursBaseline.name in args.approaches:
        parser.error(f"the approach {OursBaseline.name} needs --baseline-plugins")
    args.out = args.out or args.repo_root / "bench" / "out"
    return args


def _label_and_zip(parser: argparse.ArgumentParser, value: str) -> tuple[str, Path]:
    label, _, path = value.partition("=")
    if not label or not path.endswith(".zip") or not Path(path).is_file():
        parser.error(f"--init-zip wants LABEL=PATH to an existing .zip, not {value!r}")
    return label, Path(path).resolve()


def workloads(args: argparse.Namespace) -> list[workload.Workload]:
    chosen = [workload.seed(args.repo_root)] if args.seed else []
    return chosen + [workload.scale(n) for n in args.n]


def make_approaches(
    args: argparse.Namespace, bench: Bench, wl: workload.Workload
) -> list[Approach]:
    lock_set = locks.prepare(bench, wl)
    slug = wl.name.replace("=", "")
    return [
        cls(bench, wl, bench.work / slug / cls.name, lock_set)
        for cls in APPROACHES
        if cls.name in args.approaches
    ]


def versions(bench: Bench, approaches: Sequence[Approach]) -> dict[str, str]:
    found = {"python (bench, recipes' pip/uv)": platform.python_version()}
    for approach in approaches:
        found.update(approach.versions())
    zip_banner = proc.run(["zip", "-v"], bench.cache, proc.clean_env()).stdout
    found["zip (recipes)"] = next((x for x in zip_banner.splitlines() if "This is Zip" in x), "?")
    found["host"] = f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}"
    return found


def main(argv: Sequence[str]) -> int:
    os.environ.pop("PYTHONPATH", None)
    args = parse_args(argv)
    cache = args.cache.resolve()
    bench = Bench(
        args.repo_root.resolve(),
        cache,
        args.venv,
        (args.work or cache / "runs").resolve(),
        args.baseline_plugins.resolve() if args.baseline_plugins else None,
    )
    plan = Plan(args.runs, args.long_run, args.isolate, args.recipe_full_max)
    start = time.perf_counter()
    results = Results()
    tool_versions: dict[str, str] = {}
    names: list[str] = []
    for wl in workloads(args):
        print(f"== {wl.name}: {len(wl.lambdas)} lambdas", flush=True)
        approaches = make_approaches(args, bench, wl)
        names = [a.name for a in approaches]
        for name in args.scenarios:
            print(f"  -- {name}", flush=True)
            results.measurements += run_scenario(
                scenario(name), approaches, plan, progress=lambda line: print(line, flush=True)
            )
        if "cold" in args.scenarios and approaches:
            lock = approaches[0].locks.ours.read_text()
            results.physical_limits.append(limits.measure(wl.name, locks.artifact_urls(lock)))
        ours = next((a for a in approaches if isinstance(a, Ours) and not a.broken), None)
        built = variants.build_variants(ours, seed=wl.name == "seed") if ours else ()
        results.variant_builds += built
        if wl.name == "seed":
            with tempfile.TemporaryDirectory(prefix="plot-zips-") as tmp:
                plot = ours_plot_zips(built, ours, Path(tmp))
                results.import_times = plot_import_times(plot, approaches, Path(tmp))
                results.init_times = plot_init_times(plot, bench.cache, args.init_zip)
        if not tool_versions:
            tool_versions = versions(bench, approaches)
    if args.scientific:
        print(f"== scientific: {', '.join(scientific.PINS)}", flush=True)
        science = scientific.ours_copy(bench)
        results.scientific = scientific.run_check(
            science, sys.executable, progress=lambda line: print(line, flush=True)
        )
        tool_versions = tool_versions or versions(bench, [science])
    elapsed = time.perf_counter() - start
    text = results_markdown(args, results, names, tool_versions, elapsed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(text)
    written = [args.out / "results.md"]
    if results.measurements:
        report.chart(results.measurements, names, args.out / "chart.png")
        written.append(args.out / "chart.png")
    print(text)
    print(f"Wrote {' and '.join(map(str, written))}")
    return 0


@dataclass
class Results:
    """What the harness measured, section by section."""

    measurements: list[Measurement] = field(default_factory=list)
    variant_builds: list[VariantBuild] = field(default_factory=list)
    import_times: list[importtime.ImportTime] = field(default_factory=list)
    init_times: list[inittime.InitTimes] = field(default_factory=list)
    scientific: tuple[scientific.ScientificBuild, ...] = ()
    physical_limits: list[limits.Limit] = field(default_factory=list)


def ours_plot_zips(
    builds: Sequence[VariantBuild], ours: Ours | None, tmp: Path
) -> list[tuple[str, Path]]:
    """Ours' seed `plot.zip` per variant: as built (else the scenarios' last), without its
    bytecode (written under `tmp`), without slim, sourceless."""
    found = {}
    for build in builds:
        path = build.zip_named("plot.zip")
        if path and build.label in PLOT_VARIANTS:
            found[PLOT_VARIANTS[build.label]] = path
    as_built = PLOT_VARIANTS[variants.DEFAULT]
    if as_built not in found and ours is not None:
        last = sorted((ours.repo / "dist").rglob("plot.zip"))
        if last:
            found[as_built] = last[0]
    if as_built not in found:
        return []
    stripped = inittime.without_bytecode(found[as_built], tmp / "ours-plot-without-bytecode.zip")
    pairs = [(as_built, found.pop(as_built)), (WITHOUT_BYTECODE, stripped)]
    return pairs + [(label, found[label]) for label in PLOT_VARIANTS.values() if label in found]


def plot_import_times(
    ours_zips: Sequence[tuple[str, Path]], approaches: Sequence[Approach], tmp: Path
) -> list[importtime.ImportTime]:
    """Cold import of the seed `plot` handler from ours' zips, then pip's as built and without
    its bytecode, alternating them.

    The bench's own interpreter is CPython 3.11, the seed lambdas' runtime.
    """
    zips = [(f"ours {label}", path) for label, path in ours_zips]
    pip = next((a for a in approaches if a.name == "pip"), None)
    pip_zips = sorted((pip.repo / "dist").rglob("plot.zip")) if pip else []
    if pip_zips:
        stripped = inittime.without_bytecode(pip_zips[0], tmp / "pip-plot-without-bytecode.zip")
        zips += [("pip as built", pip_zips[0]), (f"pip {WITHOUT_BYTECODE}", stripped)]
    if not zips:
        return []
    print(f"  -- bytecode: importing plot.handler from {len(zips)} zips", flush=True)
    return importtime.time_imports(zips, "plot.handler", sys.executable)


def plot_init_times(
    ours_zips: Sequence[tuple[str, Path]], cache: Path, extra: Sequence[tuple[str, Path]] = ()
) -> list[inittime.InitTimes]:
    """Init of the seed `plot` handler under awslambdaric from ours' (label, zip) pairs, then
    any `extra` ones.

    The bench's own interpreter is CPython 3.11, the seed lambdas' runtime.
    """
    if not ours_zips:
        return []
    print("  -- init: plot under awslambdaric", flush=True)
    timed = [inittime.Variant(label, path, PLOT_HANDLER) for label, path in [*ours_zips, *extra]]
    try:
        runtime = inittime.install_runtime(sys.executable, cache / "inittime")
    except inittime.SetupError as e:
        return [
            inittime.InitTimes(v.label, v.zip_path.stat().st_size, 0, None, None, str(e))
            for v in timed
        ]
    return inittime.time_init(timed, runtime, runs=INIT_RUNS, event=PLOT_EVENT)


def results_markdown(
    args: argparse.Namespace,
    results: Results,
    names: Sequence[str],
    tool_versions: dict[str, str],
    elapsed: float,
) -> str:
    settings = (
        f"runs={args.runs} (an approach whose runs take over {args.long_run:.0f}s runs once), "
        f"scenarios={' '.join(args.scenarios)}, N={' '.join(map(str, args.n)) or '-'}, "
        f"seed workload={'yes' if args.seed else 'no'}{', smoke' if args.smoke else ''}, "
        f"scientific check={'yes' if args.scientific else 'no'}, "
        f"{'isolated' if args.isolate else 'chained'} warm scenarios, "
        f"recipes re-run edit scenarios up to N={args.recipe_full_max}; "
        f"whole harness: {elapsed / 60:.1f} min"
    )
    scenario_lines = "".join(
        f"- `{s.name}`: {s.description}\n" for s in SCENARIOS if s.name in args.scenarios
    )
    measurements = results.measurements
    if not measurements:
        scenario_lines = ""
    sections = [f"# Lambda packaging benchmark\n\n{settings}\n\n{scenario_lines}"]
    if measurements:
        sections += [
            "## Median wall time\n\n"
            "† the recipes' `noop` figure: they have no daemon, and an edit makes them do the "
            "same full rebuild (re-run for edits only up to `--recipe-full-max` lambdas). "
            "Ratios above 1× mean slower than ours.\n\n" + report.time_table(measurements, names),
            "## Zip sizes (last run of `cold`)\n\n"
            "`ours` slims third-party distributions (its default). "
            f"`{variants.UNSLIMMED}` and `{variants.SOURCELESS}` (seed workload only) are untimed "
            "builds of ours' copy after its scenarios, back at the `cold` build's inputs, with "
            "`--lambda-slim=false` and with a root BUILD's "
            f"`__defaults__({variants.SOURCELESS_DEFAULTS})`, each into its own "
            "`--pants-distdir`.\n\n"
            + report.size_table(measurements, names, results.variant_builds),
            "## Pants processes (last run, `--stats-log`)\n\n" + report.process_table(measurements),
        ]
        if results.physical_limits:
            sections.append(
                "## Against the physical limit (cold)\n\n"
                + (limits.__doc__ or "").strip()
                + "\n\n"
                + report.limit_table(measurements, results.physical_limits)
            )
        timeline = report.timeline_table(measurements)
        if timeline:
            sections.append(
                "## Where ours' cold build spends its time (last run)\n\n"
                "From Pants' `Starting:`/`Completed:` lines for each process. `wall`: the time "
                "at least one process of that kind ran; `busy`: the sum of their run times (2 "
                "run at once on 2 cores). The kinds' walls overlap.\n\n" + timeline
            )
    if results.import_times:
        sections.append(
            "## Bytecode: cold `import plot.handler` (seed workload)\n\n"
            "A fresh `python3.11 -I -S -B` per run, alternating the zips: ours' as built, the "
            "same stripped of its `.pyc` files, ours' untimed builds without slim and "
            "sourceless, pip's as built and stripped; one untimed import each, then the median "
            f"of {results.import_times[0].runs} runs each, as a multiple of the first row's."
            "\n\n" + report.import_table(results.import_times)
        )
    if results.init_times:
        sections.append(
            "## Init under awslambdaric: `plot` (seed workload)\n\n"
            "Ours' `plot.zip` started the way Lambda starts it: CPython 3.11 "
            f"`-m awslambdaric {PLOT_HANDLER}` (awslambdaric {inittime.AWSLAMBDARIC_VERSION} "
            "from PyPI), cwd the zip extracted read-only, with Lambda's environment and "
            "`sys.path`, against a local Runtime API. Init is process start to the first "
            "`next`; the response adds the first invoke. As built, the same zip without its "
            "`.pyc` files, and ours' untimed builds without slim and sourceless (see the zip "
            "sizes); one untimed warm-up each (it leaves matplotlib's font cache in "
            f"/tmp), then {INIT_RUNS} alternating runs, medians.\n\n"
            + report.init_table(results.init_times)
        )
    if results.scientific:
        sections.append(
            f"## Scientific: {', '.join(scientific.PINS)} (python3.11 x86_64, ours)\n\n"
            f"`{scientific.HANDLER}` imports all three and round-trips a DataFrame through "
            "Parquet. Ours builds it in one copy once per setting, in this order, each into its "
            "own `--pants-distdir` (the first from empty caches, downloads included); sizes "
            "from `<zip>.metadata.json`, or from the budget error's message when packaging "
            f"fails; Lambda allows {scientific.UNZIPPED_LIMIT:,} bytes unzipped. Each zip built "
            "is invoked once in a fresh `python3.11 -I -S` (wall time, imports included).\n\n"
            + report.scientific_table(results.scientific)
        )
    failed = report.failures(measurements)
    if failed:
        sections.append("## Failures\n\n" + failed)
    sections.append("## Versions\n\n" + report.versions_table(tool_versions))
    return "\n".join(sections)

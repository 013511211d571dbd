"""`bench/run`: build the workloads with every approach, alternating, and report."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from lambdabench import importtime, inittime, locks, proc, report, workload
from lambdabench.approaches.base import Approach, Bench
from lambdabench.approaches.pants import Builtin, Ours
from lambdabench.approaches.recipes import Pip, Uv
from lambdabench.scenarios import SCENARIOS, Measurement, Plan, run_scenario, scenario

APPROACHES: tuple[type[Approach], ...] = (Ours, Builtin, Pip, Uv)
PLOT_HANDLER = "plot.handler.handler"
PLOT_EVENT = '{"values": [1, 3, 2, 4]}'
INIT_RUNS = 10


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
        "--scenarios",
        nargs="+",
        default=[s.name for s in SCENARIOS],
        choices=[s.name for s in SCENARIOS],
    )
    parser.add_argument(
        "--approaches",
        nargs="+",
        default=[a.name for a in APPROACHES],
        choices=[a.name for a in APPROACHES],
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
    if not args.seed and not args.n:
        parser.error("nothing to build: give --n sizes or --seed")
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
        args.repo_root.resolve(), cache, args.venv, (args.work or cache / "runs").resolve()
    )
    plan = Plan(args.runs, args.long_run, args.isolate, args.recipe_full_max)
    start = time.perf_counter()
    measurements: list[Measurement] = []
    import_times: list[tuple[str, importtime.ImportTimes]] = []
    init_times: list[inittime.InitTimes] = []
    tool_versions: dict[str, str] = {}
    names: list[str] = []
    for wl in workloads(args):
        print(f"== {wl.name}: {len(wl.lambdas)} lambdas", flush=True)
        approaches = make_approaches(args, bench, wl)
        names = [a.name for a in approaches]
        for name in args.scenarios:
            print(f"  -- {name}", flush=True)
            measurements += run_scenario(
                scenario(name), approaches, plan, progress=lambda line: print(line, flush=True)
            )
        if wl.name == "seed":
            import_times = plot_import_times(approaches)
            init_times = plot_init_times(approaches, bench.cache, args.init_zip)
        if not tool_versions:
            tool_versions = versions(bench, approaches)
    elapsed = time.perf_counter() - start
    text = results_markdown(
        args, measurements, import_times, init_times, names, tool_versions, elapsed
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.md").write_text(text)
    report.chart(measurements, names, args.out / "chart.png")
    print(text)
    print(f"Wrote {args.out / 'results.md'} and {args.out / 'chart.png'}")
    return 0


def plot_import_times(
    approaches: Sequence[Approach],
) -> list[tuple[str, importtime.ImportTimes]]:
    """Cold import of the seed `plot` handler from the zips that ship bytecode, with and without.

    The bench's own interpreter is CPython 3.11, the seed lambdas' runtime.
    """
    found = []
    for approach in approaches:
        zips = sorted((approach.repo / "dist").rglob("plot.zip"))
        if approach.name in ("ours", "pip") and zips:
            print(f"  -- bytecode: importing plot.handler from {approach.name}", flush=True)
            times = importtime.time_import(zips[0], "plot.handler", sys.executable)
            found.append((approach.name, times))
    return found


def plot_init_times(
    approaches: Sequence[Approach], cache: Path, extra: Sequence[tuple[str, Path]] = ()
) -> list[inittime.InitTimes]:
    """Init of the seed `plot` handler under awslambdaric: ours' zip as built, without its
    bytecode, then any `extra` (label, zip) pairs.

    The bench's own interpreter is CPython 3.11, the seed lambdas' runtime.
    """
    ours = next((a for a in approaches if a.name == "ours"), None)
    zips = sorted((ours.repo / "dist").rglob("plot.zip")) if ours else []
    if not zips:
        return []
    print("  -- init: plot under awslambdaric", flush=True)
    with tempfile.TemporaryDirectory(prefix="plot-init-") as tmp:
        stripped = inittime.without_bytecode(zips[0], Path(tmp, "plot.zip"))
        pairs = [("as built", zips[0]), ("without bytecode", stripped), *extra]
        variants = [inittime.Variant(label, path, PLOT_HANDLER) for label, path in pairs]
        try:
            runtime = inittime.install_runtime(sys.executable, cache / "inittime")
        except inittime.SetupError as e:
            size = {v.label: v.zip_path.stat().st_size for v in variants}
            return [
                inittime.InitTimes(v.label, size[v.label], 0, None, None, str(e)) for v in variants
            ]
        return inittime.time_init(variants, runtime, runs=INIT_RUNS, event=PLOT_EVENT)


def results_markdown(
    args: argparse.Namespace,
    measurements: Sequence[Measurement],
    import_times: Sequence[tuple[str, importtime.ImportTimes]],
    init_times: Sequence[inittime.InitTimes],
    names: Sequence[str],
    tool_versions: dict[str, str],
    elapsed: float,
) -> str:
    settings = (
        f"runs={args.runs} (an approach whose runs take over {args.long_run:.0f}s runs once), "
        f"scenarios={' '.join(args.scenarios)}, N={' '.join(map(str, args.n)) or '-'}, "
        f"seed workload={'yes' if args.seed else 'no'}{', smoke' if args.smoke else ''}, "
        f"{'isolated' if args.isolate else 'chained'} warm scenarios, "
        f"recipes re-run edit scenarios up to N={args.recipe_full_max}; "
        f"whole harness: {elapsed / 60:.1f} min"
    )
    scenario_lines = "".join(
        f"- `{s.name}`: {s.description}\n" for s in SCENARIOS if s.name in args.scenarios
    )
    sections = [
        f"# Lambda packaging benchmark\n\n{settings}\n\n{scenario_lines}",
        "## Median wall time\n\n"
        "† the recipes' `noop` figure: they have no daemon, and an edit makes them do the same "
        "full rebuild (re-run for edits only up to `--recipe-full-max` lambdas). "
        "Ratios above 1× mean slower than ours.\n\n" + report.time_table(measurements, names),
        "## Zip sizes (last run of `cold`)\n\n" + report.size_table(measurements, names),
        "## Pants processes (last run, `--stats-log`)\n\n" + report.process_table(measurements),
    ]
    if import_times:
        sections.append(
            "## Bytecode: cold `import plot.handler` (seed workload)\n\n"
            "A fresh `python3.11 -I -S -B` per run, alternating the zip as built with the same "
            "zip stripped of its `.pyc` files; median of "
            f"{import_times[0][1].runs} runs each.\n\n" + report.import_table(import_times)
        )
    if init_times:
        sections.append(
            "## Init under awslambdaric: `plot` (seed workload)\n\n"
            "Ours' `plot.zip` started the way Lambda starts it: CPython 3.11 "
            f"`-m awslambdaric {PLOT_HANDLER}` (awslambdaric {inittime.AWSLAMBDARIC_VERSION} "
            "from PyPI), cwd the zip extracted read-only, with Lambda's environment and "
            "`sys.path`, against a local Runtime API. Init is process start to the first "
            "`next`; the response adds the first invoke. As built, and the same zip without "
            "its `.pyc` files; one untimed warm-up each (it leaves matplotlib's font cache in "
            f"/tmp), then {INIT_RUNS} alternating runs, medians.\n\n"
            + report.init_table(init_times)
        )
    failed = report.failures(measurements)
    if failed:
        sections.append("## Failures\n\n" + failed)
    sections.append("## Versions\n\n" + report.versions_table(tool_versions))
    return "\n".join(sections)

"""The Markdown tables and the PNG chart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from lambdabench import scientific, variants
from lambdabench.approaches.base import BuildResult
from lambdabench.importtime import ImportTime
from lambdabench.inittime import InitTimes
from lambdabench.limits import Limit
from lambdabench.scenarios import SCENARIOS, Measurement
from lambdabench.scientific import ScientificBuild
from lambdabench.variants import VariantBuild

BASELINE = "ours"
# Scenarios where the recipes do the same full rebuild as `noop` and may not have run.
_FALLBACK_SCENARIO = {s.name: "noop" for s in SCENARIOS if s.recipe_as_noop}


def _index(measurements: Sequence[Measurement]) -> dict[tuple[str, str, str], Measurement]:
    return {(m.workload, m.scenario, m.approach): m for m in measurements}


def _ordered(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _lookup(index, workload: str, scenario: str, approach: str) -> Measurement | None:
    found = index.get((workload, scenario, approach))
    if found is None and scenario in _FALLBACK_SCENARIO:
        found = index.get((workload, _FALLBACK_SCENARIO[scenario], approach))
    return found


def time_table(measurements: Sequence[Measurement], approaches: Sequence[str]) -> str:
    """Median wall time per scenario, and each alternative's time as a multiple of ours."""
    index = _index(measurements)
    others = [a for a in approaches if a != BASELINE]
    head = ["workload", "scenario", *(f"{a} (s)" for a in approaches)]
    head += [f"{a} / {BASELINE}" for a in others]
    rows = []
    for workload in _ordered([m.workload for m in measurements]):
        for scenario in _ordered([m.scenario for m in measurements if m.workload == workload]):
            cells = {a: _lookup(index, workload, scenario, a) for a in approaches}
            row = [workload, scenario]
            row += [
                _seconds(cells[a], fallback=(workload, scenario, a) not in index)
                for a in approaches
            ]
            base = cells.get(BASELINE)
            row += [_ratio(cells[a], base) for a in others]
            rows.append(row)
    return _markdown(head, rows)


def _seconds(m: Measurement | None, fallback: bool) -> str:
    if m is None:
        return "–"
    if not m.runs:
        return "failed" if m.failure else "–"
    mark = "†" if fallback else ""
    return f"{m.median:.2f}{mark} (n={len(m.runs)})"


def _ratio(m: Measurement | None, base: Measurement | None) -> str:
    if m is None or base is None or not m.runs or not base.runs:
        return "–"
    return f"{m.median / base.median:.2f}×"


def size_table(
    measurements: Sequence[Measurement],
    approaches: Sequence[str],
    variant_builds: Sequence[VariantBuild] = (),
) -> str:
    """Zip sizes after the cold build, total and largest in MiB; ours' untimed variants (other
    than its default) in columns after ours, then why any of them failed."""
    labels = _ordered([v.label for v in variant_builds if v.label != variants.DEFAULT])
    columns = [a for a in approaches if a != BASELINE]
    if BASELINE in approaches:
        columns = [BASELINE, *labels, *columns]
    head = ["workload", *(f"{c} total / largest (MiB)" for c in columns)]
    index = _index(measurements)
    rows = []
    for workload in _ordered([m.workload for m in measurements]):
        row = [workload]
        for column in columns:
            variant = variants.find(variant_builds, workload, column)
            if column in labels:
                row.append("failed" if variant and variant.failure else _sizes(variant))
                continue
            m = index.get((workload, "cold", column)) or next(
                (x for x in measurements if (x.workload, x.approach) == (workload, column)), None
            )
            row.append(_sizes(m.last if m else None))
        rows.append(row)
    failed = [
        f"- {v.workload} / {v.label}: {' '.join(_failure_summary(v.failure).split())}"
        for v in variant_builds
        if v.failure
    ]
    return _markdown(head, rows) + ("\n" + "\n".join(failed) + "\n" if failed else "")


def _sizes(built: BuildResult | VariantBuild | None) -> str:
    sizes = built.zip_sizes if built else ()
    if not sizes:
        return "–"
    return f"{sum(sizes) / 2**20:.1f} / {max(sizes) / 2**20:.1f} ({len(sizes)} zips)"


def process_table(measurements: Sequence[Measurement]) -> str:
    """Pants processes run and cache hits in the last run, from `--stats-log`."""
    with_counters = [m for m in measurements if m.runs and m.last.counters]
    if not with_counters:
        return ""
    names = [name for name, _ in with_counters[0].last.counters]
    head = ["workload", "scenario", "approach", *names]
    rows = [
        [m.workload, m.scenario, m.approach, *(str(c) for _, c in m.last.counters)]
        for m in with_counters
    ]
    return _markdown(head, rows)


def limit_table(measurements: Sequence[Measurement], found: Sequence[Limit]) -> str:
    """Each workload's limit, and each approach's median cold time as a multiple of it."""
    index = _index(measurements)
    approaches = _ordered([m.approach for m in measurements if m.scenario == "cold"])
    head = ["workload", "wheels", "download", "deflate (one core)", "limit (s)"]
    head += [f"{a} cold (s)" for a in approaches]
    rows = []
    for limit in found:
        row = [
            limit.workload,
            str(limit.wheels),
            f"{limit.downloaded_bytes / 2**20:.1f} MiB in {limit.download_seconds:.2f} s",
            f"{limit.unpacked_bytes / 2**20:.1f} MiB in {limit.deflate_seconds:.2f} s",
            f"{limit.seconds:.2f}",
        ]
        for approach in approaches:
            m = index.get((limit.workload, "cold", approach))
            row.append(f"{m.median:.2f} ({m.median / limit.seconds:.1f}×)" if m and m.runs else "–")
        rows.append(row)
    return _markdown(head, rows)


def timeline_table(measurements: Sequence[Measurement], scenario: str = "cold") -> str:
    """Where ours' (and ours-baseline's) last `scenario` build spent its time, by kind of
    process (see `timeline`): one row per kind, `wall / busy (processes)` per approach."""
    found = [
        m
        for m in measurements
        if m.scenario == scenario and m.approach.startswith(BASELINE) and m.last.timeline
    ]
    approaches = sorted({m.approach for m in found}, reverse=True)  # ours-baseline, then ours
    head = ["workload", "kind", *(f"{a}: wall / busy (s)" for a in approaches)]
    rows = []
    for workload in _ordered([m.workload for m in found]):
        by_approach = {m.approach: m.last for m in found if m.workload == workload}
        kinds = _ordered([row.kind for a in approaches for row in by_approach[a].timeline])
        for kind in kinds:
            cells = []
            for approach in approaches:
                row = next((r for r in by_approach[approach].timeline if r.kind == kind), None)
                processes = f" ({row.processes})" if row and row.processes else ""
                cells.append(f"{row.wall:.2f} / {row.busy:.2f}{processes}" if row else "–")
            rows.append([workload, kind, *cells])
        totals = [f"**{by_approach[a].seconds:.2f}**" for a in approaches]
        rows.append([workload, "**total**", *totals])
    return _markdown(head, rows) if rows else ""


def import_table(rows: Sequence[ImportTime]) -> str:
    """Median cold import times, each as a multiple of the first row's; then failures."""
    base = rows[0].seconds if rows else None
    table = _markdown(
        ["variant", "zip size (MiB)", ".pyc files", "import (s)", "ratio"],
        [
            [
                row.label,
                f"{row.zip_bytes / 2**20:.1f}",
                str(row.pyc_files),
                "failed" if row.failure else "–" if row.seconds is None else f"{row.seconds:.3f}",
                f"{row.seconds / base:.2f}×" if row.seconds and base else "–",
            ]
            for row in rows
        ],
    )
    return table + _failure_lines(rows)


def init_table(rows: Sequence[InitTimes]) -> str:
    """Median cold-start times, each init as a multiple of the first row's; then failures."""
    base = rows[0].init_seconds if rows else None

    def seconds(value: float | None, row: InitTimes) -> str:
        return "failed" if row.failure else "–" if value is None else f"{value:.3f}"

    table = _markdown(
        [
            "variant",
            "zip size (MiB)",
            "init to first `next` (s)",
            "to first response (s)",
            "init ratio",
        ],
        [
            [
                row.label,
                f"{row.zip_bytes / 2**20:.1f}",
                seconds(row.init_seconds, row),
                seconds(row.response_seconds, row),
                f"{row.init_seconds / base:.2f}×" if row.init_seconds and base else "–",
            ]
            for row in rows
        ],
    )
    return table + _failure_lines(rows)


def _failure_lines(rows: Sequence[ImportTime | InitTimes]) -> str:
    failed = [
        f"- {row.label}: {' '.join(row.failure.split())[:900]}" for row in rows if row.failure
    ]
    return "\n" + "\n".join(failed) + "\n" if failed else ""


def scientific_table(builds: Sequence[ScientificBuild]) -> str:
    """Sizes per setting against Lambda's unzipped limit; then errors and handler responses."""
    limit = f"under {scientific.UNZIPPED_LIMIT / 2**20:.0f} MiB unzipped"

    def mib(value: int | None) -> str:
        return "–" if value is None else f"{value / 2**20:.1f}"

    def fits(row: ScientificBuild) -> str:
        verdict = {None: "–", True: "yes", False: "no"}[row.fits]
        return f"{verdict} (packaging failed)" if row.error else verdict

    def invoked(row: ScientificBuild) -> str:
        call = row.invocation
        return "–" if call is None else "failed" if call.failure else f"{call.seconds:.2f}"

    table = _markdown(
        ["build", "options", "unzipped (MiB)", "zipped (MiB)", limit, "bytecode (MiB)"]
        + ["slimmed out (MiB)", "build (s)", "one invoke (s)"],
        [
            [
                row.setting.label,
                " ".join(f"`{o}`" for o in row.setting.options) or "–",
                mib(row.unzipped_size),
                mib(row.zipped_size),
                fits(row),
                mib(row.bytecode_size),
                mib(row.slimmed_size),
                f"{row.seconds:.1f}",
                invoked(row),
            ]
            for row in builds
        ],
    )
    notes = []
    for row in builds:
        if row.error:
            error = "\n".join(row.error)
            notes.append(
                f"{row.setting.label}, the error's first lines:\n\n```text\n{error}\n```\n"
            )
        call = row.invocation
        if call and (call.failure or call.response):
            what = f"failed: {call.failure}" if call.failure else f"returned {call.response}"
            notes.append(f"{row.setting.label}, the handler {' '.join(what.split())[:600]}\n")
    return table + "".join(f"\n{note}" for note in notes)


def failures(measurements: Sequence[Measurement]) -> str:
    """The first lines of each failure, as a Markdown list."""
    lines = []
    for m in measurements:
        if m.failure and not m.failure.startswith("not run"):
            detail = " ".join(_failure_summary(m.failure).split())
            lines.append(f"- {m.workload} / {m.scenario} / {m.approach}: {detail}")
    return "\n".join(lines) + "\n" if lines else ""


def _failure_summary(text: str) -> str:
    """The lines that explain a failed command: errors from Pants, else the last lines."""
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if "Exception" in line or "ERROR" in line), None
    )
    picked = lines[start : start + 14] if start is not None else lines[-8:]
    return " ".join(picked)[:900]


def versions_table(versions: Mapping[str, str]) -> str:
    return _markdown(["tool", "version"], [[k, v] for k, v in versions.items()])


def _markdown(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def chart(measurements: Sequence[Measurement], approaches: Sequence[str], path: Path) -> None:
    """Grouped bars of median wall time, one panel per workload, log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workloads = _ordered([m.workload for m in measurements])
    figure, axes = plt.subplots(1, len(workloads), figsize=(6 * len(workloads), 4.5), squeeze=False)
    for ax, workload in zip(axes[0], workloads):
        _panel(ax, [m for m in measurements if m.workload == workload], approaches)
        ax.set_title(workload)
    axes[0][0].set_ylabel("median wall time (s, log scale)")
    axes[0][-1].legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _panel(ax, measurements: Sequence[Measurement], approaches: Sequence[str]) -> None:
    scenarios = _ordered([m.scenario for m in measurements])
    by_key = defaultdict(
        float, {(m.scenario, m.approach): m.median for m in measurements if m.runs}
    )
    width = 0.8 / len(approaches)
    failed = {(m.scenario, m.approach) for m in measurements if m.failure and not m.runs}
    for i, approach in enumerate(approaches):
        xs = [s + i * width for s in range(len(scenarios))]
        ax.bar(xs, [by_key[(s, approach)] for s in scenarios], width, label=approach)
        for x, s in zip(xs, scenarios):
            if (s, approach) in failed:
                ax.annotate(
                    "✗", (x, 0), xycoords=("data", "axes fraction"), ha="center", color="red"
                )
    ax.set_xticks([s + 0.4 - width / 2 for s in range(len(scenarios))])
    ax.set_xticklabels(scenarios, rotation=30, ha="right", fontsize=8)
    ax.set_yscale("log")

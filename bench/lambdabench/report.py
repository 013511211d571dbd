"""The Markdown tables and the PNG chart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from lambdabench.importtime import ImportTimes
from lambdabench.inittime import InitTimes
from lambdabench.scenarios import SCENARIOS, Measurement

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


def size_table(measurements: Sequence[Measurement], approaches: Sequence[str]) -> str:
    """Zip sizes after the cold build: total and largest, in MiB."""
    head = ["workload", *(f"{a} total / largest (MiB)" for a in approaches)]
    index = _index(measurements)
    rows = []
    for workload in _ordered([m.workload for m in measurements]):
        row = [workload]
        for approach in approaches:
            m = index.get((workload, "cold", approach)) or next(
                (x for x in measurements if (x.workload, x.approach) == (workload, approach)), None
            )
            sizes = m.last.zip_sizes if m else ()
            row.append(
                f"{sum(sizes) / 2**20:.1f} / {max(sizes) / 2**20:.1f} ({len(sizes)} zips)"
                if sizes
                else "–"
            )
        rows.append(row)
    return _markdown(head, rows)


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


def import_table(rows: Sequence[tuple[str, ImportTimes]]) -> str:
    return _markdown(
        ["approach", ".pyc files", "as built (s)", "without .pyc (s)", "ratio"],
        [
            [
                approach,
                str(row.pyc_files),
                f"{row.shipped:.3f}",
                f"{row.without_pyc:.3f}",
                f"{row.ratio:.2f}×",
            ]
            for approach, row in rows
        ],
    )


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
    failed = [
        f"- {row.label}: {' '.join(row.failure.split())[:900]}" for row in rows if row.failure
    ]
    return table + ("\n" + "\n".join(failed) + "\n" if failed else "")


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

from __future__ import annotations

from pathlib import Path

from lambdabench import report
from lambdabench.approaches.base import BuildResult
from lambdabench.approaches.pants import parse_counters, toml_sections
from lambdabench.inittime import InitTimes
from lambdabench.scenarios import Measurement

APPROACHES = ["ours", "pip"]


def _m(scenario: str, approach: str, *seconds: float, counters=()) -> Measurement:
    runs = tuple(BuildResult(s, (2**20, 3 * 2**20), counters) for s in seconds)
    return Measurement("N=3", scenario, approach, runs)


MEASUREMENTS = [
    _m("cold", "ours", 10, 30, 20, counters=(("local_execution_requests", 7),)),
    _m("cold", "pip", 40),
    _m("noop-pantsd", "ours", 1),
    _m("noop", "ours", 2),
    _m("noop", "pip", 8),
]


def test_time_table_has_medians_ratios_and_the_recipes_noop_for_pantsd() -> None:
    table = report.time_table(MEASUREMENTS, APPROACHES)
    assert "| N=3 | cold | 20.00 (n=3) | 40.00 (n=1) | 2.00× |" in table
    assert "| N=3 | noop-pantsd | 1.00 (n=1) | 8.00† (n=1) | 8.00× |" in table


def test_size_and_process_tables() -> None:
    assert "| N=3 | 4.0 / 3.0 (2 zips) | 4.0 / 3.0 (2 zips) |" in report.size_table(
        MEASUREMENTS, APPROACHES
    )
    assert "| N=3 | cold | ours | 7 |" in report.process_table(MEASUREMENTS)


def test_chart_is_written(tmp_path: Path) -> None:
    report.chart(MEASUREMENTS, APPROACHES, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_pants_helpers() -> None:
    toml = '[GLOBAL]\na = 1\n\n[pex-cli]\nversion = "v2"\n\n[test]\nb = 2\n'
    assert toml_sections(toml, ("pex-cli",)) == '[pex-cli]\nversion = "v2"\n\n'
    stderr = "noise\nCounters:\n  local_cache_requests: 4\n  local_execution_requests: 3\n"
    assert dict(parse_counters(stderr)) == {
        "local_execution_requests": 3,
        "local_cache_requests_cached": 0,
        "local_cache_requests": 4,
    }


def test_init_table_has_medians_ratios_to_the_first_row_and_failures() -> None:
    rows = [
        InitTimes("as built", 55 * 2**20, 10, 0.4, 0.5),
        InitTimes("without bytecode", 42 * 2**20, 10, 1.2, 1.3),
        InitTimes("broken", 2**20, 0, None, None, "init-error: RuntimeError:\n boom"),
    ]
    table = report.init_table(rows)
    assert "| as built | 55.0 | 0.400 | 0.500 | 1.00× |" in table
    assert "| without bytecode | 42.0 | 1.200 | 1.300 | 3.00× |" in table
    assert "| broken | 1.0 | failed | failed | – |" in table
    assert table.endswith("- broken: init-error: RuntimeError: boom\n")

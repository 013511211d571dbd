from __future__ import annotations

from pathlib import Path

from lambdabench import report, variants
from lambdabench.approaches.base import BuildResult
from lambdabench.approaches.pants import parse_counters, toml_sections
from lambdabench.importtime import ImportTime
from lambdabench.inittime import InitTimes
from lambdabench.limits import Limit
from lambdabench.scenarios import Measurement
from lambdabench.scientific import SETTINGS, Invocation, ScientificBuild
from lambdabench.timeline import KindTime
from lambdabench.variants import VariantBuild

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


def test_limit_table_compares_each_cold_median_with_the_limit() -> None:
    limit = Limit("N=3", 2, 4 * 2**20, 1.5, 12 * 2**20, 2.5)
    table = report.limit_table(MEASUREMENTS, [limit])
    assert (
        "| N=3 | 2 | 4.0 MiB in 1.50 s | 12.0 MiB in 2.50 s | 4.00 | 20.00 (5.0×) | 40.00 (10.0×) |"
        in table
    )


def test_timeline_table_shows_ours_last_cold_run_by_kind() -> None:
    ours = (KindTime("Pants start-up", 0, 5.0, 5.0), KindTime("final zip", 3, 1.0, 1.5))
    before = (KindTime("Pants start-up", 0, 6.0, 6.0), KindTime("pex3 venv create", 1, 4.0, 4.0))
    measurements = [
        Measurement("N=3", "cold", "ours", (BuildResult(10.0, (), (), ours),)),
        Measurement("N=3", "cold", "ours-baseline", (BuildResult(20.0, (), (), before),)),
    ]
    table = report.timeline_table(measurements)
    assert "| workload | kind | ours-baseline: wall / busy (s) | ours: wall / busy (s) |" in table
    assert "| N=3 | Pants start-up | 6.00 / 6.00 | 5.00 / 5.00 |" in table
    assert "| N=3 | pex3 venv create | 4.00 / 4.00 (1) | – |" in table
    assert "| N=3 | final zip | – | 1.00 / 1.50 (3) |" in table
    assert "| N=3 | **total** | **20.00** | **10.00** |" in table
    assert report.timeline_table(MEASUREMENTS) == ""


def test_size_table_puts_ours_variants_after_ours_and_says_why_one_failed() -> None:
    builds = [
        VariantBuild("N=3", variants.DEFAULT, zip_sizes=(2**20,)),
        VariantBuild("N=3", variants.UNSLIMMED, zip_sizes=(2 * 2**20, 5 * 2**20)),
        VariantBuild("N=3", variants.SOURCELESS, failure="`./pants package ::` failed:\nboom"),
    ]
    table = report.size_table(MEASUREMENTS, APPROACHES, builds)
    assert table.startswith(
        "| workload | ours total / largest (MiB) | ours without slim total / largest (MiB) "
        "| ours sourceless total / largest (MiB) | pip total / largest (MiB) |"
    )
    assert (
        "| N=3 | 4.0 / 3.0 (2 zips) | 7.0 / 5.0 (2 zips) | failed | 4.0 / 3.0 (2 zips) |" in table
    )
    assert table.endswith("- N=3 / ours sourceless: `./pants package ::` failed: boom\n")


def test_size_table_without_a_variant_for_a_workload() -> None:
    builds = [VariantBuild("seed", variants.UNSLIMMED, zip_sizes=(2**20,))]
    assert "| N=3 | 4.0 / 3.0 (2 zips) | – | 4.0 / 3.0 (2 zips) |" in report.size_table(
        MEASUREMENTS, APPROACHES, builds
    )


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


def test_import_table_has_sizes_medians_ratios_to_the_first_row_and_failures() -> None:
    rows = [
        ImportTime("ours as built", 55 * 2**20, 900, 10, 0.5),
        ImportTime("ours without bytecode", 42 * 2**20, 0, 10, 1.5),
        ImportTime("ours sourceless", 30 * 2**20, 900, 0, None, "ImportError:\n no module"),
    ]
    table = report.import_table(rows)
    assert "| ours as built | 55.0 | 900 | 0.500 | 1.00× |" in table
    assert "| ours without bytecode | 42.0 | 0 | 1.500 | 3.00× |" in table
    assert "| ours sourceless | 30.0 | 900 | failed | – |" in table
    assert table.endswith("- ours sourceless: ImportError: no module\n")


def test_scientific_table_has_sizes_the_limit_verdict_errors_and_responses() -> None:
    defaults, unslimmed, no_bytecode = SETTINGS
    rows = [
        ScientificBuild(
            defaults,
            61.5,
            zipped_size=80 * 2**20,
            unzipped_size=240 * 2**20,
            bytecode_size=30 * 2**20,
            slimmed_size=70 * 2**20,
            invocation=Invocation(2.25, response='{"rows": 4}'),
        ),
        ScientificBuild(
            unslimmed,
            12.0,
            unzipped_size=310 * 2**20,
            error=(
                "LambdaSizeBudgetError: The function x is 310.0 MiB unzipped",
                "  - `slim=True`",
            ),
        ),
        ScientificBuild(
            no_bytecode,
            9.0,
            zipped_size=60 * 2**20,
            unzipped_size=210 * 2**20,
            bytecode_size=0,
            slimmed_size=70 * 2**20,
            invocation=Invocation(4.0, failure="Traceback:\n ImportError"),
        ),
    ]
    table = report.scientific_table(rows)
    assert "| build | options | unzipped (MiB) | zipped (MiB) | under 250 MiB unzipped |" in table
    assert "| defaults (bytecode, slim) | – | 240.0 | 80.0 | yes | 30.0 | 70.0 | 61.5 | 2.25 |" in (
        table
    )
    assert (
        "| without slim | `--lambda-slim=false` | 310.0 | – | no (packaging failed) | – | – "
        "| 12.0 | – |" in table
    )
    assert "| without bytecode | `--lambda-compile-bytecode=false` | 210.0 | 60.0 | yes |" in table
    assert (
        "without slim, the error's first lines:\n\n```text\n"
        "LambdaSizeBudgetError: The function x is 310.0 MiB unzipped\n  - `slim=True`\n```\n"
    ) in table
    assert 'defaults (bytecode, slim), the handler returned {"rows": 4}\n' in table
    assert "without bytecode, the handler failed: Traceback: ImportError\n" in table

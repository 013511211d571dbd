from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

from lambdabench import scientific
from lambdabench.scientific import SETTINGS, ScientificBuild

# What a failed `./pants package ::` prints (the tail that CommandFailed keeps).
BUDGET_FAILURE = """\
`./pants --no-pantsd package ::` in /x/repo failed:
12:00:01.00 [INFO] Completed: Build the lambda
12:00:02.00 [ERROR] 1 Exception encountered:

Engine traceback:
  in `package` goal

LambdaSizeBudgetError: The function src/python/tabular:tabular is 301.4 MiB unzipped \
(src/python/tabular:tabular: 301.4 MiB), over the 250.0 MiB Lambda allows.

Any of these would fit it (on the target, with the unzipped size it would give):
  - `slim=True`: 240.2 MiB
  - `compile_bytecode="sourceless"`: 248.0 MiB

12:00:03.00 [INFO] the next log line
"""


def test_a_budget_error_gives_its_size_and_first_lines() -> None:
    assert scientific.error_size(BUDGET_FAILURE) == round(301.4 * 2**20)
    assert scientific.error_size("no size here") is None
    assert len(scientific.error_lines(BUDGET_FAILURE)) == 4
    lines = scientific.error_lines(BUDGET_FAILURE, count=3)
    assert lines == (
        "LambdaSizeBudgetError: The function src/python/tabular:tabular is 301.4 MiB unzipped "
        "(src/python/tabular:tabular: 301.4 MiB), over the 250.0 MiB Lambda allows.",
        "Any of these would fit it (on the target, with the unzipped size it would give):",
        "  - `slim=True`: 240.2 MiB",
    )


def test_other_failures_start_at_the_error_log_line() -> None:
    text = "`./pants package ::` failed:\nnoise\n12:00 [ERROR] something broke\ndetail\n"
    assert scientific.error_lines(text) == ("12:00 [ERROR] something broke", "detail")


def test_fits_is_at_most_lambdas_limit() -> None:
    def fits(size: int | None) -> bool | None:
        return ScientificBuild(SETTINGS[0], 1.0, unzipped_size=size).fits

    assert scientific.UNZIPPED_LIMIT == 262_144_000
    assert (fits(262_144_000), fits(262_144_001), fits(None)) == (True, False, None)


def test_sources_import_all_three_and_pin_them(tmp_path: Path) -> None:
    scientific.write_sources(tmp_path)
    handler = (tmp_path / "src/python/tabular/handler.py").read_text()
    compile(handler, "handler.py", "exec")
    for module in ("numpy", "pandas", "pyarrow"):
        assert f"import {module}" in handler
    requirements = (tmp_path / "3rdparty/python/requirements.txt").read_text().split()
    assert requirements == list(scientific.PINS)
    assert (tmp_path / "src/python/common/core.py").is_file()


def test_invoke_runs_the_handler_from_the_zip_alone(tmp_path: Path) -> None:
    zip_path = tmp_path / "fn.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("fn/__init__.py", "")
        zf.writestr(
            "fn/handler.py",
            "import sys\ndef handler(event, context):\n"
            "    return {'got': event, 'site': 'site' in sys.modules}\n",
        )
        zf.writestr("bad/__init__.py", "raise RuntimeError('at import')\n")
    done = scientific.invoke(zip_path, "fn.handler.handler", {"a": 1}, sys.executable)
    assert done.failure is None and done.seconds > 0
    assert json.loads(done.response or "") == {"got": {"a": 1}, "site": False}
    failed = scientific.invoke(zip_path, "bad.handler", {}, sys.executable)
    assert failed.response is None
    assert failed.failure is not None and "RuntimeError: at import" in failed.failure

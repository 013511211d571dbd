from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from lambdabench.importtime import time_import


def test_times_an_import_from_a_zip_with_and_without_bytecode(tmp_path: Path) -> None:
    zip_path = tmp_path / "fn.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
        zf.writestr("pkg/handler.py", "import json\nVALUE = json.dumps([1])\n")
        zf.writestr("pkg/__pycache__/stale.cpython-311.pyc", b"junk")
    times = time_import(zip_path, "pkg.handler", sys.executable, runs=2)
    assert times.runs == 2
    assert 0 < times.with_pyc < 10 and 0 < times.without_pyc < 10

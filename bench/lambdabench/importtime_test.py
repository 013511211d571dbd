from __future__ import annotations

import py_compile
import sys
import zipfile
from pathlib import Path

from lambdabench.importtime import time_import


def test_times_an_import_as_shipped_and_without_bytecode(tmp_path: Path) -> None:
    source = tmp_path / "handler.py"
    source.write_text("import json\nVALUE = json.dumps([1])\n")
    pyc = py_compile.compile(
        str(source), invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    zip_path = tmp_path / "fn.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
        zf.write(source, "pkg/handler.py")
        zf.write(pyc, f"pkg/__pycache__/handler.{sys.implementation.cache_tag}.pyc")
    times = time_import(zip_path, "pkg.handler", sys.executable, runs=2)
    assert (times.pyc_files, times.runs) == (1, 2)
    assert 0 < times.shipped < 10 and 0 < times.without_pyc < 10
    assert times.ratio == times.shipped / times.without_pyc

from __future__ import annotations

import py_compile
import sys
import zipfile
from pathlib import Path

from lambdabench.importtime import time_imports


def _zip(path: Path, files: dict[str, Path | str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in files.items():
            if isinstance(content, Path):
                zf.write(content, name)
            else:
                zf.writestr(name, content)
    return path


def test_times_imports_alternating_zips_and_reports_one_that_fails(tmp_path: Path) -> None:
    source = tmp_path / "handler.py"
    source.write_text("import json\nVALUE = json.dumps([1])\n")
    pyc = Path(
        py_compile.compile(
            str(source), invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )
    )
    cached = f"pkg/__pycache__/handler.{sys.implementation.cache_tag}.pyc"
    with_pyc = _zip(
        tmp_path / "a.zip", {"pkg/__init__.py": "", "pkg/handler.py": source, cached: pyc}
    )
    sourceless = _zip(tmp_path / "b.zip", {"pkg/__init__.py": "", "pkg/handler.pyc": pyc})
    broken = _zip(tmp_path / "c.zip", {"pkg/__init__.py": "", "pkg/handler.py": "import nope\n"})
    rows = time_imports(
        [("as built", with_pyc), ("sourceless", sourceless), ("broken", broken)],
        "pkg.handler",
        sys.executable,
        runs=2,
    )
    assert [(r.label, r.pyc_files, r.runs) for r in rows] == [
        ("as built", 1, 2),
        ("sourceless", 1, 2),
        ("broken", 0, 0),
    ]
    assert all(r.seconds is not None and 0 < r.seconds < 10 for r in rows[:2])
    assert rows[0].zip_bytes == with_pyc.stat().st_size
    assert rows[2].seconds is None
    assert rows[2].failure is not None and "ModuleNotFoundError: No module named 'nope'" in (
        rows[2].failure
    )

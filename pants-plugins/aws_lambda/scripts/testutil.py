"""Helpers for tests that run the scripts as the sandboxed processes do."""

from __future__ import annotations

import shutil
from pathlib import Path

_SCRIPTS = Path(__file__).parent


def script_sandbox(path: Path) -> Path:
    """A folder holding the `aws_lambda.scripts` package only, as a process's sandbox does."""
    package = path / "aws_lambda" / "scripts"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    for source in _SCRIPTS.glob("*.py"):
        if not source.name.endswith("_test.py") and source.name != "testutil.py":
            shutil.copy(source, package)
    return path

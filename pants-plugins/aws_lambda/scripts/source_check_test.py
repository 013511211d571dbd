from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

from aws_lambda.scripts.source_check import import_problems, stdlib_modules, syntax_problems
from aws_lambda.scripts.testutil import script_sandbox

PYTHON = sys.version_info[:2]


def tree(root: Path, files: dict[str, str]) -> Path:
    for path, content in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(dedent(content))
    return root


def missing(root: Path, zip_entries: tuple[str, ...] = (), provided: tuple[str, ...] = ()):
    return [(p.path, p.line, p.module) for p in import_problems(root, zip_entries, provided)]


def test_imports_resolve_to_the_zip_its_layers_or_the_standard_library(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/handler.py": """\
                import os, json.decoder
                import numpy.linalg
                import msgspec
                import layered
                from app import helpers
                from app.sub import thing
                from . import sibling
                import gone
            """,
            "app/helpers.py": "",
            "app/sub/thing.py": "",
            "ns/part.py": "import ns.part\nimport ns.other\n",
        },
    )
    zipped = ("numpy/__init__.py", "msgspec/_core.cpython-311-x86_64-linux-gnu.so")
    assert missing(root, zipped, provided=("layered",)) == [
        ("app/handler.py", 8, "gone"),
        ("ns/part.py", 2, "ns.other"),
    ]


def test_imports_that_may_fail_by_design_are_not_checked(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {
            "handler.py": """\
                import sys
                from typing import TYPE_CHECKING
                try:
                    import ujson as json
                except ImportError:
                    import json
                else:
                    import ujson.extras
                try:
                    import orjson
                except (ModuleNotFoundError, ValueError):
                    orjson = None
                if TYPE_CHECKING:
                    import stubs_only
                if sys.version_info >= (3, 11):
                    import tomllib
                else:
                    import tomli
                import dynamic  # pants: no-infer-dep
                try:
                    import must_exist
                except KeyError:
                    pass
            """,
        },
    )
    assert missing(root) == [("handler.py", 21, "must_exist")]


def test_imports_in_match_cases_are_checked(tmp_path: Path) -> None:
    """With a CPython that parses `match` (3.10+), as the runtimes from python3.10 on."""
    root = tree(tmp_path / "tree", {"handler.py": "match 1:\n    case 1:\n        import gone\n"})
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"), "versions")
    (python, *_) = sorted(pyenv.glob("3.11.*/bin/python3.11"))
    script = (
        "import sys; from pathlib import Path; "
        "from aws_lambda.scripts.source_check import import_problems; "
        "print([(p.path, p.line, p.module) for p in import_problems(Path(sys.argv[1]), (), ())])"
    )
    result = subprocess.run(
        [str(python), "-E", "-s", "-c", script, str(root)],
        cwd=script_sandbox(tmp_path / "sandbox"),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[('handler.py', 3, 'gone')]"


def test_syntax_is_checked_for_the_runtimes_python(tmp_path: Path) -> None:
    root = tree(
        tmp_path,
        {"ok.py": "x = 1\n", "bad.py": "def f(:\n    pass\n", "py2.py": "print 'hi'\n"},
    )
    problems = syntax_problems(root, PYTHON)
    assert [(p.path, p.line) for p in problems] == [("bad.py", 1), ("py2.py", 1)]
    assert problems[0].message.startswith(f"cannot be compiled by Python {PYTHON[0]}.{PYTHON[1]}")
    # An older runtime's Python is checked with its grammar: `match` is Python 3.10+.
    (tmp_path / "bad.py").unlink()
    (tmp_path / "py2.py").unlink()
    (tmp_path / "matcher.py").write_text("match x:\n    case 1:\n        pass\n")
    if PYTHON >= (3, 10):
        assert syntax_problems(root, PYTHON) == []
    assert [p.path for p in syntax_problems(root, (3, 9))] == ["matcher.py"]


def test_stdlib_modules() -> None:
    stdlib = stdlib_modules()
    assert {"os", "json", "asyncio", "sys", "_ssl", "tomllib", "distutils"} - stdlib == set()
    assert {"numpy", "site-packages", "pip"} & stdlib == set()

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from aws_lambda.scripts.slim import (
    SlimPatterns,
    SlimPlan,
    apply_slim,
    plan_slim,
    rewrite_records,
)

KEPT = {
    "pkg/__init__.py": "",
    "pkg/core.py": "import json\n",
    "pkg/header.h": "/* read at run time by cffi */\n",
    "pkg/_ext.cpython-311-x86_64-linux-gnu.so": "\x7fELF",
    "pkg.libs/libfoo-1a2b3c.so.1": "\x7fELF",
    "pkg/testing.py": "def check(): pass\n",
    "tests/__init__.py": "",  # A top-level `tests` is a module of its own.
    "pkg-1.0.dist-info/METADATA": "Name: pkg\nVersion: 1.0\n",
    "pkg-1.0.dist-info/RECORD": "",
    "pkg-1.0.dist-info/entry_points.txt": "",
    "pkg-1.0.dist-info/top_level.txt": "pkg\n",
    "pkg-1.0.dist-info/WHEEL": "Tag: cp311-cp311-manylinux_2_17_x86_64\n",
    "pkg-1.0.dist-info/LICENSE.txt": "MIT\n",
    "pkg-1.0.dist-info/licenses/NOTICE": "",
}
DROPPED = {
    "pkg/tests/__init__.py": "",
    "pkg/tests/test_core.py": "from pkg import core\n",
    "pkg/tests/data/big.json": "{}" * 1000,
    "pkg/sub/test/test_sub.py": "",
    "pkg/core.pyi": "def f() -> None: ...\n",
    "pkg/py.typed": "",
    "pkg/__pycache__/core.cpython-39.pyc": "stale",
    "bin/pkg-cli": "#!python\n",
    "share/man/man1/pkg.1": ".TH pkg\n",
    "pkg/_ext.pyx": "cdef int x\n",
    "pkg/_ext.c": "int x;\n",
    "pkg/include/pkg.h": "#define PKG 1\n",
    "pkg-1.0.dist-info/INSTALLER": "pex\n",
    "pkg-1.0.dist-info/direct_url.json": "{}",
}


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for path, content in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(content)
    return root


def test_what_no_import_needs_is_dropped(tmp_path: Path) -> None:
    plan = plan_slim(make_tree(tmp_path, {**KEPT, **DROPPED}))
    assert sorted(plan.dropped) == sorted(DROPPED)
    assert plan.kept_for_imports == ()


def test_modules_that_kept_modules_import_stay(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path,
        {
            **KEPT,
            **DROPPED,
            # As numpy.testing imports numpy._core.tests._natype.
            "pkg/testing.py": "from pkg.tests._natype import NA\n",
            "pkg/tests/_natype.py": "from . import _base\nNA = None\n",
            "pkg/tests/_base.py": "",
            "pkg/util.py": "def f():\n    from .sub.test import fixtures\n",
            "pkg/sub/test/fixtures.py": "",
            "pkg/sub/test/unrelated.py": "",
        },
    )
    plan = plan_slim(root)
    assert plan.kept_for_imports == (
        "pkg/sub/test/fixtures.py",
        "pkg/tests/__init__.py",
        "pkg/tests/_base.py",
        "pkg/tests/_natype.py",
    )
    assert "pkg/sub/test/unrelated.py" in plan.dropped
    assert "pkg/tests/test_core.py" in plan.dropped


def test_unparsable_sources_are_read_as_importing_nothing(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {"pkg/old.py": "print 'tests'\n", "pkg/tests/t.py": ""})
    assert plan_slim(root).dropped == ("pkg/tests/t.py",)


def test_patterns_keep_and_drop(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path,
        {
            **KEPT,
            **DROPPED,
            "pkg/big/blob.bin": "x",
            "pkg/big/needed.py": "",
            "pkg/core.py": "from pkg.big import needed\n",
        },
    )
    plan = plan_slim(root, SlimPatterns(keep=("pkg/tests/data/*",), drop=("pkg/big/*",)))
    assert "pkg/tests/data/big.json" not in plan.dropped
    assert "pkg/big/blob.bin" in plan.dropped
    assert plan.kept_for_imports == ("pkg/big/needed.py",)


def test_patterns_for_a_distribution_are_those_that_may_match_its_files() -> None:
    patterns = SlimPatterns(
        keep=("matplotlib/mpl-data/*", "*/tests/data/*", "mat*/x"),
        drop=("numpy/f2py/*", "pandas/*"),
    )
    assert patterns.for_paths(["numpy/__init__.py", "numpy-2.2.6.dist-info/RECORD"]) == (
        SlimPatterns(keep=("*/tests/data/*", "mat*/x"), drop=("numpy/f2py/*",))
    )


def test_apply_removes_the_files_and_the_folders_they_leave_empty(tmp_path: Path) -> None:
    root = make_tree(tmp_path, {**KEPT, **DROPPED})
    freed = apply_slim(root, plan_slim(root))
    assert freed == sum(len(content.encode()) for content in DROPPED.values())
    assert not (root / "pkg" / "tests").exists()
    assert not (root / "share").exists() and not (root / "bin").exists()
    assert sorted(
        path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()
    ) == sorted(KEPT)


def _hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def test_records_list_what_the_distribution_has_now(tmp_path: Path) -> None:
    root = make_tree(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/mod.pyc": "sourceless",
            "pkg/__pycache__/__init__.cpython-311.pyc": "bytecode",
            "pkg-1.0.dist-info/METADATA": "Name: pkg\n",
            "pkg-1.0.dist-info/RECORD": (
                "pkg/__init__.py,sha256=abc,0\n"
                "pkg/mod.py,sha256=def,10\n"
                "pkg/tests/test_mod.py,sha256=ghi,5\n"
                "pkg-1.0.dist-info/METADATA,sha256=jkl,10\n"
                "pkg-1.0.dist-info/RECORD,,\n"
                "../../bin/pkg,sha256=mno,9\n"
            ),
        },
    )
    rewrite_records(
        root,
        {
            "pkg/__init__.py": "pkg/__pycache__/__init__.cpython-311.pyc",
            "pkg/mod.py": "pkg/mod.pyc",
        },
    )
    pyc = b"bytecode"
    assert (root / "pkg-1.0.dist-info" / "RECORD").read_text().splitlines() == [
        "pkg/__init__.py,sha256=abc,0",
        f"pkg/__pycache__/__init__.cpython-311.pyc,sha256={_hash(pyc)},{len(pyc)}",
        f"pkg/mod.pyc,sha256={_hash(b'sourceless')},10",
        "pkg-1.0.dist-info/METADATA,sha256=jkl,10",
        "pkg-1.0.dist-info/RECORD,,",
        "../../bin/pkg,sha256=mno,9",
    ]


def test_an_empty_plan_changes_nothing(tmp_path: Path) -> None:
    root = make_tree(tmp_path, KEPT)
    assert apply_slim(root, SlimPlan((), ())) == 0
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == sorted(
        KEPT
    )

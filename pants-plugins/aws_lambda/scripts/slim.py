"""Leave out of a distribution's installed tree what no import needs at run time.

Stdlib only: the zip writer runs it in each distribution's own cached process. What is left
out by default:

- test folders (`tests/`, `test/`) inside a package, never a top-level one;
- type stubs (`*.pyi`, `py.typed`) and bytecode that came with the distribution;
- console scripts (`bin/`), whose `#!python` shebangs cannot run on Lambda, and man pages;
- C, C++ and Cython sources, and the C headers of `include/` folders, which only builds read;
- the `.dist-info` files that neither `importlib.metadata` nor `pkg_resources` reads: the rest
  (`METADATA`, `RECORD`, rewritten to match, `entry_points.txt`, `top_level.txt`,
  `namespace_packages.txt`, licences, and `WHEEL`, whose tags say what the wheel was built
  for) stays.

Native code and `*.libs` folders are never touched. A module that would be left out but that a
kept module imports, statically, stays, and so do the modules it imports in turn. `keep`
and `drop` patterns (`fnmatch` patterns of paths in the tree, where `*` also matches `/`)
cover what static imports cannot see.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Optional

from aws_lambda.scripts.shared import module_name, record_hash, walk_tree

_TEST_FOLDERS = frozenset({"tests", "test"})
_BUILD_SOURCES = re.compile(r".*\.(c|cc|cpp|cxx|pyx|pxd|pxi)")
_HEADERS = re.compile(r"(.*/)?include/.*\.(h|hh|hpp|hxx)")
_KEPT_METADATA = frozenset(
    {"METADATA", "RECORD", "WHEEL", "entry_points.txt", "top_level.txt", "namespace_packages.txt"}
)
_LICENCE = re.compile(r"(licen[cs]e|copying|notice|authors)", re.IGNORECASE)
_DIST_INFO = re.compile(r"[^/]+\.dist-info")


@dataclass(frozen=True)
class SlimPatterns:
    """Patterns of paths to keep whatever the defaults say, and to leave out as well."""

    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()

    def for_paths(self, paths: Iterable[str]) -> SlimPatterns:
        """The patterns that may match one of `paths`: a pattern for another distribution's
        files leaves this one's zip, and the cache key of the process that writes it, alone.
        """
        tops = {path.split("/", 1)[0] for path in paths}

        def may_match(pattern: str) -> bool:
            top = pattern.split("/", 1)[0]
            return "*" in top or any(fnmatchcase(path_top, top) for path_top in tops)

        return SlimPatterns(
            tuple(filter(may_match, self.keep)), tuple(filter(may_match, self.drop))
        )


@dataclass(frozen=True)
class SlimPlan:
    """What slimming leaves out of a tree, and what it keeps because a kept module imports it."""

    dropped: tuple[str, ...]
    kept_for_imports: tuple[str, ...]


_NO_PATTERNS = SlimPatterns()


def plan_slim(root: Path, patterns: SlimPatterns = _NO_PATTERNS) -> SlimPlan:
    """The files under `root` that slimming leaves out (see the module's docstring)."""
    files = [entry.relative_path for entry in walk_tree(root) if not entry.is_dir]
    candidates = {
        path
        for path in files
        if _is_dropped(path, patterns) and not any(fnmatchcase(path, p) for p in patterns.keep)
    }
    kept_for_imports = _kept_for_imports(root, files, candidates)
    dropped = tuple(path for path in files if path in candidates - kept_for_imports)
    return SlimPlan(dropped, tuple(sorted(kept_for_imports)))


def _is_dropped(path: str, patterns: SlimPatterns) -> bool:
    parts = path.split("/")
    if _DIST_INFO.fullmatch(parts[0]) and len(parts) == 2:
        return not (parts[1] in _KEPT_METADATA or _LICENCE.match(parts[1]))
    return (
        _in_test_folder(parts)
        or path.endswith((".pyi", ".pyc"))
        or parts[-1] == "py.typed"
        or (parts[0] == "bin" and len(parts) == 2)
        or path.startswith("share/man/")
        or bool(_BUILD_SOURCES.fullmatch(path) or _HEADERS.fullmatch(path))
        or any(fnmatchcase(path, drop) for drop in patterns.drop)
    )


def _in_test_folder(parts: Sequence[str]) -> bool:
    return parts[0].isidentifier() and any(part in _TEST_FOLDERS for part in parts[1:-1])


def _kept_for_imports(root: Path, files: Sequence[str], candidates: set[str]) -> set[str]:
    """The dropped modules that kept modules import, and what those import in turn."""
    dropped_modules = {
        module: path for path in candidates for module in [module_name(path)] if module
    }
    if not dropped_modules:
        return set()
    # A kept module can import a dropped one only by naming it or the test folder it is in, so
    # only the sources that mention such a name are parsed at first.
    names: set[str] = set()
    for module, path in dropped_modules.items():
        parts = path.split("/")
        test_folders = _TEST_FOLDERS & set(parts[1:-1]) if _in_test_folder(parts) else set()
        names |= test_folders or {module.rpartition(".")[2]}
    mentions: Optional[re.Pattern[bytes]] = re.compile(
        rb"\b(" + b"|".join(re.escape(name.encode()) for name in sorted(names)) + rb")\b"
    )
    kept: set[str] = set()
    pending = [path for path in files if path.endswith(".py") and path not in candidates]
    while pending:
        rescued = []
        for imported in _imports_of(root, pending, mentions):
            parts = imported.split(".")
            for depth in range(1, len(parts) + 1):
                dropped = dropped_modules.get(".".join(parts[:depth]))
                if dropped is not None and dropped not in kept:
                    kept.add(dropped)
                    rescued.append(dropped)
        # Relative imports inside a test folder do not name it: rescued modules are read whole.
        pending, mentions = rescued, None
    return kept


def _imports_of(
    root: Path, paths: Iterable[str], mentions: Optional[re.Pattern[bytes]]
) -> Iterator[str]:
    """Every module that the `.py` files at `paths` (that match `mentions`) import, anywhere."""
    for path in paths:
        source = (root / path).read_bytes()
        if mentions is not None and not mentions.search(source):
            continue
        try:
            tree = ast.parse(source, path)
        except (SyntaxError, ValueError):
            continue  # It does not compile, so it imports nothing on Lambda either.
        package = _package_of(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node.module, node.level, package)
                if base is None:
                    continue
                yield base
                yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def _package_of(path: str) -> str:
    module = module_name(path) or ""
    return module if path.endswith("/__init__.py") else module.rpartition(".")[0]


def _absolute(module: Optional[str], level: int, package: str) -> Optional[str]:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, *([module] if module else [])]) or None


def apply_slim(root: Path, plan: SlimPlan) -> int:
    """Delete the planned files under `root`, leaving empty folders out too; returns bytes freed."""
    freed = 0
    for path in plan.dropped:
        file = root / path
        freed += file.stat().st_size
        file.unlink()
    folders = {(root / path).parent for path in plan.dropped}
    for folder in sorted(folders, key=lambda folder: len(folder.parts), reverse=True):
        while folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return freed


def rewrite_records(root: Path, bytecode: Mapping[str, str]) -> None:
    """Rewrite each `.dist-info/RECORD` under `root` to list the files its distribution has now.

    A row whose file is gone is left out, and each source compiled to `bytecode` (source path
    to bytecode path) gets its bytecode's row, with hash and size: after the source's row, or
    in its place if the source is gone (sourceless bytecode).
    """
    for record in sorted(root.glob("*.dist-info/RECORD")):
        record_path = record.relative_to(root).as_posix()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in csv.reader(io.StringIO(record.read_text(encoding="utf-8"))):
            if not row or not row[0]:
                continue
            path = row[0]
            if path.startswith("../") or path == record_path:
                writer.writerow(row)
                continue
            if (root / path).is_file():
                writer.writerow(row)
            if path in bytecode:
                data = (root / bytecode[path]).read_bytes()
                writer.writerow([bytecode[path], f"sha256={record_hash(data)}", str(len(data))])
        record.write_text(out.getvalue(), encoding="utf-8")

"""Find what would fail when Lambda loads a zip's first-party code: syntax, and missing modules.

Stdlib only. Syntax is checked by compiling each file with this CPython when it is the runtime's
version, and otherwise with `ast.parse(feature_version=...)`. An absolute import must resolve to
a module of the zip, of what `provided` names (layers, the runtime), or of the standard library.
Imports that may fail by design are not checked: those under a `try:` that catches
`ImportError`, under an `if` on `TYPE_CHECKING`, `sys.version_info`, `sys.platform` or
`os.name`, and those marked `# pants: no-infer-dep`, as for Pants' dependency inference.
"""

from __future__ import annotations

import ast
import sys
import sysconfig
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from aws_lambda.scripts.shared import module_name, top_level_module, walk_tree

_NO_INFER_DEP = "# pants: no-infer-dep"
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_CONDITIONS = frozenset({"TYPE_CHECKING", "version_info", "platform", "name"})
# In the standard library of some Lambda runtime's CPython (3.9 to 3.14), if not this one's:
# added in 3.11 or 3.14, or removed in 3.12 and 3.13.
_STDLIB_OF_OTHER_VERSIONS = frozenset(
    {
        "tomllib",
        *("annotationlib", "compression"),
        *("asynchat", "asyncore", "distutils", "imp", "smtpd"),
        *("aifc", "audioop", "cgi", "cgitb", "chunk", "crypt", "imghdr", "lib2to3", "mailcap"),
        *("msilib", "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau"),
        *("telnetlib", "uu", "xdrlib"),
    }
)


@dataclass(frozen=True)
class SourceProblem:
    """What fails in a first-party file, at `path` (under the import root) and `line`."""

    path: str
    line: int
    message: str
    module: Optional[str] = None  # The module an import cannot find.

    def to_json_dict(self) -> dict[str, Union[str, int, None]]:
        return {
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "module": self.module,
        }


def syntax_problems(root: Path, python_version: tuple[int, int]) -> list[SourceProblem]:
    """The `.py` files under `root` that CPython `python_version` cannot compile."""
    exact = sys.implementation.name == "cpython" and sys.version_info[:2] == python_version
    version = "{}.{}".format(*python_version)
    problems = []
    for path, source in _python_files(root):
        try:
            if exact:
                compile(source, path, "exec", dont_inherit=True)
            else:
                ast.parse(source, path, feature_version=python_version)
        except SyntaxError as error:
            problems.append(
                SourceProblem(
                    path,
                    error.lineno or 1,
                    f"cannot be compiled by Python {version}: {error.msg}. Fix the syntax for the "
                    "runtime's Python version.",
                )
            )
        except ValueError as error:  # e.g. null bytes
            problems.append(SourceProblem(path, 1, f"cannot be compiled: {error}."))
    return problems


def import_problems(
    root: Path, zip_entries: Iterable[str], provided: Iterable[str]
) -> list[SourceProblem]:
    """Absolute imports in the `.py` files under `root` that resolve to no module.

    `zip_entries` are the paths, under the import root, of everything else in the zip;
    `provided` are the top-level modules that layers and the runtime provide. A first-party
    package that nothing else provides must hold every submodule that is imported from it.
    """
    tree = [entry.relative_path for entry in walk_tree(root)]
    first_party = _top_level(tree)
    available = first_party | _top_level(zip_entries) | set(provided) | stdlib_modules()
    only_first_party = first_party - _top_level(zip_entries) - set(provided)
    modules = set(_module_names(tree))
    problems = []
    for path, source in _python_files(root):
        lines = source.decode("utf-8", errors="replace").splitlines()
        try:
            module = ast.parse(source, path)
        except (SyntaxError, ValueError):
            continue  # Reported by `syntax_problems`.
        for name, line in _checked_imports(module.body, lines):
            top = name.split(".")[0]
            if top not in available:
                missing = top
            elif top in only_first_party and name not in modules:
                missing = name
            else:
                continue
            problems.append(
                SourceProblem(
                    path,
                    line,
                    f"imports `{name}`, but `{missing}` is not in the zip, its layers, or what "
                    "the runtime provides.",
                    missing,
                )
            )
    return problems


def stdlib_modules() -> frozenset[str]:
    """The top-level modules of this CPython's standard library, and of other runtimes'."""
    names = set(sys.builtin_module_names) | _STDLIB_OF_OTHER_VERSIONS
    if hasattr(sys, "stdlib_module_names"):
        return frozenset(names | set(sys.stdlib_module_names))
    # The base interpreter's, also when this one runs in a venv.
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    stdlib = Path(sysconfig.get_path("stdlib", vars=base))
    platstdlib = Path(sysconfig.get_path("platstdlib", vars=base))
    for folder in (stdlib, platstdlib, platstdlib / "lib-dynload"):
        if folder.is_dir():
            names |= {
                name
                for child in folder.iterdir()
                if child.name != "site-packages"
                for name in [top_level_module(child.name + ("/" if child.is_dir() else ""))]
                if name
            }
    return frozenset(names)


def _python_files(root: Path) -> Iterator[tuple[str, bytes]]:
    for entry in walk_tree(root):
        if entry.relative_path.endswith(".py") and "__pycache__" not in entry.relative_path:
            yield entry.relative_path, entry.path.read_bytes()


def _top_level(paths: Iterable[str]) -> set[str]:
    return {name for name in map(top_level_module, paths) if name}


def _module_names(paths: Iterable[str]) -> Iterator[str]:
    """Dotted names of the modules and packages (namespace ones too) that `paths` hold."""
    for path in paths:
        parts = path.rstrip("/").split("/")
        if path.endswith("/"):
            yield ".".join(parts)
        elif parts[-1].endswith(".py"):
            yield from filter(None, [module_name(path)])
        elif top_level_module(parts[-1]):
            yield ".".join([*parts[:-1], top_level_module(parts[-1]) or ""])


def _checked_imports(body: list[ast.stmt], lines: list[str]) -> Iterator[tuple[str, int]]:
    """(module, line) of the absolute imports that must resolve, in `body` and below."""
    for statement in body:
        if isinstance(statement, ast.Import):
            if not _marked(statement, lines):
                yield from ((alias.name, statement.lineno) for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            if statement.level == 0 and statement.module and not _marked(statement, lines):
                yield statement.module, statement.lineno
        elif isinstance(statement, ast.Try) and _catches_import_errors(statement):
            # The `try:` body and its `else:` may fail; the fallbacks must not.
            for handler in statement.handlers:
                yield from _checked_imports(handler.body, lines)
            yield from _checked_imports(statement.finalbody, lines)
        elif isinstance(statement, ast.If) and _names(statement.test) & _CONDITIONS:
            continue
        else:
            yield from _checked_imports(list(_child_statements(statement)), lines)


def _child_statements(statement: ast.stmt) -> Iterator[ast.stmt]:
    for field in ("body", "orelse", "finalbody", "handlers", "cases"):
        for child in getattr(statement, field, ()):
            if isinstance(child, ast.stmt):
                yield child
            else:  # An `except` handler or a `case`.
                yield from child.body


def _marked(statement: ast.stmt, lines: list[str]) -> bool:
    end = getattr(statement, "end_lineno", None) or statement.lineno
    return any(_NO_INFER_DEP in line for line in lines[statement.lineno - 1 : end])


def _catches_import_errors(statement: ast.Try) -> bool:
    for handler in statement.handlers:
        if handler.type is None or _names(handler.type) & _IMPORT_ERRORS:
            return True
    return False


def _names(node: ast.AST) -> set[str]:
    """The names and attribute names that an expression mentions."""
    return {
        child.id if isinstance(child, ast.Name) else child.attr
        for child in ast.walk(node)
        if isinstance(child, (ast.Name, ast.Attribute))
    }

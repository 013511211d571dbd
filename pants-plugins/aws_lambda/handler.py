"""Parse and check AWS Lambda handler specs such as `echo/handler.py:handler`."""

from __future__ import annotations

import ast
import difflib
import keyword
import posixpath
import sys
from collections.abc import Iterator
from dataclasses import dataclass

_VALID_FORMS = (
    "Use either a .py file path relative to the BUILD file's directory and a function, e.g. "
    "'handler.py:handler' for src/python/echo/handler.py next to src/python/echo/BUILD, "
    "or a dotted module and a function, e.g. 'echo.handler:handler'."
)

_GLOB_CHARACTERS = "*?[!"


class InvalidHandlerError(ValueError):
    """Raised for a handler spec with invalid syntax."""


class HandlerSourceError(ValueError):
    """Raised when a handler's source file cannot be parsed."""


class HandlerNotFoundError(ValueError):
    """Raised when a handler's module does not define the handler function."""


@dataclass(frozen=True)
class HandlerSpec:
    """A parsed handler: a `.py` file path or a dotted module, and a function name."""

    module_or_file: str
    func: str
    is_file: bool


@dataclass(frozen=True)
class TopLevelNames:
    """Names a module binds at top level, found without importing it."""

    functions: tuple[str, ...]
    other_names: tuple[str, ...]
    has_star_import: bool

    def may_define(self, name: str) -> bool:
        """Whether `name` is, or (through `import *`) could be, bound at top level."""
        return self.has_star_import or name in self.functions or name in self.other_names


def _is_python_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def parse_handler(spec: str) -> HandlerSpec:
    """Parse `path/to/file.py:func` or `dotted.module:func`."""

    def invalid(reason: str) -> InvalidHandlerError:
        return InvalidHandlerError(f"Invalid handler {spec!r}: {reason}. {_VALID_FORMS}")

    if spec.count(":") != 1:
        raise invalid("expected exactly one ':' between the module or file and the function")
    module_or_file, func = spec.split(":")
    if not module_or_file or not func:
        raise invalid("both the part before and after ':' must be non-empty")
    if not _is_python_name(func):
        raise invalid(f"function name {func!r} is not a Python identifier")
    if module_or_file.endswith(".py"):
        if any(char in module_or_file for char in _GLOB_CHARACTERS):
            raise invalid(f"file {module_or_file!r} is a glob, but a handler is in one file")
        path = posixpath.normpath(module_or_file)
        if posixpath.isabs(path) or path.split("/")[0] == "..":
            raise invalid(f"file {module_or_file!r} must be inside the BUILD file's directory")
        return HandlerSpec(path, func, is_file=True)
    bad_parts = [part for part in module_or_file.split(".") if not _is_python_name(part)]
    if bad_parts:
        listed = ", ".join(repr(part) for part in bad_parts)
        raise invalid(f"module {module_or_file!r} has parts that are not identifiers: {listed}")
    return HandlerSpec(module_or_file, func, is_file=False)


def lambda_handler_string(module: str, func: str) -> str:
    """The handler setting AWS expects, e.g. `echo.handler.handler`."""
    return f"{module}.{func}"


def top_level_names(source: bytes, filename: str) -> TopLevelNames:
    """Names bound at the top level of `source`, including inside top-level if/try/with/for."""
    try:
        module = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError) as error:
        python = f"{sys.version_info.major}.{sys.version_info.minor}"
        raise HandlerSourceError(
            f"Cannot parse handler file {filename!r}: {error}. Fix the file so that "
            f"Python {python} (the interpreter running Pants) can parse it."
        ) from error
    functions: set[str] = set()
    other_names: set[str] = set()
    has_star_import = False
    for statement in _top_level_statements(module.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.add(statement.name)
        elif isinstance(statement, ast.ClassDef):
            other_names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            other_names.update(_assigned_names(statement.targets))
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            other_names.update(_assigned_names([statement.target]))
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                if alias.name == "*":
                    has_star_import = True
                else:
                    other_names.add(alias.asname or alias.name.split(".")[0])
    return TopLevelNames(
        functions=tuple(sorted(functions)),
        other_names=tuple(sorted(other_names - functions)),
        has_star_import=has_star_import,
    )


def _top_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for statement in body:
        yield statement
        if isinstance(statement, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody"):
                yield from _top_level_statements(getattr(statement, field, []))
            for handler in getattr(statement, "handlers", []):
                yield from _top_level_statements(handler.body)


def _assigned_names(targets: list[ast.expr]) -> Iterator[str]:
    for target in targets:
        if isinstance(target, ast.Name):
            yield target.id
        elif isinstance(target, (ast.Tuple, ast.List)):
            yield from _assigned_names(target.elts)
        elif isinstance(target, ast.Starred):
            yield from _assigned_names([target.value])


def check_handler_defined(source: bytes, func: str, filename: str) -> None:
    """Raise `HandlerNotFoundError`, listing the top-level functions, if `func` is not bound."""
    names = top_level_names(source, filename)
    if names.may_define(func):
        return
    if names.functions:
        listing = f"Its top-level functions are: {', '.join(names.functions)}."
    else:
        listing = "It defines no top-level functions."
    suggestions = difflib.get_close_matches(func, (*names.functions, *names.other_names), n=1)
    did_you_mean = f" Did you mean {suggestions[0]!r}?" if suggestions else ""
    raise HandlerNotFoundError(
        f"Handler function {func!r} is not defined at the top level of {filename!r}. "
        f"{listing}{did_you_mean} Define `def {func}(event, context):` there or fix the "
        "handler field."
    )

from __future__ import annotations

import pytest

from aws_lambda.handler import (
    HandlerNotFoundError,
    HandlerSourceError,
    HandlerSpec,
    InvalidHandlerError,
    TopLevelNames,
    check_handler_defined,
    lambda_handler_string,
    parse_handler,
    top_level_names,
)


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("handler.py:handler", HandlerSpec("handler.py", "handler", is_file=True)),
        ("./lambdas/echo.py:main", HandlerSpec("lambdas/echo.py", "main", is_file=True)),
        ("a/../b/app.py:_run", HandlerSpec("b/app.py", "_run", is_file=True)),
        ("my-handler.py:handler", HandlerSpec("my-handler.py", "handler", is_file=True)),
        ("echo.handler:handler", HandlerSpec("echo.handler", "handler", is_file=False)),
        ("app:lambda_handler", HandlerSpec("app", "lambda_handler", is_file=False)),
    ],
)
def test_parse_handler(spec: str, expected: HandlerSpec) -> None:
    assert parse_handler(spec) == expected


@pytest.mark.parametrize(
    "spec, reason",
    [
        ("echo.handler.handler", "exactly one ':'"),
        ("echo:handler:handler", "exactly one ':'"),
        (":handler", "non-empty"),
        ("echo.handler:", "non-empty"),
        ("echo.handler:my-func", "'my-func' is not a Python identifier"),
        ("echo.handler:class", "'class' is not a Python identifier"),
        ("echo.handler: handler", "' handler' is not a Python identifier"),
        ("echo/handler:handler", "not identifiers: 'echo/handler'"),
        ("echo..handler:handler", "not identifiers: ''"),
        ("my-pkg.import:handler", "not identifiers: 'my-pkg', 'import'"),
        ("../shared/handler.py:handler", "must be inside the BUILD file's directory"),
        ("lambdas/../../handler.py:handler", "must be inside the BUILD file's directory"),
        ("/abs/handler.py:handler", "must be inside the BUILD file's directory"),
        ("*.py:handler", "file '*.py' is a glob, but a handler is in one file"),
        ("lambdas/handler_[ab].py:handler", "is a glob"),
    ],
)
def test_parse_handler_rejects_invalid_specs(spec: str, reason: str) -> None:
    with pytest.raises(InvalidHandlerError) as exc_info:
        parse_handler(spec)
    message = str(exc_info.value)
    assert f"Invalid handler {spec!r}" in message
    assert reason in message
    assert "'handler.py:handler'" in message
    assert "'echo.handler:handler'" in message
    assert isinstance(exc_info.value, ValueError)


def test_lambda_handler_string() -> None:
    assert lambda_handler_string("echo.handler", "handler") == "echo.handler.handler"
    assert lambda_handler_string("app", "main") == "app.main"


def test_top_level_names() -> None:
    source = b"""
import json
import os.path
from functools import partial as p
from .helpers import make_handler

CONSTANT: int = 1
declared_only: int
first, (second, *rest) = 1, (2, 3)
handler = make_handler()

def helper():
    def nested():
        pass
    inner_assignment = 1

async def async_handler(event, context):
    return event

class Handler:
    def method(self):
        pass

if os.path.exists("x"):
    def maybe():
        pass
try:
    from fast import speedy
except ImportError:
    speedy = None
else:
    pass
finally:
    cleanup = True
"""
    assert top_level_names(source, "handler.py") == TopLevelNames(
        functions=("async_handler", "helper", "maybe"),
        other_names=(
            "CONSTANT",
            "Handler",
            "cleanup",
            "first",
            "handler",
            "json",
            "make_handler",
            "os",
            "p",
            "rest",
            "second",
            "speedy",
        ),
        has_star_import=False,
    )


@pytest.mark.parametrize(
    "source, func",
    [
        (b"def handler(event, context):\n    return event\n", "handler"),
        (b"async def handler(event, context):\n    return event\n", "handler"),
        (b"from .impl import make\nhandler = make()\n", "handler"),
        (b"from .impl import handler\n", "handler"),
        (b"from .impl import run as handler\n", "handler"),
        (b"from .impl import *\n", "handler"),
        (b"# -*- coding: latin-1 -*-\ns = '\xe9'\ndef handler(e, c):\n    pass\n", "handler"),
    ],
)
def test_check_handler_defined_accepts(source: bytes, func: str) -> None:
    check_handler_defined(source, func, "src/python/echo/handler.py")


def test_check_handler_defined_lists_functions_and_suggests() -> None:
    source = b"import os\n\ndef handle(event, context):\n    pass\n\ndef helper():\n    pass\n"
    with pytest.raises(HandlerNotFoundError) as exc_info:
        check_handler_defined(source, "handler", "src/python/echo/handler.py")
    message = str(exc_info.value)
    assert "'handler' is not defined at the top level of 'src/python/echo/handler.py'" in message
    assert "Its top-level functions are: handle, helper." in message
    assert "Did you mean 'handle'?" in message
    assert "def handler(event, context):" in message


def test_check_handler_defined_ignores_nested_definitions() -> None:
    source = b"class Api:\n    def handler(self, event, context):\n        pass\n"
    with pytest.raises(HandlerNotFoundError) as exc_info:
        check_handler_defined(source, "handler", "api.py")
    message = str(exc_info.value)
    assert "It defines no top-level functions." in message
    assert "Did you mean" not in message


def test_syntax_error_is_reported_with_file_and_line() -> None:
    with pytest.raises(HandlerSourceError) as exc_info:
        check_handler_defined(b"def handler(event, context)\n    pass\n", "handler", "bad.py")
    message = str(exc_info.value)
    assert "Cannot parse handler file 'bad.py'" in message
    assert "line 1" in message
    assert "the interpreter running Pants" in message


def test_null_bytes_are_reported() -> None:
    with pytest.raises(HandlerSourceError, match=r"Cannot parse handler file 'nul.py'"):
        top_level_names(b"x = 1\x00\n", "nul.py")

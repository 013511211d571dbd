from __future__ import annotations

import os
from pathlib import Path

import pytest
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from aws_lambda.testutil import set_pex_options
from aws_lambda.util_rules import platform
from aws_lambda.util_rules.platform import (
    RuntimeInterpreterNotFoundError,
    RuntimeInterpreterRequest,
)


@pytest.fixture
def rule_runner(tmp_path: Path) -> RuleRunner:
    """Interpreter discovery that sees only one real CPython 3.11, as a machine without 3.12."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"), "versions")
    pythons = sorted(pyenv.glob("3.11.*/bin/python3.11"))
    if not pythons:
        pytest.skip("No CPython 3.11 under pyenv.")
    only_311 = tmp_path / "bin"
    only_311.mkdir()
    (only_311 / "python3.11").symlink_to(pythons[-1])
    # Named for another version: never taken for it.
    (only_311 / "python3.12").symlink_to(pythons[-1])
    rule_runner = RuleRunner(
        rules=[
            *platform.rules(),
            QueryRule(PythonExecutable, [RuntimeInterpreterRequest]),
        ]
    )
    set_pex_options(rule_runner, f"--python-bootstrap-search-path=['{only_311}']")
    return rule_runner


def test_runtime_interpreter_is_exactly_the_runtime_version(rule_runner: RuleRunner) -> None:
    python = rule_runner.request(
        PythonExecutable, [RuntimeInterpreterRequest((3, 11), need="src:fn needs")]
    )
    assert "/3.11." in python.path  # The real path, not the search path's symlink.

    with engine_error(
        RuntimeInterpreterNotFoundError,
        contains=(
            "src:fn compiles bytecode, so needs a CPython 3.12 on this machine, and none was "
            "found on `[python-bootstrap].search_path`"
        ),
    ):
        rule_runner.request(
            PythonExecutable,
            [
                RuntimeInterpreterRequest(
                    (3, 12),
                    need="src:fn compiles bytecode, so needs",
                    alternative=", or set `compile_bytecode=False`",
                )
            ],
        )

from __future__ import annotations

from typing import Any

import pytest
from pants.testutil.option_util import create_subsystem
from pants.testutil.rule_runner import run_rule_with_mocks

from aws_lambda.runtimes import LambdaArchitecture, LambdaPlatform, LambdaRuntime
from aws_lambda.scripts.slim import SlimPatterns
from aws_lambda.subsystem import (
    LambdaSettings,
    LambdaSettingsRequest,
    LambdaSubsystem,
    lambda_settings,
)
from aws_lambda.target_types import RuntimeProvided


def settings(request: LambdaSettingsRequest, **options: Any) -> LambdaSettings:
    defaults: dict[str, Any] = {
        "runtime": LambdaRuntime.python3_12,
        "architecture": LambdaArchitecture.x86_64,
        "runtime_provided": RuntimeProvided.include,
        "compile_bytecode": True,
        "slim": True,
        "slim_keep": [],
        "slim_drop": [],
    }
    subsystem = create_subsystem(LambdaSubsystem, **{**defaults, **options})
    return run_rule_with_mocks(lambda_settings, rule_args=[request, subsystem])


def test_lambda_defaults_fill_what_a_target_leaves_unset() -> None:
    assert settings(LambdaSettingsRequest()) == LambdaSettings(
        LambdaPlatform(LambdaRuntime.python3_12, LambdaArchitecture.x86_64),
        RuntimeProvided.include,
        compile_bytecode=True,
    )
    assert settings(
        LambdaSettingsRequest(architecture="arm64"),
        runtime=LambdaRuntime.python3_11,
        runtime_provided=RuntimeProvided.exclude,
        compile_bytecode=False,
    ) == LambdaSettings(
        LambdaPlatform(LambdaRuntime.python3_11, LambdaArchitecture.arm64),
        RuntimeProvided.exclude,
        compile_bytecode=False,
    )


@pytest.mark.parametrize("compile_bytecode", [True, False])
def test_a_targets_own_values_win(compile_bytecode: bool) -> None:
    request = LambdaSettingsRequest("python3.9", "arm64", "exclude", compile_bytecode)
    assert settings(request, compile_bytecode=not compile_bytecode) == LambdaSettings(
        LambdaPlatform(LambdaRuntime.python3_9, LambdaArchitecture.arm64),
        RuntimeProvided.exclude,
        compile_bytecode,
    )


def test_slim_patterns_add_to_the_defaults() -> None:
    options = {"slim_keep": ["pkg/tests/data/*"], "slim_drop": ["big/*"]}
    assert settings(LambdaSettingsRequest(), **options).slim == SlimPatterns(
        ("pkg/tests/data/*",), ("big/*",)
    )
    own = LambdaSettingsRequest(slim=SlimPatterns(("mine/*",), ()))
    assert settings(own, **options).slim == SlimPatterns(("pkg/tests/data/*", "mine/*"), ("big/*",))
    assert settings(LambdaSettingsRequest(slim=False), **options).slim is None
    assert settings(LambdaSettingsRequest(slim=True), slim=False).slim == SlimPatterns()
    assert settings(LambdaSettingsRequest(), slim=False).slim is None


def test_sourceless_is_bytecode() -> None:
    sourceless = settings(
        LambdaSettingsRequest(compile_bytecode="sourceless"), compile_bytecode=False
    )
    assert (sourceless.compile_bytecode, sourceless.sourceless) == (True, True)
    assert settings(LambdaSettingsRequest()).sourceless is False

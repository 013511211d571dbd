from __future__ import annotations

import json

import pytest
from pants.testutil.rule_runner import RuleRunner

from aws_lambda.goals import lambda_platform
from aws_lambda.goals.lambda_platform import LambdaPlatformGoal
from aws_lambda.runtimes import LambdaArchitecture, LambdaPlatform, LambdaRuntime


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(rules=lambda_platform.rules())


def test_prints_the_requested_platform(rule_runner: RuleRunner) -> None:
    result = rule_runner.run_goal_rule(
        LambdaPlatformGoal, args=["--runtime=python3.11", "--architecture=arm64"]
    )
    assert result.exit_code == 0
    platform = LambdaPlatform(LambdaRuntime.python3_11, LambdaArchitecture.arm64)
    assert result.stdout == platform.complete_platform_json()
    assert json.loads(result.stdout)["compatible_tags"][0] == "cp311-cp311-manylinux_2_26_aarch64"


def test_defaults_come_from_the_lambda_subsystem(rule_runner: RuleRunner) -> None:
    result = rule_runner.run_goal_rule(
        LambdaPlatformGoal, global_args=["--lambda-runtime=python3.13"]
    )
    assert json.loads(result.stdout)["marker_environment"]["python_version"] == "3.13"
    assert json.loads(result.stdout)["marker_environment"]["platform_machine"] == "x86_64"


@pytest.mark.parametrize(
    "args, global_args",
    [(["--runtime=python2.7"], []), ([], ["--lambda-runtime=python2.7"])],
)
def test_unknown_runtime_lists_the_valid_ones(
    rule_runner: RuleRunner, args: list[str], global_args: list[str]
) -> None:
    with pytest.raises(Exception) as exc_info:
        rule_runner.run_goal_rule(LambdaPlatformGoal, args=args, global_args=global_args)
    message = str(exc_info.value)
    assert "python2.7" in message
    assert "python3.9" in message and "python3.13" in message

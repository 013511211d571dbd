from __future__ import annotations

import json

import pytest
from pants.testutil.rule_runner import RuleRunner, engine_error

from aws_lambda import platform_goal
from aws_lambda.platform_goal import LambdaPlatformGoal
from aws_lambda.platform_rules import InvalidLambdaPlatformError
from aws_lambda.runtimes import architecture_for, complete_platform_json, runtime_for


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(rules=platform_goal.rules())


def test_prints_the_requested_platform(rule_runner: RuleRunner) -> None:
    result = rule_runner.run_goal_rule(
        LambdaPlatformGoal, args=["--runtime=python3.11", "--architecture=arm64"]
    )
    assert result.exit_code == 0
    assert result.stdout == complete_platform_json(
        runtime_for("python3.11"), architecture_for("arm64")
    )
    assert json.loads(result.stdout)["compatible_tags"][0] == ("cp311-cp311-manylinux_2_26_aarch64")


def test_defaults_come_from_the_lambda_subsystem(rule_runner: RuleRunner) -> None:
    result = rule_runner.run_goal_rule(
        LambdaPlatformGoal, global_args=["--lambda-runtime=python3.13"]
    )
    assert json.loads(result.stdout)["marker_environment"]["python_version"] == "3.13"
    assert json.loads(result.stdout)["marker_environment"]["platform_machine"] == "x86_64"


def test_unknown_runtime_lists_the_valid_ones(rule_runner: RuleRunner) -> None:
    with engine_error(InvalidLambdaPlatformError, contains="Use one of: python3.9, python3.10"):
        rule_runner.run_goal_rule(LambdaPlatformGoal, args=["--runtime=python2.7"])

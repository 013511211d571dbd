from __future__ import annotations

import json
import os
import subprocess
from textwrap import dedent

import pytest
from pants.core.goals.run import RunRequest
from pants.engine.addresses import Address
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from aws_lambda import run_rules
from aws_lambda.platform_rules import LambdaPlatform
from aws_lambda.run_rules import (
    CannotRunLambdaHereError,
    LambdaFunctionRunFieldSet,
    check_host_can_run,
)
from aws_lambda.runtimes import architecture_for, runtime_for
from aws_lambda.testutil import lambda_rule_runner


@pytest.fixture
def rule_runner() -> RuleRunner:
    rule_runner = lambda_rule_runner(
        *run_rules.rules(), QueryRule(RunRequest, [LambdaFunctionRunFieldSet])
    )
    rule_runner.write_files(
        {
            "src/app/handler.py": dedent(
                """\
                def handler(event, context):
                    if "fail" in event:
                        raise RuntimeError(event["fail"])
                    return {"echo": event, "function": context.function_name}
                """
            ),
            "src/app/BUILD": dedent(
                """\
                python_sources(name="lib")
                lambda_function(name="app", handler="handler.py:handler", runtime="python3.11")
                lambda_function(
                    name="app-arm64",
                    handler="handler.py:handler",
                    runtime="python3.11",
                    architecture="arm64",
                )
                """
            ),
        }
    )
    return rule_runner


def run(rule_runner: RuleRunner, target: str, *args: str) -> subprocess.CompletedProcess:
    """Do what `pants run` does with the `RunRequest`: materialize it and run its argv."""
    address = Address("src/app", target_name=target)
    field_set = LambdaFunctionRunFieldSet.create(rule_runner.get_target(address))
    request = rule_runner.request(RunRequest, [field_set])
    rule_runner.write_digest(request.digest, path_prefix="chroot")
    chroot = os.path.join(rule_runner.build_root, "chroot")
    argv = [arg.format(chroot=chroot) for arg in request.args]
    return subprocess.run([*argv, *args], capture_output=True, text=True)


def test_run_invokes_the_zip_with_the_runtimes_python(rule_runner: RuleRunner) -> None:
    result = run(rule_runner, "app", '{"message": "hello"}')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"echo": {"message": "hello"}, "function": "app"}


def test_run_reports_a_failing_handler(rule_runner: RuleRunner) -> None:
    result = run(rule_runner, "app", '{"fail": "boom"}')
    assert result.returncode == 1
    assert "RuntimeError: boom" in result.stderr


def test_arm64_is_refused_on_another_machine(rule_runner: RuleRunner) -> None:
    if os.uname().machine == "aarch64":
        pytest.skip("This machine can run arm64 lambdas.")
    with engine_error(
        CannotRunLambdaHereError,
        contains=(
            "src/app:app-arm64 is built for arm64 (aarch64), but this machine is "
            f"{os.uname().machine}, so its native code cannot run here."
        ),
    ):
        run(rule_runner, "app-arm64")


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_check_host_can_run(machine: str) -> None:
    for architecture in ("x86_64", "arm64"):
        target = LambdaPlatform(runtime_for("python3.12"), architecture_for(architecture))
        if target.architecture.machine == machine:
            check_host_can_run("src:fn", target, machine)
        else:
            with pytest.raises(CannotRunLambdaHereError, match="native code cannot run here"):
                check_host_can_run("src:fn", target, machine)

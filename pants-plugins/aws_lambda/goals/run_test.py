from __future__ import annotations

import json
import os
import subprocess
from textwrap import dedent

import pytest
from pants.core.goals.run import RunRequest
from pants.engine.addresses import Address
from pants.engine.platform import Platform
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from aws_lambda.goals import run
from aws_lambda.goals.run import (
    CannotRunLambdaHereError,
    LambdaFunctionRunFieldSet,
    check_host_can_run,
)
from aws_lambda.runtimes import LambdaArchitecture, LambdaPlatform, LambdaRuntime
from aws_lambda.testutil import lambda_rule_runner


@pytest.fixture
def rule_runner() -> RuleRunner:
    rule_runner = lambda_rule_runner(
        *run.rules(), QueryRule(RunRequest, [LambdaFunctionRunFieldSet])
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


def run_lambda(rule_runner: RuleRunner, target: str, *args: str) -> subprocess.CompletedProcess:
    """Do what `pants run` does with the `RunRequest`: materialize it and run its argv."""
    address = Address("src/app", target_name=target)
    field_set = LambdaFunctionRunFieldSet.create(rule_runner.get_target(address))
    request = rule_runner.request(RunRequest, [field_set])
    rule_runner.write_digest(request.digest, path_prefix="chroot")
    chroot = os.path.join(rule_runner.build_root, "chroot")
    argv = [arg.format(chroot=chroot) for arg in request.args]
    return subprocess.run([*argv, *args], capture_output=True, text=True)


def test_run_invokes_the_zip_with_the_runtimes_python(rule_runner: RuleRunner) -> None:
    result = run_lambda(rule_runner, "app", '{"message": "hello"}')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"echo": {"message": "hello"}, "function": "app"}


def test_run_reports_a_failing_handler(rule_runner: RuleRunner) -> None:
    result = run_lambda(rule_runner, "app", '{"fail": "boom"}')
    assert result.returncode == 1
    assert "RuntimeError: boom" in result.stderr


def test_arm64_is_refused_on_another_machine(rule_runner: RuleRunner) -> None:
    if Platform.create_for_localhost() is Platform.linux_arm64:
        pytest.skip("This machine can run arm64 lambdas.")
    with engine_error(
        CannotRunLambdaHereError,
        contains="src/app:app-arm64 is built for arm64 (python3.11 arm64), but this machine is",
    ):
        run_lambda(rule_runner, "app-arm64")


FUNCTION = Address("src", target_name="fn")


@pytest.mark.parametrize(
    "architecture, host, refusal",
    [
        (LambdaArchitecture.x86_64, Platform.linux_x86_64, None),
        (LambdaArchitecture.arm64, Platform.linux_arm64, None),
        (
            LambdaArchitecture.x86_64,
            Platform.linux_arm64,
            "src:fn is built for x86_64 (python3.12 x86_64), but this machine is Linux arm64, "
            "whose CPU cannot run its native code. Run it on a Linux x86_64 machine",
        ),
        (
            LambdaArchitecture.arm64,
            Platform.linux_x86_64,
            "src:fn is built for arm64 (python3.12 arm64), but this machine is Linux x86_64,",
        ),
        *(
            (
                architecture,
                host,
                f"src:fn is built for Lambda's Linux (python3.12 {architecture}), but this "
                "machine runs macOS, which cannot load the Linux native code that its wheels "
                f"may hold. Run it on a Linux {architecture} machine",
            )
            for architecture in LambdaArchitecture
            for host in (Platform.macos_arm64, Platform.macos_x86_64)
        ),
    ],
)
def test_check_host_can_run(
    architecture: LambdaArchitecture, host: Platform, refusal: str | None
) -> None:
    platform = LambdaPlatform(LambdaRuntime.python3_12, architecture)
    if refusal is None:
        check_host_can_run(FUNCTION, platform, host)
        return
    with pytest.raises(CannotRunLambdaHereError) as exc_info:
        check_host_can_run(FUNCTION, platform, host)
    assert refusal in str(exc_info.value)

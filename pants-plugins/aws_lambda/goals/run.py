"""`run` for `lambda_function`: invoke the packaged zip locally, as the Lambda runtime would."""

from __future__ import annotations

from dataclasses import dataclass

from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.core.goals.package import BuiltPackage
from pants.core.goals.run import RunFieldSet, RunInSandboxBehavior, RunRequest
from pants.engine.addresses import Address, UnparsedAddressInputs
from pants.engine.fs import Digest, MergeDigests
from pants.engine.platform import Platform
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import Targets, WrappedTarget, WrappedTargetRequest
from pants.util.logging import LogLevel
from pants.util.strutil import softwrap

from aws_lambda.goals import package
from aws_lambda.goals.package import LambdaFunctionFieldSet
from aws_lambda.runtimes import LambdaPlatform
from aws_lambda.subsystem import LambdaSettings, LambdaSettingsRequest
from aws_lambda.target_types import LambdaHandlerField
from aws_lambda.util_rules import scripts
from aws_lambda.util_rules.handler import ResolvedLambdaHandler, ValidateLambdaHandlerRequest
from aws_lambda.util_rules.layers import LambdaLayerFieldSet
from aws_lambda.util_rules.platform import RuntimeInterpreterRequest
from aws_lambda.util_rules.scripts import LambdaScripts

_INVOKER = "aws_lambda/scripts/local_invoke.py"


class CannotRunLambdaHereError(Exception):
    pass


@dataclass(frozen=True)
class LambdaFunctionRunFieldSet(RunFieldSet):
    required_fields = (LambdaHandlerField,)
    run_in_sandbox_behavior = RunInSandboxBehavior.NOT_SUPPORTED

    handler: LambdaHandlerField


def check_host_can_run(address: Address, lambda_platform: LambdaPlatform, host: Platform) -> None:
    """Refuse to run code built for Lambda's Linux on another OS or CPU than this machine's."""
    architecture = lambda_platform.architecture
    if host.is_macos:
        raise CannotRunLambdaHereError(
            softwrap(
                f"""
                {address} is built for Lambda's Linux ({lambda_platform}), but this machine
                runs macOS, which cannot load the Linux native code that its wheels may hold.
                Run it on a Linux {architecture} machine (e.g. in a container or on CI), or in
                Lambda itself.
                """
            )
        )
    if host is not Platform(f"linux_{architecture.value}"):
        host_architecture = host.value.split("_", 1)[1]
        raise CannotRunLambdaHereError(
            softwrap(
                f"""
                {address} is built for {architecture} ({lambda_platform}), but this machine is
                Linux {host_architecture}, whose CPU cannot run its native code. Run it on a
                Linux {architecture} machine, or in Lambda itself.
                """
            )
        )


@rule(desc="Run AWS Lambda function locally", level=LogLevel.DEBUG)
async def run_lambda_function(
    field_set: LambdaFunctionRunFieldSet, host: Platform, lambda_scripts: LambdaScripts
) -> RunRequest:
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(field_set.address, description_of_origin="`run`")
    )
    function = LambdaFunctionFieldSet.create(wrapped.target)
    settings = await Get(LambdaSettings, LambdaSettingsRequest, function.settings_request)
    lambda_platform = settings.platform
    check_host_can_run(function.address, lambda_platform, host)

    python, layer_targets = await MultiGet(
        Get(
            PythonExecutable,
            RuntimeInterpreterRequest(
                lambda_platform.runtime.python_version,
                need=f"{function.address} runs on {lambda_platform.runtime}, which needs",
            ),
        ),
        Get(Targets, UnparsedAddressInputs, function.layers.to_unparsed_address_inputs()),
    )
    handler, function_package, *layer_packages = await MultiGet(
        Get(ResolvedLambdaHandler, ValidateLambdaHandlerRequest(function.handler)),
        Get(BuiltPackage, LambdaFunctionFieldSet, function),
        *(
            Get(BuiltPackage, LambdaLayerFieldSet, LambdaLayerFieldSet.create(tgt))
            for tgt in layer_targets
        ),
    )
    digest = await Get(
        Digest,
        MergeDigests(
            [
                lambda_scripts.digest,
                function_package.digest,
                *(layer_package.digest for layer_package in layer_packages),
            ]
        ),
    )
    layer_args = [
        arg
        for layer_package in layer_packages
        for arg in ("--layer", f"{{chroot}}/{layer_package.artifacts[0].relpath}")
    ]
    return RunRequest(
        digest=digest,
        args=(
            python.path,
            "-I",
            "-S",
            f"{{chroot}}/{_INVOKER}",
            "--zip",
            f"{{chroot}}/{function_package.artifacts[0].relpath}",
            *layer_args,
            "--handler",
            handler.aws_handler,
            "--function-name",
            function.address.target_name,
        ),
        append_only_caches=python.append_only_caches,
    )


def rules():
    return (
        *collect_rules(),
        *package.rules(),
        *scripts.rules(),
        *LambdaFunctionRunFieldSet.rules(),
    )

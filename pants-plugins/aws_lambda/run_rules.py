"""`run` for `lambda_function`: invoke the packaged zip locally, as the Lambda runtime would."""

from __future__ import annotations

import platform
from dataclasses import dataclass

from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.core.goals.package import BuiltPackage
from pants.core.goals.run import RunFieldSet, RunInSandboxBehavior, RunRequest
from pants.engine.addresses import UnparsedAddressInputs
from pants.engine.fs import CreateDigest, Digest, FileContent, MergeDigests
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import Targets, WrappedTarget, WrappedTargetRequest
from pants.util.logging import LogLevel
from pants.util.resources import read_resource
from pants.util.strutil import softwrap

from aws_lambda import rules as package_rules
from aws_lambda.contents_rules import LambdaPlatformFields
from aws_lambda.handler_rules import ResolvedLambdaHandler, ValidateLambdaHandlerRequest
from aws_lambda.layer_rules import LambdaLayerFieldSet
from aws_lambda.platform_rules import LambdaPlatform, RuntimeInterpreterRequest
from aws_lambda.rules import LambdaFunctionFieldSet
from aws_lambda.target_types import LambdaHandlerField

_INVOKER = "__lambda_invoke.py"


class CannotRunLambdaHereError(Exception):
    pass


@dataclass(frozen=True)
class LambdaFunctionRunFieldSet(RunFieldSet):
    required_fields = (LambdaHandlerField,)
    run_in_sandbox_behavior = RunInSandboxBehavior.NOT_SUPPORTED

    handler: LambdaHandlerField


def check_host_can_run(address: str, lambda_platform: LambdaPlatform, host_machine: str) -> None:
    """Refuse to run code built for another CPU than this machine's."""
    if lambda_platform.architecture.machine != host_machine:
        raise CannotRunLambdaHereError(
            softwrap(
                f"""
                {address} is built for {lambda_platform.architecture.lambda_name}
                ({lambda_platform.architecture.machine}), but this machine is {host_machine}, so
                its native code cannot run here. Run it on an {lambda_platform.architecture.machine}
                machine, or in Lambda itself.
                """
            )
        )


@rule(desc="Run AWS Lambda function locally", level=LogLevel.DEBUG)
async def run_lambda_function(field_set: LambdaFunctionRunFieldSet) -> RunRequest:
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(field_set.address, description_of_origin="`run`")
    )
    function = LambdaFunctionFieldSet.create(wrapped.target)
    lambda_platform = await Get(LambdaPlatform, LambdaPlatformFields, function.platform_fields)
    check_host_can_run(str(function.address), lambda_platform, platform.machine())

    python = await Get(
        PythonExecutable,
        RuntimeInterpreterRequest(
            lambda_platform.runtime.python_version,
            need=f"{function.address} runs on {lambda_platform.runtime.name}, which needs",
        ),
    )

    layer_targets = await Get(
        Targets, UnparsedAddressInputs, function.layers.to_unparsed_address_inputs()
    )
    handler, function_package, *layer_packages = await MultiGet(
        Get(
            ResolvedLambdaHandler,
            ValidateLambdaHandlerRequest(function.address, function.handler),
        ),
        Get(BuiltPackage, LambdaFunctionFieldSet, function),
        *(
            Get(BuiltPackage, LambdaLayerFieldSet, LambdaLayerFieldSet.create(tgt))
            for tgt in layer_targets
        ),
    )
    invoker_script = read_resource(__name__, "local_invoke.py")
    assert invoker_script is not None
    invoker = await Get(Digest, CreateDigest([FileContent(_INVOKER, invoker_script)]))
    digest = await Get(
        Digest,
        MergeDigests(
            [invoker, function_package.digest, *(package.digest for package in layer_packages)]
        ),
    )
    layer_args = [
        arg
        for package in layer_packages
        for arg in ("--layer", f"{{chroot}}/{package.artifacts[0].relpath}")
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
    return (*collect_rules(), *package_rules.rules(), *LambdaFunctionRunFieldSet.rules())

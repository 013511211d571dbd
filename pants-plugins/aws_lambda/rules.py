"""`package` for `lambda_function`: a platform-correct, reproducible Lambda zip."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PexLayout, PythonResolveField
from pants.backend.python.util_rules import pex_from_targets, pex_venv
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import CompletePlatforms, Pex
from pants.backend.python.util_rules.pex_from_targets import (
    InterpreterConstraintsRequest,
    PexFromTargetsRequest,
)
from pants.backend.python.util_rules.pex_venv import PexVenv, PexVenvLayout, PexVenvRequest
from pants.core.goals.package import (
    BuiltPackage,
    BuiltPackageArtifact,
    OutputPathField,
    PackageFieldSet,
)
from pants.engine.addresses import UnparsedAddressInputs
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import InvalidFieldException
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from pants.util.strutil import softwrap

from aws_lambda import handler_rules, lockfile_coverage, platform_rules, zip_rules
from aws_lambda.handler_rules import ResolvedLambdaHandler, ValidateLambdaHandlerRequest
from aws_lambda.lockfile_coverage import (
    CheckLockfileCoversPlatformRequest,
    LockfileCoversPlatform,
)
from aws_lambda.platform_rules import LambdaPlatform, LambdaPlatformRequest
from aws_lambda.runtimes import RUNTIMES, LambdaRuntime
from aws_lambda.target_types import (
    LambdaArchitectureField,
    LambdaCompletePlatformsField,
    LambdaHandlerField,
    LambdaRuntimeField,
)
from aws_lambda.zip_rules import BuildLambdaZipRequest, LambdaZip

_PEX_ARGS = (
    # Lambda runs wheels only: never build an sdist for a platform we are not on.
    "--no-build",
)


@dataclass(frozen=True)
class LambdaFunctionFieldSet(PackageFieldSet):
    required_fields = (LambdaHandlerField,)

    handler: LambdaHandlerField
    runtime: LambdaRuntimeField
    architecture: LambdaArchitectureField
    complete_platforms: LambdaCompletePlatformsField
    output_path: OutputPathField
    resolve: PythonResolveField


def _check_runtime_allowed(
    field_set: LambdaFunctionFieldSet,
    platform: LambdaPlatform,
    interpreter_constraints: InterpreterConstraints,
    python_setup: PythonSetup,
) -> None:
    def version(runtime: LambdaRuntime) -> str:
        return "{}.{}".format(*runtime.python_version)

    universe = {*python_setup.interpreter_versions_universe, *map(version, RUNTIMES)}
    allowed = interpreter_constraints.partition_into_major_minor_versions(sorted(universe))
    if version(platform.runtime) in allowed:
        return
    allowed_runtimes = [runtime.name for runtime in RUNTIMES if version(runtime) in allowed]
    raise InvalidFieldException(
        softwrap(
            f"""
            The `{field_set.runtime.alias}` of the target {field_set.address} is
            {platform.runtime.name}, but its code's interpreter constraints
            ({interpreter_constraints}) do not allow Python {version(platform.runtime)}. Set
            `runtime` to one of: {', '.join(allowed_runtimes) or '(none)'}, or change the
            interpreter constraints of the code or its resolve.
            """
        )
    )


@rule(desc="Package AWS Lambda function", level=LogLevel.DEBUG)
async def package_lambda_function(
    field_set: LambdaFunctionFieldSet, python_setup: PythonSetup
) -> BuiltPackage:
    platform, handler = await MultiGet(
        Get(
            LambdaPlatform,
            LambdaPlatformRequest(
                field_set.runtime.value,
                field_set.architecture.value,
                f"the target {field_set.address}",
            ),
        ),
        Get(
            ResolvedLambdaHandler,
            ValidateLambdaHandlerRequest(field_set.address, field_set.handler),
        ),
    )
    if field_set.complete_platforms.value:
        complete_platforms = await Get(
            CompletePlatforms,
            UnparsedAddressInputs,
            field_set.complete_platforms.to_unparsed_address_inputs(),
        )
        target_platform = ", ".join(complete_platforms)
        platform_log_line = f"    Complete platforms: {target_platform}"
    else:
        complete_platforms, interpreter_constraints, _ = await MultiGet(
            Get(CompletePlatforms, LambdaPlatform, platform),
            Get(InterpreterConstraints, InterpreterConstraintsRequest([field_set.address])),
            Get(
                LockfileCoversPlatform,
                CheckLockfileCoversPlatformRequest(
                    f"The target {field_set.address}",
                    field_set.resolve.normalized_value(python_setup),
                    platform,
                ),
            ),
        )
        _check_runtime_allowed(field_set, platform, interpreter_constraints, python_setup)
        target_platform = str(platform)
        platform_log_line = (
            f"    Runtime: {platform.runtime.name} ({platform.architecture.lambda_name})"
        )

    pex = await Get(
        Pex,
        PexFromTargetsRequest(
            addresses=[field_set.address],
            internal_only=False,
            output_filename="lambda.pex",
            layout=PexLayout.PACKED,
            complete_platforms=complete_platforms,
            additional_args=_PEX_ARGS,
            additional_lockfile_args=_PEX_ARGS,
            warn_for_transitive_files_targets=True,
            description=f"Resolving {field_set.address} for {target_platform}",
        ),
    )
    venv = await Get(
        PexVenv,
        PexVenvRequest(
            pex=pex,
            layout=PexVenvLayout.FLAT,
            output_path=Path("lambda"),
            complete_platforms=complete_platforms,
            description=f"Installing {field_set.address} for {target_platform}",
        ),
    )
    output_file = field_set.output_path.value_or_default(file_ending="zip")
    lambda_zip = await Get(
        LambdaZip,
        BuildLambdaZipRequest(
            digest=venv.digest,
            source_dir=str(venv.path),
            output_file=output_file,
            description=f"Zipping {field_set.address}",
        ),
    )
    artifact = BuiltPackageArtifact(
        output_file,
        extra_log_lines=(
            f"    Handler: {handler.aws_handler}",
            platform_log_line,
            f"    Size: {lambda_zip.size_summary}",
        ),
    )
    return BuiltPackage(digest=lambda_zip.digest, artifacts=(artifact,))


def rules():
    return (
        *collect_rules(),
        *handler_rules.rules(),
        *lockfile_coverage.rules(),
        *platform_rules.rules(),
        *zip_rules.rules(),
        *pex_from_targets.rules(),
        *pex_venv.rules(),
        UnionRule(PackageFieldSet, LambdaFunctionFieldSet),
    )

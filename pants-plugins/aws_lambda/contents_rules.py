"""What goes into a Lambda zip: the target's platform, its third-party tree and its sources.

The third-party tree is resolved and installed from the requirements alone, so it is cached
per (requirements, platform) and an edit to first-party code never reinstalls it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, Union

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PexLayout, PythonResolveField
from pants.backend.python.util_rules import pex_from_targets, pex_venv, python_sources
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import CompletePlatforms, Pex
from pants.backend.python.util_rules.pex_from_targets import (
    InterpreterConstraintsRequest,
    PexFromTargetsRequest,
)
from pants.backend.python.util_rules.pex_venv import PexVenv, PexVenvLayout, PexVenvRequest
from pants.backend.python.util_rules.python_sources import (
    PythonSourceFilesRequest,
    StrippedPythonSourceFiles,
)
from pants.engine.addresses import Address, UnparsedAddressInputs
from pants.engine.fs import (
    CreateDigest,
    Digest,
    DigestContents,
    DigestEntries,
    DigestSubset,
    Directory,
    FileEntry,
    PathGlobs,
    RemovePrefix,
    SymlinkEntry,
)
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import InvalidFieldException, TransitiveTargets, TransitiveTargetsRequest
from pants.util.strutil import softwrap

from aws_lambda import lockfile_coverage, platform_rules
from aws_lambda.distributions import (
    RUNTIME_PROVIDED_ROOTS,
    Distribution,
    dependency_closure,
    read_distributions,
)
from aws_lambda.lockfile_coverage import CheckLockfileCoversPlatformRequest, LockfileCoversPlatform
from aws_lambda.platform_rules import LambdaPlatform, LambdaPlatformRequest
from aws_lambda.runtimes import RUNTIMES, LambdaRuntime, marker_environment
from aws_lambda.subsystem import LambdaSubsystem, RuntimeProvided
from aws_lambda.target_types import (
    LambdaArchitectureField,
    LambdaCompletePlatformsField,
    LambdaRuntimeField,
    LambdaRuntimeProvidedField,
)

_PEX_ARGS = (
    # Lambda runs wheels only: never build an sdist for a platform we are not on.
    "--no-build",
)
_DEPENDENCIES_DIR = "lambda-dependencies"

_Entry = TypeVar("_Entry", bound=Union[FileEntry, SymlinkEntry, Directory])


@dataclass(frozen=True)
class LambdaPlatformFields:
    """The fields that say which platform a Lambda target is built for."""

    address: Address
    runtime: LambdaRuntimeField
    architecture: LambdaArchitectureField
    complete_platforms: LambdaCompletePlatformsField
    resolve: PythonResolveField


@dataclass(frozen=True)
class LambdaContentsRequest:
    platform_fields: LambdaPlatformFields
    runtime_provided: LambdaRuntimeProvidedField
    include_sources: bool = True


@dataclass(frozen=True)
class LambdaContents:
    """A Lambda target's files, before zipping, with what is known about them."""

    address: Address
    platform: LambdaPlatform
    platform_log_line: str
    distributions: tuple[Distribution, ...]
    runtime_provided: tuple[Distribution, ...]
    dependencies: Digest
    sources: Digest
    source_files: tuple[FileEntry, ...]


@dataclass(frozen=True)
class _TargetPlatform:
    platform: LambdaPlatform
    complete_platforms: CompletePlatforms
    description: str
    log_line: str


def _check_runtime_allowed(
    fields: LambdaPlatformFields,
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
            The `{fields.runtime.alias}` of the target {fields.address} is
            {platform.runtime.name}, but its code's interpreter constraints
            ({interpreter_constraints}) do not allow Python {version(platform.runtime)}. Set
            `runtime` to one of: {', '.join(allowed_runtimes) or '(none)'}, or change the
            interpreter constraints of the code or its resolve.
            """
        )
    )


@rule
async def lambda_platform_for_fields(fields: LambdaPlatformFields) -> LambdaPlatform:
    return await Get(
        LambdaPlatform,
        LambdaPlatformRequest(
            fields.runtime.value, fields.architecture.value, f"the target {fields.address}"
        ),
    )


@rule
async def resolve_target_platform(
    fields: LambdaPlatformFields, python_setup: PythonSetup
) -> _TargetPlatform:
    platform = await Get(LambdaPlatform, LambdaPlatformFields, fields)
    if fields.complete_platforms.value:
        complete_platforms = await Get(
            CompletePlatforms,
            UnparsedAddressInputs,
            fields.complete_platforms.to_unparsed_address_inputs(),
        )
        description = ", ".join(complete_platforms)
        return _TargetPlatform(
            platform, complete_platforms, description, f"    Complete platforms: {description}"
        )

    complete_platforms, interpreter_constraints, _ = await MultiGet(
        Get(CompletePlatforms, LambdaPlatform, platform),
        Get(InterpreterConstraints, InterpreterConstraintsRequest([fields.address])),
        Get(
            LockfileCoversPlatform,
            CheckLockfileCoversPlatformRequest(
                f"The target {fields.address}",
                fields.resolve.normalized_value(python_setup),
                platform,
            ),
        ),
    )
    _check_runtime_allowed(fields, platform, interpreter_constraints, python_setup)
    return _TargetPlatform(
        platform,
        complete_platforms,
        str(platform),
        f"    Runtime: {platform.runtime.name} ({platform.architecture.lambda_name})",
    )


@rule
async def lambda_contents(
    request: LambdaContentsRequest, lambda_subsystem: LambdaSubsystem
) -> LambdaContents:
    address = request.platform_fields.address
    target = await Get(_TargetPlatform, LambdaPlatformFields, request.platform_fields)
    pex, transitive_targets = await MultiGet(
        Get(
            Pex,
            PexFromTargetsRequest(
                addresses=[address],
                internal_only=False,
                include_source_files=False,
                output_filename="lambda-requirements.pex",
                layout=PexLayout.PACKED,
                complete_platforms=target.complete_platforms,
                additional_args=_PEX_ARGS,
                additional_lockfile_args=_PEX_ARGS,
                description=f"Resolving requirements of {address} for {target.description}",
            ),
        ),
        Get(TransitiveTargets, TransitiveTargetsRequest([address])),
    )
    venv, sources = await MultiGet(
        Get(
            PexVenv,
            PexVenvRequest(
                pex=pex,
                layout=PexVenvLayout.FLAT,
                output_path=Path(_DEPENDENCIES_DIR),
                complete_platforms=target.complete_platforms,
                description=f"Installing requirements of {address} for {target.description}",
            ),
        ),
        Get(
            StrippedPythonSourceFiles,
            PythonSourceFilesRequest(
                transitive_targets.closure if request.include_sources else (),
                include_resources=True,
                include_files=False,
            ),
        ),
    )
    dependencies = await Get(Digest, RemovePrefix(venv.digest, _DEPENDENCIES_DIR))
    sources_digest = sources.stripped_source_files.snapshot.digest
    dependency_entries, metadata, source_entries = await MultiGet(
        Get(DigestEntries, Digest, dependencies),
        Get(
            DigestContents,
            DigestSubset(dependencies, PathGlobs(["*.dist-info/METADATA", "*.dist-info/RECORD"])),
        ),
        Get(DigestEntries, Digest, sources_digest),
    )
    distributions = read_distributions(
        {content.path: content.content for content in metadata},
        {entry.path: size for entry, size in _file_sizes(dependency_entries)},
    )

    runtime_provided: tuple[Distribution, ...] = ()
    setting = request.runtime_provided.value or lambda_subsystem.runtime_provided.value
    if setting == RuntimeProvided.exclude.value:
        environment = marker_environment(target.platform.runtime, target.platform.architecture)
        provided_keys = dependency_closure(RUNTIME_PROVIDED_ROOTS, distributions, environment)
        runtime_provided = tuple(dist for dist in distributions if dist.key in provided_keys)
        distributions = tuple(dist for dist in distributions if dist.key not in provided_keys)
        kept_entries = without_files(dependency_entries, runtime_provided)
        dependencies = await Get(Digest, CreateDigest(kept_entries))

    return LambdaContents(
        address=address,
        platform=target.platform,
        platform_log_line=target.log_line,
        distributions=distributions,
        runtime_provided=runtime_provided,
        dependencies=dependencies,
        sources=sources_digest,
        source_files=tuple(entry for entry, _ in _file_sizes(source_entries)),
    )


def _file_sizes(entries: Iterable[object]) -> list[tuple[FileEntry, int]]:
    return [
        (entry, entry.file_digest.serialized_bytes_length)
        for entry in entries
        if isinstance(entry, FileEntry)
    ]


def without_files(entries: Iterable[_Entry], distributions: Iterable[Distribution]) -> list[_Entry]:
    """`entries` minus the files of `distributions`."""
    dropped = {path for dist in distributions for path in dist.files}
    return [entry for entry in entries if entry.path not in dropped]


def rules():
    return (
        *collect_rules(),
        *lockfile_coverage.rules(),
        *platform_rules.rules(),
        *pex_from_targets.rules(),
        *pex_venv.rules(),
        *python_sources.rules(),
        *LambdaSubsystem.rules(),
    )

"""What goes into a Lambda zip: the target's platform, its distributions and its sources.

A resolve's lockfile is installed once per platform, for every Lambda target of that platform,
and split into one digest per distribution. Each target then takes the distributions that its
requirements need, so an edit to first-party code never reinstalls anything, and a distribution
shared by many targets is zipped once (see `zip_rules`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import (
    PexLayout,
    PythonRequirementsField,
    PythonResolveField,
)
from pants.backend.python.util_rules import pex_from_targets, pex_venv, python_sources
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import CompletePlatforms, Pex, PexRequest
from pants.backend.python.util_rules.pex_from_targets import (
    InterpreterConstraintsRequest,
    PexFromTargetsRequest,
)
from pants.backend.python.util_rules.pex_requirements import EntireLockfile, Lockfile, Resolve
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
    FileEntry,
    PathGlobs,
    RemovePrefix,
    SymlinkEntry,
)
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import InvalidFieldException, TransitiveTargets, TransitiveTargetsRequest
from pants.util.docutil import bin_name
from pants.util.strutil import softwrap

from aws_lambda import lockfile_coverage, platform_rules
from aws_lambda.distributions import (
    RUNTIME_PROVIDED_ROOTS,
    Distribution,
    dependency_closure,
    read_distributions,
    unmet_requirements,
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


class LambdaDependenciesError(Exception):
    pass


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
class InstalledDistribution:
    """A distribution installed for one platform, and its files."""

    distribution: Distribution
    digest: Digest


@dataclass(frozen=True)
class LambdaContents:
    """A Lambda target's files, before zipping, with what is known about them."""

    address: Address
    platform: LambdaPlatform
    platform_log_line: str
    dependencies: tuple[InstalledDistribution, ...]
    runtime_provided: tuple[Distribution, ...]
    sources: Digest
    source_files: tuple[FileEntry, ...]

    @property
    def distributions(self) -> tuple[Distribution, ...]:
        return tuple(installed.distribution for installed in self.dependencies)


@dataclass(frozen=True)
class _TargetPlatform:
    platform: LambdaPlatform
    complete_platforms: CompletePlatforms
    description: str
    log_line: str


@dataclass(frozen=True)
class _ResolveLockfileRequest:
    """Resolve the whole lockfile of `resolve`, which every Lambda target of a platform shares."""

    resolve: str
    target_platform: _TargetPlatform


@dataclass(frozen=True)
class _ResolveRequirementsRequest:
    """Resolve the requirements of the target at `address` alone: there is no lockfile."""

    address: Address
    target_platform: _TargetPlatform


@dataclass(frozen=True)
class _ResolvedDependencies:
    pex: Pex
    target_platform: _TargetPlatform
    description: str


@dataclass(frozen=True)
class _InstalledTree:
    """A flat tree of installed distributions."""

    digest: Digest
    description: str


@dataclass(frozen=True)
class _InstalledDistributions:
    distributions: tuple[InstalledDistribution, ...]


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
async def resolve_lockfile(request: _ResolveLockfileRequest) -> _ResolvedDependencies:
    platform = request.target_platform
    lockfile = await Get(Lockfile, Resolve(request.resolve, use_entire_lockfile=True))
    pex = await Get(
        Pex,
        PexRequest(
            output_filename="lambda-dependencies.pex",
            internal_only=False,
            requirements=EntireLockfile(lockfile),
            complete_platforms=platform.complete_platforms,
            layout=PexLayout.PACKED,
            additional_args=_PEX_ARGS,
            description=f"Resolving {lockfile.url} for {platform.description}",
        ),
    )
    description = f"the resolve `{request.resolve}` for {platform.description}"
    return _ResolvedDependencies(pex, platform, description)


@rule
async def resolve_requirements(request: _ResolveRequirementsRequest) -> _ResolvedDependencies:
    platform = request.target_platform
    pex = await Get(
        Pex,
        PexFromTargetsRequest(
            addresses=[request.address],
            internal_only=False,
            include_source_files=False,
            output_filename="lambda-requirements.pex",
            layout=PexLayout.PACKED,
            complete_platforms=platform.complete_platforms,
            additional_args=_PEX_ARGS,
            description=f"Resolving requirements of {request.address} for {platform.description}",
        ),
    )
    description = f"the requirements of {request.address} for {platform.description}"
    return _ResolvedDependencies(pex, platform, description)


@rule
async def install_flat(resolved: _ResolvedDependencies) -> _InstalledTree:
    venv = await Get(
        PexVenv,
        PexVenvRequest(
            pex=resolved.pex,
            layout=PexVenvLayout.FLAT,
            output_path=Path(_DEPENDENCIES_DIR),
            complete_platforms=resolved.target_platform.complete_platforms,
            description=f"Installing {resolved.description}",
        ),
    )
    tree = await Get(Digest, RemovePrefix(venv.digest, _DEPENDENCIES_DIR))
    return _InstalledTree(tree, resolved.description)


@rule
async def split_by_distribution(tree: _InstalledTree) -> _InstalledDistributions:
    entries, metadata = await MultiGet(
        Get(DigestEntries, Digest, tree.digest),
        Get(
            DigestContents,
            DigestSubset(tree.digest, PathGlobs(["*.dist-info/METADATA", "*.dist-info/RECORD"])),
        ),
    )
    distributions = read_distributions(
        {content.path: content.content for content in metadata},
        {entry.path: size for entry, size in _file_sizes(entries)},
    )
    files_by_owner = _files_by_distribution(entries, distributions, tree.description)
    digests = await MultiGet(
        Get(Digest, CreateDigest(files_by_owner[dist])) for dist in distributions
    )
    return _InstalledDistributions(
        tuple(InstalledDistribution(dist, digest) for dist, digest in zip(distributions, digests))
    )


def _files_by_distribution(
    entries: Iterable[object], distributions: Iterable[Distribution], description: str
) -> dict[Distribution, list[Union[FileEntry, SymlinkEntry]]]:
    owners = defaultdict(list)
    for dist in distributions:
        for path in dist.files:
            owners[path].append(dist)
    files_by_owner: dict[Distribution, list[Union[FileEntry, SymlinkEntry]]] = defaultdict(list)
    unowned = []
    for entry in entries:
        if not isinstance(entry, (FileEntry, SymlinkEntry)):
            continue
        if entry.path not in owners:
            unowned.append(entry.path)
        for dist in owners[entry.path]:
            files_by_owner[dist].append(entry)
    if unowned:
        raise LambdaDependenciesError(
            softwrap(
                f"""
                Installing {description} wrote files that no distribution's RECORD lists, so
                no Lambda zip could say where they belong: {', '.join(sorted(unowned)[:10])}.
                Please report this, with the requirements.
                """
            )
        )
    return files_by_owner


@rule
async def lambda_contents(
    request: LambdaContentsRequest, lambda_subsystem: LambdaSubsystem, python_setup: PythonSetup
) -> LambdaContents:
    fields = request.platform_fields
    address = fields.address
    target = await Get(_TargetPlatform, LambdaPlatformFields, fields)
    resolve_request = (
        Get(
            _ResolvedDependencies,
            _ResolveLockfileRequest(fields.resolve.normalized_value(python_setup), target),
        )
        if python_setup.enable_resolves
        else Get(_ResolvedDependencies, _ResolveRequirementsRequest(address, target))
    )
    resolved, transitive_targets = await MultiGet(
        resolve_request, Get(TransitiveTargets, TransitiveTargetsRequest([address]))
    )
    installed, sources = await MultiGet(
        Get(_InstalledDistributions, _ResolvedDependencies, resolved),
        Get(
            StrippedPythonSourceFiles,
            PythonSourceFilesRequest(
                transitive_targets.closure if request.include_sources else (),
                include_resources=True,
                include_files=False,
            ),
        ),
    )
    sources_digest = sources.stripped_source_files.snapshot.digest
    source_entries = await Get(DigestEntries, Digest, sources_digest)

    requirements = [
        str(requirement.as_pkg_resources_requirement())
        for tgt in transitive_targets.closure
        if tgt.has_field(PythonRequirementsField)
        for requirement in tgt[PythonRequirementsField].value
    ]
    environment = marker_environment(target.platform.runtime, target.platform.architecture)
    all_distributions = tuple(installed.distribution for installed in installed.distributions)
    if python_setup.enable_resolves:
        _check_lockfile_has(requirements, all_distributions, environment, fields, python_setup)
    needed = dependency_closure(
        requirements, all_distributions, environment, f"The requirements of {address}"
    )
    runtime_provided: frozenset[str] = frozenset()
    setting = request.runtime_provided.value or lambda_subsystem.runtime_provided.value
    if setting == RuntimeProvided.exclude.value:
        needed_distributions = [dist for dist in all_distributions if dist.key in needed]
        runtime_provided = dependency_closure(
            RUNTIME_PROVIDED_ROOTS, needed_distributions, environment
        )

    kept = needed - runtime_provided
    return LambdaContents(
        address=address,
        platform=target.platform,
        platform_log_line=target.log_line,
        dependencies=tuple(
            dist for dist in installed.distributions if dist.distribution.key in kept
        ),
        runtime_provided=tuple(dist for dist in all_distributions if dist.key in runtime_provided),
        sources=sources_digest,
        source_files=tuple(entry for entry, _ in _file_sizes(source_entries)),
    )


def _check_lockfile_has(
    requirements: Iterable[str],
    distributions: Iterable[Distribution],
    environment: dict[str, str],
    fields: LambdaPlatformFields,
    python_setup: PythonSetup,
) -> None:
    origin = f"The requirements of {fields.address}"
    unmet = unmet_requirements(requirements, distributions, environment, origin)
    if unmet:
        resolve = fields.resolve.normalized_value(python_setup)
        raise LambdaDependenciesError(
            softwrap(
                f"""
                The target {fields.address} needs {', '.join(unmet)}, but the lockfile of
                the resolve `{resolve}` ({python_setup.resolves[resolve]}) does not provide
                it. The lockfile is older than the requirements: run
                `{bin_name()} generate-lockfiles` to update it.
                """
            )
        )


def _file_sizes(entries: Iterable[object]) -> list[tuple[FileEntry, int]]:
    return [
        (entry, entry.file_digest.serialized_bytes_length)
        for entry in entries
        if isinstance(entry, FileEntry)
    ]


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

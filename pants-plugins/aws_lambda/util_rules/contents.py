"""What goes into a Lambda zip: the distributions its requirements need, and its sources.

Each target takes, from the distributions installed for its resolve and platform (see
`install`), the closure of the requirements that dependency inference found for it, less what
the runtime provides when `runtime_provided="exclude"`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import PythonRequirementsField, PythonResolveField
from pants.backend.python.util_rules import python_sources
from pants.backend.python.util_rules.python_sources import (
    PythonSourceFilesRequest,
    StrippedPythonSourceFiles,
)
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestEntries, FileEntry
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import TransitiveTargets
from pants.util.docutil import bin_name
from pants.util.strutil import softwrap

from aws_lambda.distributions import (
    RUNTIME_PROVIDED_ROOTS,
    Distribution,
    dependency_closure,
    unmet_requirements,
)
from aws_lambda.runtimes import LambdaPlatform
from aws_lambda.subsystem import LambdaSettings
from aws_lambda.target_types import LambdaCompletePlatformsField, RuntimeProvided
from aws_lambda.util_rules import closure, install, platform
from aws_lambda.util_rules.closure import LambdaClosureRequest
from aws_lambda.util_rules.install import (
    InstalledDistribution,
    InstalledDistributions,
    InstallLambdaDistributionsRequest,
    LambdaDependenciesError,
)
from aws_lambda.util_rules.platform import TargetPlatform, TargetPlatformRequest


@dataclass(frozen=True)
class LambdaContentsRequest:
    address: Address
    settings: LambdaSettings
    complete_platforms: LambdaCompletePlatformsField
    resolve: PythonResolveField
    include_sources: bool = True


@dataclass(frozen=True)
class LambdaContents:
    """A Lambda target's files, before zipping, with what is known about them."""

    address: Address
    platform: LambdaPlatform
    platform_log_line: str
    dependencies: tuple[InstalledDistribution, ...]
    runtime_provided: tuple[Distribution, ...]
    sdk: frozenset[str]  # The needed distributions of boto3's closure, whatever is left out.
    sources: Digest
    source_files: tuple[FileEntry, ...]

    @property
    def distributions(self) -> tuple[Distribution, ...]:
        return tuple(installed.distribution for installed in self.dependencies)


@rule
async def lambda_contents(
    request: LambdaContentsRequest, python_setup: PythonSetup
) -> LambdaContents:
    address = request.address
    lambda_platform = request.settings.platform
    resolve = request.resolve.normalized_value(python_setup)
    # First, so that a source file that inference cannot read is named (see `closure`).
    transitive_targets = await Get(TransitiveTargets, LambdaClosureRequest(address))
    target_platform = await Get(
        TargetPlatform,
        TargetPlatformRequest(
            address, lambda_platform, request.complete_platforms, request.resolve
        ),
    )
    installed, sources = await MultiGet(
        Get(
            InstalledDistributions,
            InstallLambdaDistributionsRequest(address, resolve, target_platform),
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
    sources_digest = sources.stripped_source_files.snapshot.digest
    source_entries = await Get(DigestEntries, Digest, sources_digest)

    requirements = [
        str(requirement.as_pkg_resources_requirement())
        for tgt in transitive_targets.closure
        if tgt.has_field(PythonRequirementsField)
        for requirement in tgt[PythonRequirementsField].value
    ]
    environment = lambda_platform.marker_environment
    all_distributions = tuple(installed.distribution for installed in installed.distributions)
    if python_setup.enable_resolves:
        _check_lockfile_has(
            requirements, all_distributions, environment, address, resolve, python_setup
        )
    needed = dependency_closure(
        requirements, all_distributions, environment, f"The requirements of {address}"
    )
    needed_distributions = [dist for dist in all_distributions if dist.key in needed]
    sdk = dependency_closure(RUNTIME_PROVIDED_ROOTS, needed_distributions, environment)
    excluded = request.settings.runtime_provided is RuntimeProvided.exclude
    runtime_provided = sdk if excluded else frozenset()

    kept = needed - runtime_provided
    return LambdaContents(
        address=address,
        platform=lambda_platform,
        platform_log_line=target_platform.log_line,
        dependencies=tuple(
            dist for dist in installed.distributions if dist.distribution.key in kept
        ),
        runtime_provided=tuple(dist for dist in all_distributions if dist.key in runtime_provided),
        sdk=sdk,
        sources=sources_digest,
        source_files=tuple(entry for entry in source_entries if isinstance(entry, FileEntry)),
    )


def _check_lockfile_has(
    requirements: Iterable[str],
    distributions: Iterable[Distribution],
    environment: dict[str, str],
    address: Address,
    resolve: str,
    python_setup: PythonSetup,
) -> None:
    unmet = unmet_requirements(
        requirements, distributions, environment, f"The requirements of {address}"
    )
    if unmet:
        raise LambdaDependenciesError(
            softwrap(
                f"""
                The target {address} needs {', '.join(unmet)}, but the lockfile of the resolve
                `{resolve}` ({python_setup.resolves[resolve]}) does not provide it. The
                lockfile is older than the requirements: run `{bin_name()} generate-lockfiles`
                to update it.
                """
            )
        )


def rules():
    return (
        *collect_rules(),
        *closure.rules(),
        *install.rules(),
        *platform.rules(),
        *python_sources.rules(),
    )
